import Synchronization

/// What the six metric types share: a validated name, declared label names, children cached per label
/// values, and collection into one ``MetricFamily``.
///
/// A metric declared without label names (``Unlabelled``) is itself observable: its value-changing
/// methods act on its single series and need no `try`. A metric with label names (``Labelled``) is a
/// parent: pick a child with `labels(...)` (cache the child where speed matters; its methods are
/// lock-free) and change that.
public class Metric<Child: AnyObject & Sendable>: Collector, @unchecked Sendable {
    let definition: MetricDefinition
    let store: any ValueStore
    private let table: ChildTable<Child>?
    private let unlabelledChild: Child?
    private let extraLabelName: String?
    /// The formatted `_created` times of the children, by position, kept between scrapes; as long as
    /// the children when `_created` is rendered.
    private let createdDigits = Mutex<[CachedDigits]>([])

    /// The full metric family name (namespace, subsystem, name and unit joined).
    public var name: String { definition.name }
    /// The help text.
    public var help: String { definition.help }
    /// The declared label names.
    public var labelNames: [String] { definition.labelNames }

    /// - Parameter extraLabelName: the label some lines of the type add (a histogram's `le`), if any.
    init(
        definition: MetricDefinition, store: any ValueStore, extraLabelName: String? = nil,
        makeChild: @escaping @Sendable ([String]) -> Child
    ) {
        self.definition = definition
        self.store = store
        self.extraLabelName = extraLabelName
        if definition.labelNames.isEmpty {
            table = nil
            unlabelledChild = makeChild([])
        } else {
            table = ChildTable(definition: definition, extraLabelName: extraLabelName, makeChild: makeChild)
            unlabelledChild = nil
        }
    }

    /// Registers the metric once it is fully built, so a failed construction registers nothing.
    func register(in registry: CollectorRegistry?) throws(RegistryError) {
        try registry?.register(self)
    }

    /// The child for these label values, given in the order the label names were declared; created on
    /// first use and cached. On a metric without label names, `labels()` with no values returns its
    /// single child, so hot code can keep a child in either case.
    ///
    /// - Throws: `MetricError.noLabelNames` when values are given to a metric without label names, and
    ///   `MetricError.labelCountMismatch` when the number of values differs from the number of names.
    public func labels(_ values: String...) throws(MetricError) -> Child {
        try labels(values)
    }

    /// The child for these label values, given in the order the label names were declared.
    ///
    /// - Throws: as ``labels(_:)-(String...)``.
    public func labels(_ values: [String]) throws(MetricError) -> Child {
        guard let table else {
            if values.isEmpty, let unlabelledChild { return unlabelledChild }
            throw .noLabelNames(metric: definition.name)
        }
        return try table.child(for: values)
    }

    /// The child for a dictionary of label names to values, which must name every declared label.
    ///
    /// - Throws: `MetricError.noLabelNames`, or `MetricError.labelNamesMismatch` when the names differ
    ///   from the declared ones.
    public func labels(_ labels: [String: String]) throws(MetricError) -> Child {
        guard let table else { throw .noLabelNames(metric: definition.name) }
        return try table.child(for: labels)
    }

    /// Removes the child for these label values, so it is no longer exported; removing a child that
    /// does not exist does nothing. Asking for the same labels again makes a new child, from zero.
    ///
    /// In multiprocess mode the removal reaches the master: this process's entries for the child are
    /// zeroed and marked removed in its file (the cost: one store per value), so the master's merge
    /// leaves this process's part of the series out (the series disappears when every process that
    /// wrote it removed it), and a child made again starts from zero with a new `_created`. A Python
    /// master, which does not know the mark, sees this process's part as 0. A reference kept to the
    /// removed child still works but no longer changes the files.
    ///
    /// - Throws: `MetricError.noLabelNames` or `MetricError.labelCountMismatch`.
    public func remove(_ values: String...) throws(MetricError) {
        guard let table else { throw .noLabelNames(metric: definition.name) }
        detach(try table.remove(values))
    }

    /// Removes every child whose labels include all the given name/value pairs; an empty dictionary
    /// removes nothing. Multiprocess mode: as ``remove(_:)``.
    ///
    /// - Throws: `MetricError.labelNamesMismatch` when a name is not a declared label.
    public func remove(matching labels: [String: String]) throws(MetricError) {
        guard let table else { throw .noLabelNames(metric: definition.name) }
        detach(try table.remove(matching: labels))
    }

    /// Removes all children. Does nothing on a metric without label names. Multiprocess mode: as
    /// ``remove(_:)``, for every child.
    public func clear() {
        detach(table?.removeAll() ?? [])
    }

    /// Takes removed children's series out of the store (in multiprocess mode, out of the merge).
    private func detach(_ children: [AnyObject & Sendable]) {
        guard store.isMultiprocess else { return }
        for child in children {
            for series in (child as? any SeriesOwner)?.storedSeries ?? [] {
                series.detachFromStore()
            }
        }
    }

    /// The one series of a metric declared without label names (only unlabelled metrics call it).
    var single: Child {
        unlabelledChild!
    }

    /// The family without samples: the registry uses it to detect name clashes.
    public func describe() -> [MetricFamily]? {
        [definition.emptyFamily()]
    }

    /// The family with the samples of every child, in the order the children were created.
    public func collect() -> [MetricFamily] {
        collect(includingCreated: CreatedSeries.isEnabled)
    }

    /// The family with or without `_created` samples, whatever the process-wide switch says.
    func collect(includingCreated includeCreated: Bool) -> [MetricFamily] {
        var family = definition.emptyFamily()
        if let unlabelledChild {
            appendSamples(of: unlabelledChild, labels: [], includeCreated: includeCreated, to: &family.samples)
        } else if let table {
            let children = table.snapshot().entries
            family.samples.reserveCapacity(children.count * 2)
            // By index: copying an entry out of the array would cost a reference count per field.
            for index in children.indices {
                appendSamples(
                    of: unsafeDowncast(children[index].child, to: Child.self),
                    labels: definition.labels(for: children[index].values), includeCreated: includeCreated,
                    to: &family.samples)
            }
        }
        return [family]
    }

    /// The children at this instant, with their label values: one array copy, no copy per child.
    func childrenSnapshot() -> ChildrenSnapshot<Child> {
        if let unlabelledChild { return ChildrenSnapshot(single: unlabelledChild) }
        guard let table else { return ChildrenSnapshot(entries: [], labelBlocks: []) }
        let (entries, labelBlocks) = table.snapshot()
        return ChildrenSnapshot(entries: entries, labelBlocks: labelBlocks)
    }

    /// Writes the family in `format` straight from the children (no ``Sample`` values), or returns
    /// false when this metric type has no line writer or its name needs the sample writers; the
    /// bytes equal those of ``collect()`` rendered by ``Exposition``.
    func render(
        as format: ExpositionFormat, escaping: NameEscapingScheme, includingCreated includeCreated: Bool,
        to buffer: inout ExpositionBuffer
    ) -> Bool {
        // The protobuf format and OpenMetrics 2.0 are written from collected families.
        guard writesOwnLines, format != .prometheusProtobuf, format != .openMetrics200,
            SeriesLineWriter.canWrite(familyName: definition.name, escaping: escaping)
        else {
            return false
        }
        Exposition.writeFamilyHeader(
            name: definition.name, type: definition.type, help: definition.help, unit: definition.unit, as: format,
            escaping: escaping, to: &buffer)
        var lines = SeriesLineWriter(
            format: format, escaping: escaping, labelNames: definition.labelNames, extraLabelName: extraLabelName)
        let children = childrenSnapshot()
        createdDigits.withLock { digits in
            if includeCreated && digits.count < children.count {
                digits.append(contentsOf: repeatElement(CachedDigits(), count: children.count - digits.count))
            }
            writeLines(of: children, with: &lines, includeCreated: includeCreated, createdDigits: &digits, to: &buffer)
        }
        return true
    }

    /// Writes the `_created` lines of `children` where the text format puts them: in a gauge family
    /// of their own after the metric's family (OpenMetrics writes them inline instead).
    func writeTextCreatedFamily(
        of children: ChildrenSnapshot<Child>, with lines: inout SeriesLineWriter, createdDigits: inout [CachedDigits],
        to buffer: inout ExpositionBuffer, createdTime: (Child) -> Double
    ) {
        guard children.count > 0 else { return }
        Exposition.writeCreatedHeader(
            name: definition.name, help: definition.help, escaping: lines.escaping, to: &buffer)
        let created = lines.sampleName(definition.name, suffix: "_created")
        createdDigits.withUnsafeMutableBufferPointer { digits in
            writePass(
                of: children, with: &lines, lineBytes: SeriesLineWriter.lineBytes(name: created), to: &buffer,
                fast: { index, child, lines, writer in
                    lines.writeLine(created, value: createdTime(child), cached: &digits[index], to: &writer)
                    return true
                },
                slow: { index, child, lines, buffer in
                    lines.writeLine(created, value: createdTime(child), cached: &digits[index], to: &buffer)
                })
        }
    }

    /// Writes one pass over `children` with as few reservations as possible: while the kept label
    /// blocks serve the scrape, the children that `fast` accepts (it returns false, having written
    /// nothing, for a child it cannot write into reserved room, such as one with an exemplar) are
    /// written into room reserved once per chunk of them; `slow` writes the others, and every child when
    /// the blocks are rewritten.
    ///
    /// - Parameters:
    ///   - lineBytes: the most bytes `fast` writes for one child besides its label blocks.
    ///   - linesPerChild: how many times `fast` writes a child's label block.
    func writePass(
        of children: ChildrenSnapshot<Child>, with lines: inout SeriesLineWriter, lineBytes: Int,
        linesPerChild: Int = 1, to buffer: inout ExpositionBuffer,
        fast: (Int, Child, inout SeriesLineWriter, inout LineWriter) -> Bool,
        slow: (Int, Child, inout SeriesLineWriter, inout ExpositionBuffer) -> Void
    ) {
        guard lines.keepsBlocks else {
            children.forEachSeries(with: &lines) { index, child, lines in slow(index, child, &lines, &buffer) }
            return
        }
        // Room is reserved for a chunk of children at a time: a bound for the whole family would pad
        // the output array far beyond what is written (the bound counts every value at its longest).
        let chunk = 256
        var next = 0
        while next < children.count {
            let start = next
            let end = Swift.min(children.count, start + chunk)
            let bound = SeriesLineWriter.passBound(
                children: end - start, labelBytes: children.labelBytes(from: start, to: end), lineBytes: lineBytes,
                linesPerChild: linesPerChild)
            var stopped = end
            var needsSlowPath = false
            buffer.write(atMost: bound) { writer in
                stopped = children.forEachSeries(from: start, with: &lines) { index, child, lines in
                    guard index < end else { return false }
                    if fast(index, child, &lines, &writer) { return true }
                    needsSlowPath = true
                    return false
                }
            }
            next = Swift.min(stopped, end)
            if needsSlowPath {
                _ = children.forEachSeries(from: stopped, with: &lines) { index, child, lines in
                    slow(index, child, &lines, &buffer)
                    return false
                }
                next = stopped + 1
            }
        }
    }

    /// The bounds of the classic buckets its series' lines show (a histogram's), empty for the others.
    var bucketBounds: [Double] { [] }

    /// Whether the type writes its own lines (``writeLines(of:with:includeCreated:createdDigits:to:)``);
    /// the others are rendered from ``collect()``.
    var writesOwnLines: Bool { false }

    /// Writes the sample lines of `children`; the types that ``writesOwnLines`` override it.
    func writeLines(
        of children: ChildrenSnapshot<Child>, with lines: inout SeriesLineWriter, includeCreated: Bool,
        createdDigits: inout [CachedDigits], to buffer: inout ExpositionBuffer
    ) {
        preconditionFailure("\(Self.self) must override writeLines(of:with:includeCreated:createdDigits:to:)")
    }

    /// Adds one child's samples; each metric type overrides it.
    func appendSamples(of child: Child, labels: [Label], includeCreated: Bool, to samples: inout [Sample]) {
        preconditionFailure("\(Self.self) must override appendSamples(of:labels:includeCreated:to:)")
    }
}

/// Metrics show their name in registry error messages.
extension Metric: NamedCollector {}

/// A master's own metrics in multiprocess mode are merged from their files (see
/// ``MultiprocessOverlap``).
extension Metric: MultiprocessStoreCollector {
    var multiprocessDirectory: String? { store.sharedDirectory }
}

/// Metrics write their own lines at scrape time.
extension Metric: DirectlyRenderedCollector {
    var familyName: String { definition.name }
}

/// The children of a metric at one instant, with their kept label blocks.
struct ChildrenSnapshot<Child: AnyObject & Sendable> {
    private let entries: [ChildTableEntry]
    private let labelBlocks: [UInt8]
    private let single: Child?

    init(entries: [ChildTableEntry], labelBlocks: [UInt8]) {
        self.entries = entries
        self.labelBlocks = labelBlocks
        single = nil
    }

    init(single: Child) {
        entries = []
        labelBlocks = []
        self.single = single
    }

    var count: Int { single == nil ? entries.count : 1 }

    /// The size of the label blocks of the children from position `start` to `end` (excluded):
    /// the blocks lie one after the other in creation order.
    func labelBytes(from start: Int, to end: Int) -> Int {
        guard single == nil, start < end else { return 0 }
        return Int(entries[end - 1].blockStart) + Int(entries[end - 1].blockLength) - Int(entries[start].blockStart)
    }

    /// Calls `body` for each child in creation order, its position and the child, after starting
    /// its series on `lines`.
    @inline(__always)
    func forEachSeries(
        with lines: inout SeriesLineWriter, _ body: (Int, Child, inout SeriesLineWriter) -> Void
    ) {
        _ = forEachSeries(from: 0, with: &lines) { index, child, lines in
            body(index, child, &lines)
            return true
        }
    }

    /// Calls `body` as ``forEachSeries(with:_:)`` does for the children from position `start`,
    /// until `body` returns false; returns the position of that child, or ``count``.
    @inline(__always)
    func forEachSeries(
        from start: Int, with lines: inout SeriesLineWriter, _ body: (Int, Child, inout SeriesLineWriter) -> Bool
    ) -> Int {
        if let single {
            guard start == 0 else { return 1 }
            lines.beginSeries(block: UnsafeRawBufferPointer(start: nil, count: 0), split: 0, values: [])
            return body(0, single, &lines) ? 1 : 0
        }
        return labelBlocks.withUnsafeBytes { blocks in
            entries.withUnsafeBufferPointer { entries in
                for index in start..<entries.count {
                    let blockStart = Int(entries[index].blockStart)
                    lines.beginSeries(
                        block: UnsafeRawBufferPointer(
                            rebasing: blocks[blockStart..<blockStart + Int(entries[index].blockLength)]),
                        split: Int(entries[index].blockSplit), values: entries[index].values)
                    // Table entries only ever hold `Child`s (see ChildTableState); the snapshot keeps
                    // them alive, so the child is lent to `body` without a reference count.
                    let proceed = Unmanaged.passUnretained(entries[index].child)._withUnsafeGuaranteedRef { object in
                        body(index, unsafeDowncast(object, to: Child.self), &lines)
                    }
                    if !proceed { return index }
                }
                return entries.count
            }
        }
    }
}

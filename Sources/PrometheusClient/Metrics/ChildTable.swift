import Synchronization

/// The children of one metric, keyed by their label values, in the order they were first created.
///
/// Lookup of an existing child takes one uncontended lock and one dictionary probe; creation runs the
/// factory under the same lock so that two threads asking for the same new label values get the same
/// child.
final class ChildTable<Child: AnyObject & Sendable>: Sendable {
    private let definition: MetricDefinition
    private let state = Mutex(ChildTableState())
    private let makeChild: @Sendable ([String]) -> Child
    /// How each child's label block is written, with the names as declared.
    let blockLayout: LabelBlockLayout

    /// - Parameters:
    ///   - extraLabelName: the label some of the metric's lines add (a histogram's `le`), if any.
    ///   - makeChild: builds the child for label values (in declaration order).
    init(
        definition: MetricDefinition, extraLabelName: String?, makeChild: @escaping @Sendable ([String]) -> Child
    ) {
        self.definition = definition
        self.makeChild = makeChild
        blockLayout = LabelBlockLayout(labelNames: definition.labelNames, escaping: nil, extraLabelName: extraLabelName)
    }

    /// The child for `values` (in declaration order), created on first use.
    ///
    /// - Throws: `MetricError.noLabelNames` or `MetricError.labelCountMismatch`.
    func child(for values: [String]) throws(MetricError) -> Child {
        try checkCount(values)
        return state.withLock { state in
            // Children are stored as AnyObject and only ever hold `Child`s: see ChildTableState.
            let key = ByteStrings(values)
            if let existing = state.children[key] { return unsafeDowncast(existing, to: Child.self) }
            let created = makeChild(values)
            state.children[key] = created
            state.order.append(appendingBlock(of: values, to: &state.labelBlocks, child: created))
            return created
        }
    }

    /// The child for a name-to-value dictionary that must name exactly the declared labels.
    ///
    /// - Throws: `MetricError.noLabelNames` or `MetricError.labelNamesMismatch`.
    func child(for labels: [String: String]) throws(MetricError) -> Child {
        try child(for: orderedValues(labels))
    }

    /// Removes the child for `values`; removing one that does not exist does nothing.
    ///
    /// - Returns: the child removed, if any.
    /// - Throws: `MetricError.noLabelNames` or `MetricError.labelCountMismatch`.
    @discardableResult
    func remove(_ values: [String]) throws(MetricError) -> [AnyObject & Sendable] {
        try checkCount(values)
        return state.withLock { state in
            guard let removed = state.children.removeValue(forKey: ByteStrings(values)) else { return [] }
            state.order.removeAll { ByteIdentity.equal($0.values, values) }
            rebuildBlocks(&state)
            return [removed]
        }
    }

    /// Removes every child whose labels include all of `partialLabels`.
    ///
    /// - Returns: the children removed.
    /// - Throws: `MetricError.labelNamesMismatch` when a name is not one of the declared labels.
    @discardableResult
    func remove(matching partialLabels: [String: String]) throws(MetricError) -> [AnyObject & Sendable] {
        let unknown = partialLabels.keys.filter { definition.index(ofLabel: $0) == nil }
        guard unknown.isEmpty else {
            throw .labelNamesMismatch(metric: definition.name, expected: definition.labelNames, got: unknown)
        }
        guard !partialLabels.isEmpty else { return [] }
        let indices = partialLabels.map { (definition.index(ofLabel: $0.key)!, $0.value) }
        return state.withLock { state in
            let matches = { (values: [String]) in indices.allSatisfy { ByteIdentity.equal(values[$0.0], $0.1) } }
            var removed: [AnyObject & Sendable] = []
            for entry in state.order where matches(entry.values) {
                state.children.removeValue(forKey: ByteStrings(entry.values))
                removed.append(entry.child)
            }
            state.order.removeAll { matches($0.values) }
            rebuildBlocks(&state)
            return removed
        }
    }

    /// Removes all children.
    ///
    /// - Returns: the children removed.
    @discardableResult
    func removeAll() -> [AnyObject & Sendable] {
        state.withLock { state in
            let removed = state.order.map(\.child)
            state.children.removeAll()
            state.order.removeAll()
            state.labelBlocks.removeAll()
            return removed
        }
    }

    /// The children in creation order, as stored, and their label blocks: two array copies, no copy
    /// per child. Each `child` is a `Child`.
    func snapshot() -> (entries: [ChildTableEntry], labelBlocks: [UInt8]) {
        state.withLock { ($0.order, $0.labelBlocks) }
    }

    private func appendingBlock(of values: [String], to blocks: inout [UInt8], child: AnyObject & Sendable)
        -> ChildTableEntry
    {
        let start = blocks.count
        let split = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: blockLayout.maximumBytes(for: values)) {
            scratch in
            var writer = LineWriter(scratch.baseAddress!)
            let split = blockLayout.write(values, to: &writer)
            blocks.append(
                contentsOf: UnsafeBufferPointer(
                    start: scratch.baseAddress, count: writer.position - scratch.baseAddress!))
            return split
        }
        return ChildTableEntry(
            values: values, child: child, blockStart: UInt32(start), blockLength: UInt32(blocks.count - start),
            blockSplit: UInt32(split))
    }

    /// Writes the blocks of the remaining children again after a removal, so none is kept for nothing.
    private func rebuildBlocks(_ state: inout ChildTableState) {
        var blocks: [UInt8] = []
        state.order = state.order.map { appendingBlock(of: $0.values, to: &blocks, child: $0.child) }
        state.labelBlocks = blocks
    }

    private func checkCount(_ values: [String]) throws(MetricError) {
        guard !definition.labelNames.isEmpty else { throw .noLabelNames(metric: definition.name) }
        guard values.count == definition.labelNames.count else {
            throw .labelCountMismatch(metric: definition.name, expected: definition.labelNames, got: values.count)
        }
    }

    private func orderedValues(_ labels: [String: String]) throws(MetricError) -> [String] {
        guard !definition.labelNames.isEmpty else { throw .noLabelNames(metric: definition.name) }
        let mismatch = MetricError.labelNamesMismatch(
            metric: definition.name, expected: definition.labelNames, got: Array(labels.keys))
        guard labels.count == definition.labelNames.count else { throw mismatch }
        var values: [String] = []
        values.reserveCapacity(labels.count)
        // Names match by bytes: a dictionary lookup would also find a canonically equivalent name.
        for name in definition.labelNames {
            guard let entry = labels.first(where: { ByteIdentity.equal($0.key, name) }) else { throw mismatch }
            values.append(entry.value)
        }
        return values
    }
}

/// The children of a ``ChildTable``, outside the generic class on purpose: a state generic over the
/// child type would make every lookup, called from outside this module where the table is not
/// specialised, instantiate the `Mutex<State<Child>>` type metadata at run time, which costs more than
/// the dictionary probe itself.
private struct ChildTableState: Sendable {
    var children: [ByteStrings: AnyObject & Sendable] = [:]
    /// The children in creation order.
    var order: [ChildTableEntry] = []
    /// The escaped label blocks of `order` (see ``LabelBlockLayout``), concatenated: what the scrape
    /// path copies, so that it reads no label value.
    var labelBlocks: [UInt8] = []
}

/// One child of a ``ChildTable``: its label values, the child itself, and where its label block is.
struct ChildTableEntry: Sendable {
    let values: [String]
    let child: AnyObject & Sendable
    let blockStart: UInt32
    let blockLength: UInt32
    /// How many bytes of the block precede the extra label.
    let blockSplit: UInt32
}

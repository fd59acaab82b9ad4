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

    /// The full metric family name (namespace, subsystem, name and unit joined).
    public var name: String { definition.name }
    /// The help text.
    public var help: String { definition.help }
    /// The declared label names.
    public var labelNames: [String] { definition.labelNames }

    init(definition: MetricDefinition, store: any ValueStore, makeChild: @escaping @Sendable ([Label]) -> Child) {
        self.definition = definition
        self.store = store
        if definition.labelNames.isEmpty {
            table = nil
            unlabelledChild = makeChild([])
        } else {
            table = ChildTable(definition: definition, makeChild: makeChild)
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
    /// does not exist does nothing. In multiprocess mode the values already written to this process's
    /// file stay there and are still exported by the master.
    ///
    /// - Throws: `MetricError.noLabelNames` or `MetricError.labelCountMismatch`.
    public func remove(_ values: String...) throws(MetricError) {
        guard let table else { throw .noLabelNames(metric: definition.name) }
        try table.remove(values)
    }

    /// Removes every child whose labels include all the given name/value pairs; an empty dictionary
    /// removes nothing.
    ///
    /// - Throws: `MetricError.labelNamesMismatch` when a name is not a declared label.
    public func remove(matching labels: [String: String]) throws(MetricError) {
        guard let table else { throw .noLabelNames(metric: definition.name) }
        try table.remove(matching: labels)
    }

    /// Removes all children. Does nothing on a metric without label names.
    public func clear() {
        table?.removeAll()
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
        var family = definition.emptyFamily()
        let includeCreated = CreatedSeries.isEnabled
        if let unlabelledChild {
            appendSamples(of: unlabelledChild, labels: [], includeCreated: includeCreated, to: &family.samples)
        } else if let table {
            let children = table.snapshot()
            family.samples.reserveCapacity(children.count * 2)
            // By index: copying an entry out of the array would cost a reference count per field.
            for index in children.indices {
                appendSamples(
                    of: table.child(at: index, of: children), labels: children[index].labels,
                    includeCreated: includeCreated, to: &family.samples)
            }
        }
        return [family]
    }

    /// Adds one child's samples; each metric type overrides it.
    func appendSamples(of child: Child, labels: [Label], includeCreated: Bool, to samples: inout [Sample]) {
        preconditionFailure("\(Self.self) must override appendSamples(of:labels:includeCreated:to:)")
    }
}

/// Metrics show their name in registry error messages.
extension Metric: NamedCollector {}

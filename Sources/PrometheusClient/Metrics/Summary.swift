/// Tracks the count and sum of observations (for example request sizes), exposed as `<name>_count`,
/// `<name>_sum` and `<name>_created`. Like the Python client it computes no quantiles: use a
/// ``Histogram`` when you need distributions that can be aggregated.
public final class Summary<Labels: LabelShape>: Metric<SummaryChild>, @unchecked Sendable {
    /// The type of one series.
    public typealias Child = SummaryChild

    private init(definition: MetricDefinition, registry: CollectorRegistry?) throws {
        let store = try ActiveValueStore.current()
        let slots = [
            SeriesDescriptor.SlotTemplate(sampleName: definition.name + "_count"),
            SeriesDescriptor.SlotTemplate(sampleName: definition.name + "_sum"),
        ]
        let layout = SeriesLayout(kind: .summary, definition: definition, slotTemplates: slots)
        super.init(definition: definition, store: store) { values in
            let descriptor = SeriesDescriptor(layout: layout, labelValues: values)
            return SummaryChild(storage: store.makeSeries(descriptor))
        }
        try register(in: registry)
    }

    fileprivate static func definition(
        name: String, help: String, labelNames: [String], namespace: String, subsystem: String, unit: String
    ) throws(MetricError) -> MetricDefinition {
        try MetricDefinition(
            name: name, help: help, type: .summary, namespace: namespace, subsystem: subsystem, unit: unit,
            labelNames: labelNames, reservedLabelNames: ["quantile"])
    }

    override var writesOwnLines: Bool { true }

    override func writeLines(
        of children: ChildrenSnapshot<SummaryChild>, with lines: inout SeriesLineWriter, includeCreated: Bool,
        createdDigits: inout [CachedDigits], to buffer: inout ExpositionBuffer
    ) {
        writeSpelledLines(
            of: children, with: &lines, includeCreated: includeCreated, createdDigits: &createdDigits, to: &buffer)
    }

    override func appendSamples(
        of child: SummaryChild, labels: [Label], includeCreated: Bool, to samples: inout [Sample]
    ) {
        appendSpelledSamples(of: child, labels: labels, includeCreated: includeCreated, to: &samples)
    }
}

extension Summary where Labels == Unlabelled {
    /// Creates a summary without labels and registers it.
    ///
    /// - Throws: `MetricError` for invalid names, `RegistryError` for clashes, `MultiprocessError` when
    ///   the multiprocess directory is unusable.
    public convenience init(
        name: String, help: String, namespace: String = "", subsystem: String = "", unit: String = "",
        registry: CollectorRegistry? = .default
    ) throws {
        try self.init(
            definition: Self.definition(
                name: name, help: help, labelNames: [], namespace: namespace, subsystem: subsystem, unit: unit),
            registry: registry)
    }

    /// Records an observation.
    public func observe(_ value: Double) {
        single.observe(value)
    }

    /// Records `duration` in seconds: `observe(.milliseconds(150))` is `observe(0.15)`.
    public func observe(_ duration: Duration) {
        single.observe(duration)
    }

}

extension Summary where Labels == Labelled {
    /// Creates a summary with labels and registers it; pick a series with `labels(...)`.
    ///
    /// - Throws: as ``init(name:help:namespace:subsystem:unit:registry:)``, and `MetricError` for
    ///   invalid, reserved (`quantile`) or duplicate label names.
    public convenience init(
        name: String, help: String, labelNames: [String], namespace: String = "", subsystem: String = "",
        unit: String = "", registry: CollectorRegistry? = .default
    ) throws {
        try self.init(
            definition: Self.definition(
                name: name, help: help, labelNames: labelNames, namespace: namespace, subsystem: subsystem,
                unit: unit),
            registry: registry)
    }
}

/// An unlabelled summary times work itself: `time { ... }` (see ``DurationObserver``).
extension Summary: DurationObserver where Labels == Unlabelled {
    /// Records a duration in seconds.
    public func observeDuration(_ seconds: Double) {
        single.observe(seconds)
    }
}

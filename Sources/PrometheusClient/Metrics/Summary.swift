/// Tracks the count and sum of observations (for example request sizes), exposed as `<name>_count`,
/// `<name>_sum` and `<name>_created`. Like the Python client it computes no quantiles: use a
/// ``Histogram`` when you need distributions that can be aggregated.
public final class Summary: Metric<Summary.Child>, @unchecked Sendable {
    /// The summary for one set of label values. `observe` is lock-free and allocation-free.
    public final class Child: DurationObserver, Sendable {
        let storage: SeriesStorage
        private let created = AtomicDouble(WallClock.now())

        init(storage: SeriesStorage) {
            self.storage = storage
        }

        /// Records one observation (any value, negative ones included).
        @inline(__always)
        public func observe(_ value: Double) {
            storage.add(1, at: 0)
            storage.add(value, at: 1)
        }

        /// Observes a duration in seconds; used by ``DurationObserver/time(_:)-(()->T)``.
        public func observeDuration(_ seconds: Double) {
            observe(seconds)
        }

        /// The number of observations.
        public var count: Double { storage.value(at: 0) }
        /// The sum of observations.
        public var sum: Double { storage.value(at: 1) }

        var createdTime: Double { created.value }
    }

    /// Creates a summary and registers it.
    ///
    /// - Throws: `MetricError` for invalid names or the reserved label `quantile`, `RegistryError` for
    ///   clashes, `MultiprocessError` when the multiprocess directory is unusable.
    public init(
        name: String,
        help: String,
        labelNames: [String] = [],
        namespace: String = "",
        subsystem: String = "",
        unit: String = "",
        registry: CollectorRegistry? = .default
    ) throws {
        let definition = try MetricDefinition(
            name: name, help: help, type: .summary, namespace: namespace, subsystem: subsystem, unit: unit,
            labelNames: labelNames, reservedLabelNames: ["quantile"])
        let store = try ActiveValueStore.current()
        let slots = [
            SeriesDescriptor.SlotTemplate(sampleName: definition.name + "_count"),
            SeriesDescriptor.SlotTemplate(sampleName: definition.name + "_sum"),
        ]
        super.init(definition: definition, store: store) { labels in
            let descriptor = SeriesDescriptor(
                kind: .summary, familyName: definition.name, help: definition.help, labels: labels,
                slotTemplates: slots)
            return Child(storage: store.makeSeries(descriptor))
        }
        try register(in: registry)
    }

    /// Records an observation on a summary without labels.
    ///
    /// - Throws: `MetricError.missingLabelValues` when the summary has label names.
    public func observe(_ value: Double) throws(MetricError) {
        try observableChild().observe(value)
    }

    /// Observes how long `body` took, on a summary without labels.
    ///
    /// - Throws: `MetricError.missingLabelValues`, or whatever `body` throws.
    public func time<T>(_ body: () throws -> T) throws -> T {
        try observableChild().time(body)
    }

    /// Observes how long `body` took until it finished, on a summary without labels.
    ///
    /// - Throws: `MetricError.missingLabelValues`, or whatever `body` throws.
    public func time<T>(_ body: () async throws -> T) async throws -> T {
        try await observableChild().time(body)
    }

    override func appendSamples(of child: Child, labels: [Label], includeCreated: Bool, to samples: inout [Sample]) {
        samples.append(Sample(name: name + "_count", labels: labels, value: child.count))
        samples.append(Sample(name: name + "_sum", labels: labels, value: child.sum))
        if includeCreated {
            samples.append(Sample(name: name + "_created", labels: labels, value: child.createdTime))
        }
    }
}

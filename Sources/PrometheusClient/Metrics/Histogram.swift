import Synchronization

/// Counts observations (request durations, response sizes) into buckets, with their count and sum.
///
/// Exposed as cumulative `<name>_bucket{le="..."}` series, `<name>_count`, `<name>_sum` and
/// `<name>_created`. Each observation increments exactly one bucket (the first whose upper bound is
/// at least the value); the cumulative counts are computed at collection.
///
/// ```swift
/// let latency = try Histogram(name: "request_duration_seconds", help: "Latency.", labelNames: ["route"])
/// let home = try latency.labels("/")
/// home.observe(0.042)
/// try home.time { handle(request) }
/// ```
public final class Histogram: Metric<Histogram.Child>, @unchecked Sendable {
    /// The default bucket upper bounds, in seconds: from 5 ms to 10 s, then `+Inf`.
    public static let defaultBuckets: [Double] = [
        0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, .infinity,
    ]

    /// The histogram for one set of label values. `observe` is lock-free and allocation-free.
    public final class Child: DurationObserver, Sendable {
        let storage: SeriesStorage
        let bounds: HistogramBounds
        private let created = AtomicDouble(WallClock.now())
        private let exemplars: Mutex<[Exemplar?]>
        /// Set once an exemplar exists, so collections of histograms without exemplars skip the lock.
        private let hasExemplar = Atomic(false)

        init(storage: SeriesStorage, bounds: HistogramBounds) {
            self.storage = storage
            self.bounds = bounds
            exemplars = Mutex(Array(repeating: nil, count: bounds.count))
        }

        /// Records one observation. NaN is ignored: it belongs in no bucket and would poison the sum.
        @inline(__always)
        public func observe(_ value: Double) {
            guard let bucket = bounds.bucketIndex(for: value) else { return }
            storage.add(1, at: bucket + 1)
            storage.add(value, at: 0)
        }

        /// Records one observation with an exemplar (for example a trace id), which replaces the
        /// previous exemplar of the bucket the value falls in. Exemplars appear in OpenMetrics output
        /// only, and not in multiprocess mode.
        ///
        /// - Throws: `MetricError.invalidExemplar` for invalid exemplar labels; nothing is recorded.
        public func observe(_ value: Double, exemplar labels: [String: String]) throws(MetricError) {
            let exemplar = labels.isEmpty ? nil : try Exemplar.validated(labels: labels, value: value)
            guard let bucket = bounds.bucketIndex(for: value) else { return }
            storage.add(1, at: bucket + 1)
            storage.add(value, at: 0)
            if let exemplar {
                exemplars.withLock { $0[bucket] = exemplar }
                hasExemplar.store(true, ordering: .releasing)
            }
        }

        /// Observes a duration in seconds; used by ``DurationObserver/time(_:)-(()->T)``.
        public func observeDuration(_ seconds: Double) {
            observe(seconds)
        }

        /// The number of observations.
        public var count: Double {
            (0..<bounds.count).reduce(0) { $0 + storage.value(at: $1 + 1) }
        }

        /// The sum of observations.
        public var sum: Double { storage.value(at: 0) }

        /// The cumulative count of each bucket, in bound order.
        public var cumulativeCounts: [Double] {
            var running = 0.0
            return (0..<bounds.count).map { index in
                running += storage.value(at: index + 1)
                return running
            }
        }

        var createdTime: Double { created.value }
        var bucketExemplars: [Exemplar?] {
            hasExemplar.load(ordering: .acquiring)
                ? exemplars.withLock { $0 } : Array(repeating: nil, count: bounds.count)
        }
    }

    /// The bucket upper bounds, ending with `+Inf`.
    public let buckets: [Double]

    /// Creates a histogram and registers it.
    ///
    /// - Parameters:
    ///   - buckets: strictly increasing upper bounds; `+Inf` is appended when missing.
    ///   - registry: where to register; `nil` registers nowhere.
    /// - Throws: `MetricError.invalidBuckets` for unsorted, duplicate or NaN bounds or fewer than two
    ///   buckets, `MetricError` for invalid names or the reserved label `le`, `RegistryError` for
    ///   clashes, `MultiprocessError` when the multiprocess directory is unusable.
    public init(
        name: String,
        help: String,
        labelNames: [String] = [],
        namespace: String = "",
        subsystem: String = "",
        unit: String = "",
        buckets: [Double] = Histogram.defaultBuckets,
        registry: CollectorRegistry? = .default
    ) throws {
        let definition = try MetricDefinition(
            name: name, help: help, type: .histogram, namespace: namespace, subsystem: subsystem, unit: unit,
            labelNames: labelNames, reservedLabelNames: ["le"])
        let bounds = try HistogramBounds(validating: buckets, metric: definition.name)
        let store = try ActiveValueStore.current()
        self.buckets = bounds.upperBounds
        let bucketName = definition.name + "_bucket"
        // The key must match Python's byte for byte, so each bound is spelled as Python spells it.
        let slots =
            [SeriesDescriptor.SlotTemplate(sampleName: definition.name + "_sum")]
            + bounds.upperBounds.map {
                SeriesDescriptor.SlotTemplate(
                    sampleName: bucketName, extraLabel: Label("le", GoFloatFormat.pythonString($0)))
            }
        super.init(definition: definition, store: store) { labels in
            let descriptor = SeriesDescriptor(
                kind: .histogram, familyName: definition.name, help: definition.help, labels: labels,
                slotTemplates: slots)
            return Child(storage: store.makeSeries(descriptor), bounds: bounds)
        }
        try register(in: registry)
    }

    /// Records an observation on a histogram without labels.
    ///
    /// - Throws: `MetricError.missingLabelValues` when the histogram has label names.
    public func observe(_ value: Double) throws(MetricError) {
        try observableChild().observe(value)
    }

    /// Records an observation with an exemplar on a histogram without labels.
    ///
    /// - Throws: `MetricError.missingLabelValues` or `MetricError.invalidExemplar`.
    public func observe(_ value: Double, exemplar: [String: String]) throws(MetricError) {
        try observableChild().observe(value, exemplar: exemplar)
    }

    /// Observes how long `body` took, on a histogram without labels.
    ///
    /// - Throws: `MetricError.missingLabelValues`, or whatever `body` throws.
    public func time<T>(_ body: () throws -> T) throws -> T {
        try observableChild().time(body)
    }

    /// Observes how long `body` took until it finished, on a histogram without labels.
    ///
    /// - Throws: `MetricError.missingLabelValues`, or whatever `body` throws.
    public func time<T>(_ body: () async throws -> T) async throws -> T {
        try await observableChild().time(body)
    }

    override func appendSamples(of child: Child, labels: [Label], includeCreated: Bool, to samples: inout [Sample]) {
        let counts = child.cumulativeCounts
        let exemplars = child.bucketExemplars
        for (index, bound) in child.bounds.upperBounds.enumerated() {
            samples.append(
                Sample(
                    name: name + "_bucket", labels: labels + [Label("le", GoFloatFormat.string(bound))],
                    value: counts[index], exemplar: exemplars[index]))
        }
        samples.append(Sample(name: name + "_count", labels: labels, value: counts.last ?? 0))
        // As in the Python client: with negative buckets the sum is not a counter, so it is left out.
        if let first = child.bounds.upperBounds.first, first >= 0 {
            samples.append(Sample(name: name + "_sum", labels: labels, value: child.sum))
        }
        if includeCreated {
            samples.append(Sample(name: name + "_created", labels: labels, value: child.createdTime))
        }
    }
}

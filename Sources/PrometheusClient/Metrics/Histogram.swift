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
/// home.time { handle() }
/// ```
public final class Histogram<Labels: LabelShape>: Metric<HistogramChild>, @unchecked Sendable {
    /// The type of one series.
    public typealias Child = HistogramChild

    /// The bucket upper bounds, ending with `+Inf`.
    public let buckets: [Double]

    /// The default bucket upper bounds, in seconds: from 5 ms to 10 s, then `+Inf` (Python's).
    public static var defaultBuckets: [Double] {
        HistogramBounds.pythonDefaults
    }

    /// How native buckets are recorded, or nil for a classic histogram only.
    public let native: NativeHistogramOptions?

    private init(
        definition: MetricDefinition, buckets: [Double], native: NativeHistogramOptions?, registry: CollectorRegistry?
    ) throws {
        if let native {
            guard native.bucketFactor > 1, native.zeroThreshold >= 0, native.maximumBucketCount >= 0,
                native.minimumResetDuration >= 0, native.maximumZeroThreshold >= 0
            else {
                throw MetricError.invalidBuckets(
                    metric: definition.name,
                    reason:
                        "native buckets need a bucket factor above 1, a zero threshold and a bucket limit of 0 or more")
            }
        }
        // A native-only histogram keeps one classic bucket, +Inf, for its count.
        let bounds =
            native?.keepsClassicBuckets == false
            ? try HistogramBounds(nativeOnly: definition.name)
            : try HistogramBounds(validating: buckets, metric: definition.name)
        let store = try ActiveValueStore.current()
        if let native, native.minimumResetDuration > 0, store.isMultiprocess {
            // A reset in one worker would make the merged totals go backwards.
            throw MetricError.unsupportedInMultiprocessMode(
                metric: definition.name, feature: "native histogram resets (minimumResetDuration)")
        }
        self.buckets = bounds.upperBounds
        self.native = native
        let bucketName = definition.name + "_bucket"
        // The key must match Python's byte for byte, so each bound is spelled as Python spells it.
        let slots =
            [SeriesDescriptor.SlotTemplate(sampleName: definition.name + "_sum")]
            + bounds.upperBounds.map {
                SeriesDescriptor.SlotTemplate(
                    sampleName: bucketName, extraLabel: Label("le", GoFloatFormat.pythonString($0)))
            }
        let layout = SeriesLayout(kind: .histogram, definition: definition, slotTemplates: slots, native: native)
        super.init(definition: definition, store: store, extraLabelName: "le") { values in
            let descriptor = SeriesDescriptor(layout: layout, labelValues: values)
            return HistogramChild(storage: store.makeSeries(descriptor), bounds: bounds)
        }
        try register(in: registry)
    }

    fileprivate static func definition(
        name: String, help: String, labelNames: [String], namespace: String, subsystem: String, unit: String
    ) throws(MetricError) -> MetricDefinition {
        try MetricDefinition(
            name: name, help: help, type: .histogram, namespace: namespace, subsystem: subsystem, unit: unit,
            labelNames: labelNames, reservedLabelNames: ["le"])
    }

    // Native buckets are written from collected samples, by the writers that carry them.
    override var writesOwnLines: Bool { native == nil }

    override var bucketBounds: [Double] { buckets }

    override func writeLines(
        of children: ChildrenSnapshot<HistogramChild>, with lines: inout SeriesLineWriter, includeCreated: Bool,
        createdDigits: inout [CachedDigits], to buffer: inout ExpositionBuffer
    ) {
        writeSpelledLines(
            of: children, with: &lines, includeCreated: includeCreated, createdDigits: &createdDigits, to: &buffer)
    }

    /// The native sample first when native buckets are recorded, then the classic lines unless the
    /// histogram keeps none.
    override func appendSamples(
        of child: HistogramChild, labels: [Label], includeCreated: Bool, to samples: inout [Sample]
    ) {
        if let recorder = child.native {
            var histogram = recorder.snapshot(sum: child.sum)
            histogram.exemplars = child.bucketExemplars.compactMap { $0 }.sorted {
                ($0.timestamp?.unixSeconds ?? 0) < ($1.timestamp?.unixSeconds ?? 0)
            }
            samples.append(Sample(name: name, labels: labels, value: 0, nativeHistogram: histogram))
            if !recorder.options.keepsClassicBuckets {
                if includeCreated {
                    samples.append(Sample(name: name + "_created", labels: labels, value: child.createdTime))
                }
                return
            }
        }
        appendSpelledSamples(of: child, labels: labels, includeCreated: includeCreated, to: &samples)
    }
}

extension Histogram where Labels == Unlabelled {
    /// Creates a histogram without labels and registers it.
    ///
    /// - Parameters:
    ///   - buckets: strictly increasing upper bounds; `+Inf` is appended when missing.
    ///   - native: records native buckets too (or only, without ``NativeHistogramOptions/keepsClassicBuckets``);
    ///     nil for a classic histogram.
    ///   - registry: where to register; `nil` registers nowhere.
    /// - Throws: `MetricError.invalidBuckets` for unsorted, duplicate or NaN bounds, fewer than two
    ///   buckets or invalid native options, `MetricError.unsupportedInMultiprocessMode` for native
    ///   resets (``NativeHistogramOptions/minimumResetDuration``) in multiprocess mode, `MetricError` for invalid
    ///   names, `RegistryError` for clashes, `MultiprocessError` when the multiprocess directory is
    ///   unusable.
    public convenience init(
        name: String, help: String, namespace: String = "", subsystem: String = "", unit: String = "",
        buckets: [Double] = Histogram.defaultBuckets, native: NativeHistogramOptions? = nil,
        registry: CollectorRegistry? = .default
    ) throws {
        try self.init(
            definition: Self.definition(
                name: name, help: help, labelNames: [], namespace: namespace, subsystem: subsystem, unit: unit),
            buckets: buckets, native: native, registry: registry)
    }

    /// Records an observation. NaN is ignored.
    public func observe(_ value: Double) {
        single.observe(value)
    }

    /// Records `duration` in seconds: `observe(.milliseconds(150))` is `observe(0.15)`.
    public func observe(_ duration: Duration) {
        single.observe(duration)
    }

    /// Records an observation with an exemplar; see ``HistogramChild/observe(_:exemplar:)``.
    ///
    /// - Throws: `MetricError.invalidExemplar`; nothing is recorded then.
    public func observe(_ value: Double, exemplar: [String: String]) throws(MetricError) {
        try single.observe(value, exemplar: exemplar)
    }

}

extension Histogram where Labels == Labelled {
    /// Creates a histogram with labels and registers it; pick a series with `labels(...)`.
    ///
    /// - Throws: as ``init(name:help:namespace:subsystem:unit:buckets:native:registry:)``, and `MetricError`
    ///   for invalid, reserved (`le`) or duplicate label names.
    public convenience init(
        name: String, help: String, labelNames: [String], namespace: String = "", subsystem: String = "",
        unit: String = "", buckets: [Double] = Histogram.defaultBuckets, native: NativeHistogramOptions? = nil,
        registry: CollectorRegistry? = .default
    ) throws {
        try self.init(
            definition: Self.definition(
                name: name, help: help, labelNames: labelNames, namespace: namespace, subsystem: subsystem,
                unit: unit),
            buckets: buckets, native: native, registry: registry)
    }
}

/// An unlabelled histogram times work itself: `time { ... }` (see ``DurationObserver``).
extension Histogram: DurationObserver where Labels == Unlabelled {
    /// Records a duration in seconds.
    public func observeDuration(_ seconds: Double) {
        single.observe(seconds)
    }
}

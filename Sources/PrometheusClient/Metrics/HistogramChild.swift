import Synchronization

/// One series of a ``Histogram``. `observe` is lock-free and allocation-free.
public final class HistogramChild: DurationObserver, Sendable {
    let storage: SeriesStorage
    let bounds: HistogramBounds
    private let created = AtomicDouble(WallClock.now())
    /// Made with the first exemplar (see ``CounterChild``).
    private let exemplars = ExemplarSlots.Reference()

    /// The native buckets, when the histogram records them.
    let native: NativeBucketRecorder?

    init(storage: SeriesStorage, bounds: HistogramBounds) {
        self.storage = storage
        self.bounds = bounds
        native = storage.nativeRecorder
        // A reset of the native buckets (NativeHistogramOptions.minimumResetDuration) resets the
        // whole series, as in client_golang: classic buckets, sum and created time.
        native?.onReset = { [weak self] in
            guard let self else { return }
            for slot in 0...self.bounds.count { self.storage.set(0, at: slot) }
            self.created.store(WallClock.now())
        }
    }

    /// Records one observation. NaN is ignored: it belongs in no bucket and would poison the sum.
    /// With native buckets, also records it in the bucket of its magnitude (lock-free, no allocation
    /// once the bucket exists).
    @inline(__always)
    public func observe(_ value: Double) {
        guard let bucket = bounds.bucketIndex(for: value) else { return }
        storage.add(1, at: bucket + 1)
        storage.add(value, at: 0)
        native?.observe(value)
    }

    /// Records one observation with an exemplar (for example a trace id), which replaces the
    /// previous exemplar of the bucket the value falls in. Exemplars appear in OpenMetrics output
    /// only; in multiprocess mode the master shows each bucket's latest exemplar of all processes
    /// (see ``CounterChild/inc(by:exemplar:)`` for the cost).
    ///
    /// - Throws: `MetricError.invalidExemplar` for invalid exemplar labels; nothing is recorded.
    public func observe(_ value: Double, exemplar labels: [String: String]) throws(MetricError) {
        let exemplar = labels.isEmpty ? nil : try Exemplar.validated(labels: labels, value: value)
        guard let bucket = bounds.bucketIndex(for: value) else { return }
        storage.add(1, at: bucket + 1)
        storage.add(value, at: 0)
        native?.observe(value)
        if let exemplar {
            ExemplarSlots.slots(in: exemplars, count: bounds.count).store(exemplar, at: bucket)
            storage.recordExemplar(exemplar, at: bucket + 1)
        }
    }

    /// Records `duration` in seconds: `observe(.milliseconds(150))` is `observe(0.15)`.
    public func observe(_ duration: Duration) {
        observe(duration.secondsValue)
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

    /// The schema native buckets are recorded at now, or nil without native buckets: the schema
    /// ``NativeHistogramOptions/bucketFactor`` chose, lower once the bucket limit halved the
    /// resolution. One atomic load.
    public var nativeSchema: Int32? { native?.schema }

    /// The cumulative count of each bucket, in bound order.
    public var cumulativeCounts: [Double] {
        var running = 0.0
        return (0..<bounds.count).map { index in
            running += storage.value(at: index + 1)
            return running
        }
    }

    var createdTime: Double { created.value }
    /// The bucket exemplars, or nil when the child never had one (no lock, no allocation).
    /// Whether the series ever had an exemplar (no lock).
    var hasExemplar: Bool { exemplars.load() != nil }

    var bucketExemplarsIfAny: [Exemplar?]? {
        exemplars.load()?.exemplars
    }

    var bucketExemplars: [Exemplar?] {
        exemplars.load()?.exemplars ?? Array(repeating: nil, count: bounds.count)
    }
}

extension HistogramChild: SeriesOwner {
    var storedSeries: [SeriesStorage] { [storage] }
}

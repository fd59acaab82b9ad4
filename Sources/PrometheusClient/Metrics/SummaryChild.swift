/// One series of a ``Summary``. `observe` is lock-free and allocation-free.
public final class SummaryChild: DurationObserver, Sendable {
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

    /// Records `duration` in seconds: `observe(.milliseconds(150))` is `observe(0.15)`.
    public func observe(_ duration: Duration) {
        observe(duration.secondsValue)
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

extension SummaryChild: SeriesOwner {
    var storedSeries: [SeriesStorage] { [storage] }
}

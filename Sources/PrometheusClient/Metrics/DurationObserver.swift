/// A metric child that can record how long a piece of work took: histograms and summaries observe the
/// duration, gauges are set to it. Durations come from a monotonic clock, in seconds, never negative.
public protocol DurationObserver {
    /// Records a duration in seconds.
    func observeDuration(_ seconds: Double)
}

extension DurationObserver {
    /// Runs `body` and records how long it took, also when it throws.
    ///
    /// - Throws: whatever `body` throws.
    public func time<T>(_ body: () throws -> T) rethrows -> T {
        let start = WallClock.monotonic()
        defer { observeDuration(WallClock.elapsed(since: start)) }
        return try body()
    }

    /// Awaits `body` and records how long it took until it finished, suspensions included, also when
    /// it throws.
    ///
    /// - Throws: whatever `body` throws.
    public func time<T>(_ body: () async throws -> T) async rethrows -> T {
        let start = WallClock.monotonic()
        defer { observeDuration(WallClock.elapsed(since: start)) }
        return try await body()
    }
}

extension DurationObserver {
    /// Records `duration`, in seconds as every Prometheus duration is:
    /// `latency.observeDuration(.milliseconds(150))`.
    public func observeDuration(_ duration: Duration) {
        observeDuration(duration.secondsValue)
    }

    /// Starts a timer for work that ends somewhere else (a callback, a completion handler); its
    /// ``DurationTimer/observeDuration()`` records the seconds since now. One monotonic clock read.
    public func startTimer() -> DurationTimer<Self> {
        DurationTimer(observer: self, start: WallClock.monotonic())
    }
}

/// A timer started by ``DurationObserver/startTimer()``, for work that ends elsewhere:
///
/// ```swift
/// let timer = Metrics.latency.startTimer()
/// fetch { _ in timer.observeDuration() }
/// ```
///
/// Each call of ``observeDuration()`` (or ``stop()``) records once: call one of them once.
public struct DurationTimer<Observer: DurationObserver> {
    private let observer: Observer
    private let start: Double

    init(observer: Observer, start: Double) {
        self.observer = observer
        self.start = start
    }

    /// Records the time since the timer started (monotonic, never negative) and returns it.
    @discardableResult
    public func observeDuration() -> Duration {
        let seconds = WallClock.elapsed(since: start)
        observer.observeDuration(seconds)
        return .seconds(seconds)
    }

    /// Records the time since the timer started, as ``observeDuration()`` does, and returns it.
    @discardableResult
    public func stop() -> Duration {
        observeDuration()
    }
}

extension DurationTimer: Sendable where Observer: Sendable {}

extension Duration {
    /// The duration in seconds, attoseconds included.
    var secondsValue: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) * 1e-18
    }
}

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

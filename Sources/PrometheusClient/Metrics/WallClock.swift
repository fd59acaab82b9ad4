import Glibc

/// Reads clocks without allocating: wall time for `_created`, timestamps and `setToCurrentTime`, a
/// monotonic clock for durations.
enum WallClock {
    /// Seconds since the Unix epoch.
    static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    /// Seconds on a monotonic clock, for measuring durations.
    static func monotonic() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    /// Seconds elapsed since `start` (a ``monotonic()`` reading), never negative.
    static func elapsed(since start: Double) -> Double {
        Swift.max(0, monotonic() - start)
    }
}

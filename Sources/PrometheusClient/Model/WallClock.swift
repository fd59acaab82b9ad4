import PrometheusSystem

/// The clocks metrics read: wall time for `_created`, timestamps and `setToCurrentTime`, a monotonic
/// clock for durations. No allocation, one `clock_gettime` each.
enum WallClock {
    /// Seconds since the Unix epoch.
    @inline(__always)
    static func now() -> Double {
        SystemClock.wallTime()
    }

    /// Seconds on a monotonic clock, for measuring durations.
    @inline(__always)
    static func monotonic() -> Double {
        SystemClock.monotonic()
    }

    /// Seconds elapsed since `start` (a ``monotonic()`` reading), never negative.
    static func elapsed(since start: Double) -> Double {
        Swift.max(0, monotonic() - start)
    }
}

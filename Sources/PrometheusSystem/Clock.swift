internal import Glibc

/// The system clocks, read without allocating.
package enum SystemClock {
    /// Seconds since the Unix epoch (`CLOCK_REALTIME`).
    @inline(__always)
    package static func wallTime() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    /// Seconds on a clock that never goes backwards (`CLOCK_MONOTONIC`), for durations.
    @inline(__always)
    package static func monotonic() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    /// The wall-clock time at which the machine booted, to nanoseconds (`CLOCK_REALTIME` minus
    /// `CLOCK_BOOTTIME`), the origin of the start times in `/proc/<pid>/stat`. Unlike `btime` in
    /// `/proc/stat` it is not rounded to whole seconds.
    package static func bootWallTime() -> Double {
        var boot = timespec()
        var wall = timespec()
        clock_gettime(CLOCK_BOOTTIME, &boot)
        clock_gettime(CLOCK_REALTIME, &wall)
        return (Double(wall.tv_sec) - Double(boot.tv_sec)) + (Double(wall.tv_nsec) - Double(boot.tv_nsec)) / 1e9
    }

    /// Sleeps the calling thread for `seconds`.
    package static func sleep(seconds: Double) {
        // An absolute deadline, so a sleep a signal interrupts resumes for what is left.
        var deadline = timespec()
        clock_gettime(CLOCK_MONOTONIC, &deadline)
        let nanoseconds = deadline.tv_nsec + Int((seconds - Double(Int(seconds))) * 1e9)
        deadline.tv_sec += Int(seconds) + nanoseconds / 1_000_000_000
        deadline.tv_nsec = nanoseconds % 1_000_000_000
        try? retryingInterruptsOfErrorNumber { clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, nil) }
    }

    /// The current time as an HTTP `Date` value (`Tue, 01 Dec 2026 21:30:00 GMT`).
    package static func httpDate() -> String {
        var now = time(nil)
        var parts = tm()
        gmtime_r(&now, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        let length = strftime(&buffer, buffer.count, "%a, %d %b %Y %H:%M:%S GMT", &parts)
        return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

import Foundation

/// A point in time with nanosecond resolution, as samples and exemplars carry it.
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Whole seconds since the Unix epoch.
    public var seconds: Int64
    /// Nanoseconds past `seconds`, in `0..<1_000_000_000`.
    public var nanoseconds: Int32

    /// Creates a timestamp from seconds and nanoseconds.
    ///
    /// - Throws: `MetricError.invalidTimestamp` when `nanoseconds` is outside `0..<1_000_000_000`.
    public init(seconds: Int64, nanoseconds: Int32) throws(MetricError) {
        guard (0..<1_000_000_000).contains(nanoseconds) else {
            throw .invalidTimestamp("nanoseconds must be in 0..<1000000000, got \(nanoseconds)")
        }
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    /// Creates a timestamp from fractional Unix seconds (rounded to the nearest nanosecond). Values
    /// beyond what 64-bit seconds can hold, and NaN, are clamped (NaN to the epoch).
    public init(unixSeconds: Double) {
        guard !unixSeconds.isNaN else {
            self.seconds = 0
            self.nanoseconds = 0
            return
        }
        guard unixSeconds < 9.2e18, unixSeconds > -9.2e18 else {
            self.seconds = unixSeconds > 0 ? Int64.max : Int64.min
            self.nanoseconds = 0
            return
        }
        let whole = unixSeconds.rounded(.down)
        var nanos = ((unixSeconds - whole) * 1e9).rounded()
        var secs = Int64(whole)
        if nanos >= 1e9 {
            nanos -= 1e9
            secs += 1
        }
        self.seconds = secs
        self.nanoseconds = Int32(nanos)
    }

    /// The current wall-clock time.
    public static var now: Timestamp {
        Timestamp(unixSeconds: Date().timeIntervalSince1970)
    }

    /// The time as fractional Unix seconds (may lose sub-microsecond precision).
    public var unixSeconds: Double {
        Double(seconds) + Double(nanoseconds) / 1e9
    }

    /// `seconds.nnnnnnnnn`, the form OpenMetrics writes.
    public var description: String {
        let fraction = String(nanoseconds)
        return "\(seconds).\(String(repeating: "0", count: 9 - fraction.count))\(fraction)"
    }

    /// Orders timestamps chronologically.
    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        (lhs.seconds, lhs.nanoseconds) < (rhs.seconds, rhs.nanoseconds)
    }
}

import PrometheusSystem

/// A point in time with nanosecond resolution, as samples and exemplars carry it.
///
/// Seconds are a 128-bit integer: OpenMetrics allows any real number as a timestamp, and a parsed
/// `12345678901234567890.123456789` is kept to the nanosecond instead of being clamped to what 64
/// bits hold. The value is always normalised: `nanoseconds` counts forward from `seconds`, so
/// -1.5 s is `seconds == -2, nanoseconds == 500_000_000`.
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Whole seconds since the Unix epoch (rounded down for times before it).
    public var seconds: Int128
    /// Nanoseconds past `seconds`, in `0..<1_000_000_000`.
    public var nanoseconds: Int32

    /// The largest magnitude, in seconds, that a `Double` converts to exactly enough to be kept
    /// (2^127); ``init(exactly:)`` refuses anything beyond it.
    public static let maximumMagnitude: Double = 0x1p127

    /// Creates a timestamp from seconds and nanoseconds; nanoseconds outside `0..<1_000_000_000`
    /// carry into the seconds (`seconds: 1, nanoseconds: -1` is 0.999999999 s), as `timespec`
    /// normalisation does.
    public init(seconds: Int128, nanoseconds: Int64) {
        let (carry, remainder) = nanoseconds.quotientAndRemainder(dividingBy: 1_000_000_000)
        self.seconds = seconds + Int128(carry) - (remainder < 0 ? 1 : 0)
        self.nanoseconds = Int32(remainder < 0 ? remainder + 1_000_000_000 : remainder)
    }

    /// Creates a timestamp from fractional Unix seconds, rounded to the nearest nanosecond; nil for
    /// NaN, infinities and magnitudes of 2^127 seconds or more.
    public init?(exactly unixSeconds: Double) {
        guard unixSeconds.isFinite, abs(unixSeconds) < Self.maximumMagnitude else { return nil }
        let whole = unixSeconds.rounded(.down)
        var nanos = ((unixSeconds - whole) * 1e9).rounded()
        var secs = Int128(whole)
        if nanos >= 1e9 {
            nanos -= 1e9
            secs += 1
        }
        self.seconds = secs
        self.nanoseconds = Int32(nanos)
    }

    /// Creates a timestamp from fractional Unix seconds (rounded to the nearest nanosecond). NaN gives
    /// the epoch and magnitudes beyond ±2^127 seconds give the nearest representable time; use
    /// ``init(exactly:)`` to refuse them instead.
    public init(unixSeconds: Double) {
        if let exact = Timestamp(exactly: unixSeconds) {
            self = exact
        } else {
            self.seconds = unixSeconds.isNaN ? 0 : unixSeconds > 0 ? Int128.max : Int128.min
            self.nanoseconds = 0
        }
    }

    /// The current wall-clock time.
    public static var now: Timestamp {
        Timestamp(unixSeconds: SystemClock.wallTime())
    }

    /// The time as fractional Unix seconds (may lose sub-microsecond precision).
    public var unixSeconds: Double {
        Double(seconds) + Double(nanoseconds) / 1e9
    }

    /// `seconds.nnnnnnnnn`, the form OpenMetrics writes (`-1.500000000` for 1.5 s before the epoch).
    public var description: String {
        let (negative, whole, fraction) = signAndMagnitude
        let digits = String(fraction)
        return (negative ? "-" : "") + "\(whole).\(String(repeating: "0", count: 9 - digits.count))\(digits)"
    }

    /// The time in whole milliseconds, truncated toward zero (as Python's `int(float(ts) * 1000)`),
    /// written in decimal: the Prometheus text format's timestamp, exact for every timestamp.
    public var millisecondsDescription: String {
        let (negative, whole, fraction) = signAndMagnitude
        let milliseconds = fraction / 1_000_000
        guard whole > 0 else { return (negative && milliseconds > 0 ? "-" : "") + String(milliseconds) }
        let digits = String(milliseconds)
        return (negative ? "-" : "") + "\(whole)\(String(repeating: "0", count: 3 - digits.count))\(digits)"
    }

    /// The sign, whole seconds and nanoseconds of the time's magnitude.
    private var signAndMagnitude: (negative: Bool, whole: UInt128, fraction: Int32) {
        guard seconds < 0 else { return (false, UInt128(seconds), nanoseconds) }
        if nanoseconds == 0 { return (true, seconds.magnitude, 0) }
        return (true, (seconds + 1).magnitude, 1_000_000_000 - nanoseconds)
    }

    /// Orders timestamps chronologically.
    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        (lhs.seconds, lhs.nanoseconds) < (rhs.seconds, rhs.nanoseconds)
    }
}

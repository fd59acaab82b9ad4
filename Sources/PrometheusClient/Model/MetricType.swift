/// The type of a metric family, as OpenMetrics names it.
///
/// The Prometheus text format knows fewer types; its writer maps `info` and `stateSet` to `gauge`,
/// `gaugeHistogram` to `histogram` and `unknown` to `untyped`.
public enum MetricType: String, Sendable, Hashable, CaseIterable {
    /// A monotonically increasing total, exposed as `<name>_total`.
    case counter
    /// A value that goes up and down.
    case gauge
    /// A count and sum of observations.
    case summary
    /// Cumulative buckets plus a count and sum of observations.
    case histogram
    /// A histogram of current values (buckets can go down), with `_gcount` and `_gsum`.
    case gaugeHistogram = "gaugehistogram"
    /// Constant key/value information, exposed as `<name>_info` with the value 1.
    case info
    /// A set of named states, each 1 (true) or 0 (false).
    case stateSet = "stateset"
    /// A value of unknown type (`untyped` in the Prometheus text format).
    case unknown

    /// Parses a type name as it appears in a `# TYPE` line; `untyped` is accepted as `unknown`.
    ///
    /// - Returns: `nil` for a name that is not a metric type.
    public init?(typeName: String) {
        if typeName == "untyped" {
            self = .unknown
        } else {
            self.init(rawValue: typeName)
        }
    }

    /// Whether families of the type carry `_created` samples (counters, summaries, histograms).
    public var hasCreatedSeries: Bool {
        self == .counter || self == .summary || self == .histogram
    }

    /// The suffixes a family of this type adds to its name, which the registry reserves too.
    public var reservedSuffixes: [String] {
        switch self {
        case .counter: return ["_total", "_created"]
        case .summary: return ["_sum", "_count", "_created"]
        case .histogram: return ["_bucket", "_sum", "_count", "_created"]
        case .gaugeHistogram: return ["_bucket", "_gsum", "_gcount"]
        case .info: return ["_info"]
        case .gauge, .stateSet, .unknown: return []
        }
    }
}

/// Which store a series' values belong to, and in multiprocess mode which file: the one owner of
/// what a file kind is called (`counter_<pid>.db`, `gauge_livesum_<pid>.db`, ...), whether its files
/// die with their process, and what metric type its entries merge into.
///
/// Python's kinds are counter, histogram, summary and the ten gauge modes; `info` and `stateSet`
/// are this package's (files `gauge_liveinfo_<pid>.db` and `gauge_livestateset_<pid>.db`, which a
/// Python master reads as live gauges with a `pid` label).
public enum StorageKind: Sendable, Hashable, CaseIterable {
    /// Counter values (`<name>_total`).
    case counter
    /// Gauge values, per multiprocess mode.
    case gauge(MultiprocessMode)
    /// Summary `_count` and `_sum`.
    case summary
    /// Histogram `_sum` and non-cumulative `_bucket` values.
    case histogram
    /// Info series (value 1 for the current label set, 0 for replaced ones).
    case info
    /// Enum (stateset) series, one per state, 1 for the current state.
    case stateSet

    /// Every kind, the ten gauge modes included.
    public static let allCases: [StorageKind] =
        [.counter, .summary, .histogram, .info, .stateSet] + MultiprocessMode.allCases.map { .gauge($0) }

    /// The file name prefix before `_<pid>.db`.
    public var filePrefix: String {
        switch self {
        case .counter: return "counter"
        case .histogram: return "histogram"
        case .summary: return "summary"
        case .gauge(let mode): return "gauge_\(mode.rawValue)"
        case .info: return "gauge_liveinfo"
        case .stateSet: return "gauge_livestateset"
        }
    }

    /// The kind whose files start with `prefix`, if any.
    public init?(filePrefix prefix: some StringProtocol) {
        switch prefix {
        case "counter": self = .counter
        case "histogram": self = .histogram
        case "summary": self = .summary
        case "gauge_liveinfo": self = .info
        case "gauge_livestateset": self = .stateSet
        default:
            guard prefix.hasPrefix("gauge_"), let mode = MultiprocessMode(rawValue: String(prefix.dropFirst(6)))
            else { return nil }
            self = .gauge(mode)
        }
    }

    /// Whether the files belong to live processes only: `markProcessDead` deletes them.
    public var isLive: Bool {
        switch self {
        case .gauge(let mode): return mode.isLive
        case .info, .stateSet: return true
        case .counter, .histogram, .summary: return false
        }
    }

    /// Whether this package's writers store each series' creation time in its entries' timestamps
    /// (counters, histograms, summaries), for the merged `_created` (see ``MergeRule``).
    package var storesCreationTime: Bool {
        switch self {
        case .counter, .histogram, .summary: return true
        case .gauge, .info, .stateSet: return false
        }
    }

    /// The type of the families the entries merge into.
    public var metricType: MetricType {
        switch self {
        case .counter: return .counter
        case .gauge: return .gauge
        case .summary: return .summary
        case .histogram: return .histogram
        case .info: return .info
        case .stateSet: return .stateSet
        }
    }
}

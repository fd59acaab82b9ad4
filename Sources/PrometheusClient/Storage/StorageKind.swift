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
        var text = String(prefix)
        guard let kind = text.withUTF8({ StorageKind(filePrefixBytes: $0) }) else { return nil }
        self = kind
    }

    /// The kind whose files start with the UTF-8 bytes `prefix`, if any. Compares bytes against each
    /// kind's prefix: a cold merge parses one file name per file, thousands per scrape, and `String`
    /// comparison (canonical equivalence) cost more than the rest of the name's parsing.
    package init?(filePrefixBytes prefix: UnsafeBufferPointer<UInt8>) {
        guard
            let known = Self.filePrefixes.first(where: {
                $0.prefix.count == prefix.count && $0.prefix.elementsEqual(prefix)
            })
        else { return nil }
        self = known.kind
    }

    /// Each kind with its file prefix's bytes.
    private static let filePrefixes: [(prefix: [UInt8], kind: StorageKind)] = allCases.map {
        (Array($0.filePrefix.utf8), $0)
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

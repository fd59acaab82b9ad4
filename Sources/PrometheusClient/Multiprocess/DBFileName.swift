/// The meaning of a multiprocess file's name: `counter_<id>.db`, `histogram_<id>.db`,
/// `summary_<id>.db`, `gauge_<mode>_<id>.db` (Python's names), and this package's
/// `gauge_liveinfo_<id>.db` and `gauge_livestateset_<id>.db`. The id is a pid, or `archive` for the
/// files dead processes are folded into.
struct DBFileName: Sendable, Hashable {
    enum Kind: Sendable, Hashable {
        case counter
        case histogram
        case summary
        case gauge(MultiprocessMode)
        case info
        case stateSet

        /// The file name prefix before `_<id>.db`.
        var prefix: String {
            switch self {
            case .counter: return "counter"
            case .histogram: return "histogram"
            case .summary: return "summary"
            case .gauge(let mode): return "gauge_\(mode.rawValue)"
            case .info: return "gauge_liveinfo"
            case .stateSet: return "gauge_livestateset"
            }
        }

        /// Whether the files belong only to live processes (deleted when the process is marked dead).
        var isLive: Bool {
            switch self {
            case .gauge(let mode): return mode.isLive
            case .info, .stateSet: return true
            case .counter, .histogram, .summary: return false
            }
        }
    }

    static let archiveIdentifier = "archive"

    var kind: Kind
    /// The process identifier (normally the pid), or `archive`.
    var processIdentifier: String

    init(kind: Kind, processIdentifier: String) {
        self.kind = kind
        self.processIdentifier = processIdentifier
    }

    /// Parses a file name; nil for names that are not multiprocess files.
    init?(fileName: String) {
        guard fileName.hasSuffix(".db") else { return nil }
        let parts = fileName.dropLast(3).split(separator: "_", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2 else { return nil }
        switch parts[0] {
        case "counter", "histogram", "summary":
            let identifier = parts.dropFirst().joined(separator: "_")
            guard !identifier.isEmpty else { return nil }
            kind = parts[0] == "counter" ? .counter : parts[0] == "histogram" ? .histogram : .summary
            processIdentifier = identifier
        case "gauge":
            guard parts.count == 3, !parts[2].isEmpty else { return nil }
            switch parts[1] {
            case "liveinfo": kind = .info
            case "livestateset": kind = .stateSet
            default:
                guard let mode = MultiprocessMode(rawValue: String(parts[1])) else { return nil }
                kind = .gauge(mode)
            }
            processIdentifier = String(parts[2])
        default:
            return nil
        }
    }

    /// The file name.
    var fileName: String {
        "\(kind.prefix)_\(processIdentifier).db"
    }

    var isArchive: Bool {
        processIdentifier == Self.archiveIdentifier
    }
}

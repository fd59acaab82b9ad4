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

    /// Whether a file name (its bytes) ends in `.db` after at least one other byte: the cheap first
    /// test of a directory entry, before any string is made of it.
    static func hasDBSuffix(_ bytes: some BidirectionalCollection<UInt8>) -> Bool {
        bytes.count > 3 && bytes.suffix(3).elementsEqual(".db".utf8)
    }

    /// Parses a file name; nil for names that are not multiprocess files.
    init?(fileName: String) {
        // Works on the UTF-8 bytes: a cold merge parses one name per file, thousands per scrape.
        let bytes = fileName.utf8
        guard Self.hasDBSuffix(bytes) else { return nil }
        let stem = bytes.dropLast(3)
        let separator = UInt8(ascii: "_")
        guard let first = stem.firstIndex(of: separator) else { return nil }
        let head = Substring(stem[..<first])
        let rest = stem[stem.index(after: first)...]
        switch head {
        case "counter", "histogram", "summary":
            guard !rest.isEmpty else { return nil }
            kind = head == "counter" ? .counter : head == "histogram" ? .histogram : .summary
            processIdentifier = String(Substring(rest))
        case "gauge":
            guard let second = rest.firstIndex(of: separator) else { return nil }
            let identifier = rest[rest.index(after: second)...]
            guard !identifier.isEmpty else { return nil }
            switch Substring(rest[..<second]) {
            case "liveinfo": kind = .info
            case "livestateset": kind = .stateSet
            case let modeName:
                guard let mode = MultiprocessMode(rawValue: String(modeName)) else { return nil }
                kind = .gauge(mode)
            }
            processIdentifier = String(Substring(identifier))
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

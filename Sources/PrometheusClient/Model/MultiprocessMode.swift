/// How a gauge's values from several processes are combined in multiprocess mode.
///
/// The `live` variants ignore processes that have been reported dead with `markProcessDead(pid:)`.
/// In the `mostrecent` modes every change (`set`, `inc`, `dec`) stores its time beside the value,
/// so the master can show the process that changed its gauge last.
public enum MultiprocessMode: String, Sendable, Hashable, CaseIterable {
    /// One series per process, with a `pid` label (the default).
    case all
    /// One series per live process, with a `pid` label.
    case liveall
    /// The smallest value across processes.
    case min
    /// The smallest value across live processes.
    case livemin
    /// The largest value across processes.
    case max
    /// The largest value across live processes.
    case livemax
    /// The sum across processes.
    case sum
    /// The sum across live processes.
    case livesum
    /// The value most recently `set` by any process.
    case mostrecent
    /// The value most recently `set` by any live process.
    case livemostrecent

    /// Parses a mode name.
    ///
    /// - Throws: `MetricError.invalidMultiprocessMode` for a name that is not one of the ten modes.
    public init(validating name: String) throws(MetricError) {
        guard let mode = MultiprocessMode(rawValue: name) else {
            throw .invalidMultiprocessMode(name)
        }
        self = mode
    }

    /// Whether the mode ignores dead processes, so their files are deleted when they die.
    public var isLive: Bool {
        rawValue.hasPrefix("live")
    }

    /// Whether the mode keeps the time of each change beside the value (`set`, `inc` and `dec`).
    public var isMostRecent: Bool {
        self == .mostrecent || self == .livemostrecent
    }
}

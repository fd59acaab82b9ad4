import PrometheusSystem
import Synchronization

/// What the library reads from the environment, as one value.
///
/// The process's configuration, ``process``, is read from the environment **once**: at the first use
/// of any of its settings, in practice when the first metric is created, or when a collector or
/// `markProcessDead` first looks for the multiprocess directory. The environment is never read
/// again; setting a variable later changes nothing. An application that wants another configuration
/// (or none from the environment) calls ``bootstrap(_:)`` before that moment, as swift-log's
/// `LoggingSystem.bootstrap` is called before the first logger. The switches that stay adjustable at
/// run time (``CreatedSeries/isEnabled``, ``MetricNaming/legacyValidation``,
/// ``Multiprocess/gaugeFunctionInterval``) start from it.
///
/// | variable | setting |
/// |---|---|
/// | `PROMETHEUS_MULTIPROC_DIR` (or the deprecated `prometheus_multiproc_dir`) | ``multiprocessDirectory`` |
/// | `PROMETHEUS_DISABLE_CREATED_SERIES` = `true`, `1` or `t` (any case) | ``createdSeries`` off |
/// | `PROMETHEUS_LEGACY_NAME_VALIDATION` = `true`, `1` or `t` (any case) | ``legacyNameValidation`` on |
public struct PrometheusConfiguration: Sendable, Hashable {
    /// The multiprocess directory: when set, metrics write into per-process files there. Present
    /// but empty counts (and is rejected when used), as the presence of the variable is what selects
    /// multiprocess mode in the Python client.
    public var multiprocessDirectory: String?
    /// Whether the directory came from the deprecated lower-case `prometheus_multiproc_dir` (a
    /// warning goes to ``PrometheusDiagnostics`` when the process's configuration is read).
    public var usesDeprecatedDirectoryVariable: Bool
    /// Whether collections include `_created` samples (on by default).
    public var createdSeries: Bool
    /// Whether names must follow the legacy (pre-UTF-8) character rules (off by default).
    public var legacyNameValidation: Bool
    /// Seconds between samples of multiprocess gauge callbacks (1 by default; at least 0.01).
    public var gaugeFunctionInterval: Double
    /// Whether a multiprocess directory on a file system multiprocess mode cannot trust (9p, FUSE,
    /// SMB, NFS: see ``MultiprocessFileSystem``) is used anyway, with a warning, instead of refused
    /// (off by default; `PROMETHEUS_MULTIPROC_ALLOW_UNSAFE_FILESYSTEM`).
    public var allowsUnsafeFileSystem = false

    /// A configuration with the given settings; the defaults are those of an empty environment.
    public init(
        multiprocessDirectory: String? = nil, createdSeries: Bool = true, legacyNameValidation: Bool = false,
        gaugeFunctionInterval: Double = 1
    ) {
        self.multiprocessDirectory = multiprocessDirectory
        usesDeprecatedDirectoryVariable = false
        self.createdSeries = createdSeries
        self.legacyNameValidation = legacyNameValidation
        self.gaugeFunctionInterval = Swift.max(0.01, gaugeFunctionInterval)
    }

    /// The configuration `environment` describes (variable names to values). Pure: reads nothing.
    public init(environment: [String: String]) {
        self.init()
        if let path = environment["PROMETHEUS_MULTIPROC_DIR"] {
            multiprocessDirectory = path
        } else if let path = environment["prometheus_multiproc_dir"] {
            multiprocessDirectory = path
            usesDeprecatedDirectoryVariable = true
        }
        createdSeries = !Self.isTrue(environment["PROMETHEUS_DISABLE_CREATED_SERIES"])
        legacyNameValidation = Self.isTrue(environment["PROMETHEUS_LEGACY_NAME_VALIDATION"])
        allowsUnsafeFileSystem = Self.isTrue(environment["PROMETHEUS_MULTIPROC_ALLOW_UNSAFE_FILESYSTEM"])
    }

    /// The variables the library reads.
    static let variables = [
        "PROMETHEUS_MULTIPROC_DIR", "prometheus_multiproc_dir", "PROMETHEUS_DISABLE_CREATED_SERIES",
        "PROMETHEUS_LEGACY_NAME_VALIDATION", "PROMETHEUS_MULTIPROC_ALLOW_UNSAFE_FILESYSTEM",
    ]

    /// Reads a boolean switch the way the Python client does: `true`, `1` and `t` (any case) mean on.
    static func isTrue(_ value: String?) -> Bool {
        guard let value else { return false }
        return ["true", "1", "t"].contains(value.lowercased())
    }

    private static let state = Mutex<PrometheusConfiguration?>(nil)

    /// The process's configuration: the one given to ``bootstrap(_:)``, else the environment's, read
    /// at the first access. Costs a lock per access; the library reads it once per setting.
    public static var process: PrometheusConfiguration {
        let (configuration, isFirstRead) = state.withLock { state in
            if let state { return (state, false) }
            var environment: [String: String] = [:]
            for variable in variables {
                environment[variable] = CurrentProcess.environmentValue(variable)
            }
            let read = PrometheusConfiguration(environment: environment)
            state = read
            return (read, true)
        }
        if isFirstRead && configuration.usesDeprecatedDirectoryVariable {
            PrometheusDiagnostics.report(
                .configuration, "prometheus_multiproc_dir is deprecated, set PROMETHEUS_MULTIPROC_DIR instead")
        }
        return configuration
    }

    /// Makes `configuration` the process's, instead of the environment's. Call it first thing, before
    /// any metric exists.
    ///
    /// - Returns: false, changing nothing, when the process's configuration was already read.
    @discardableResult
    public static func bootstrap(_ configuration: PrometheusConfiguration) -> Bool {
        state.withLock { state in
            guard state == nil else { return false }
            state = configuration
            return true
        }
    }
}

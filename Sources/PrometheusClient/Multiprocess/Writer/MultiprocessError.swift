public import PrometheusSystem

/// Problems with multiprocess mode's directory and files.
public enum MultiprocessError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The configured directory cannot be used; `reason` says why (missing, not a directory, not
    /// writable, empty setting).
    case invalidDirectory(path: String, reason: String)
    /// A file in the directory could not be created, grown, mapped, read or written.
    case fileFailure(path: String, operation: String, errno: Errno)
    /// Multiprocess mode was configured after metrics had already been created with another store.
    case configuredTooLate(String)
    /// A process identifier that cannot name a process's files (empty, `archive`, or containing `/`
    /// or `_`).
    case invalidProcessIdentifier(String, reason: String)

    /// A message a user can act on.
    public var description: String {
        switch self {
        case .invalidDirectory(let path, let reason):
            return "multiprocess directory \"\(path)\" cannot be used: \(reason)"
        case .fileFailure(let path, let operation, let errno):
            return "multiprocess file \(path): \(operation) failed: \(errno)"
        case .configuredTooLate(let detail):
            return "multiprocess mode must be configured before any metric is created: \(detail)"
        case .invalidProcessIdentifier(let identifier, let reason):
            return "\"\(identifier)\" cannot identify a process's multiprocess files: \(reason)"
        }
    }
}

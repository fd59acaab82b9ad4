#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Problems with multiprocess mode's directory and files.
public enum MultiprocessError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The configured directory cannot be used; `reason` says why (missing, not a directory, not
    /// writable, empty setting).
    case invalidDirectory(path: String, reason: String)
    /// A file in the directory could not be created, grown, mapped or written.
    case fileFailure(path: String, operation: String, errno: Int32)
    /// Multiprocess mode was configured after metrics had already been created with another store.
    case configuredTooLate(String)

    /// A message a user can act on.
    public var description: String {
        switch self {
        case .invalidDirectory(let path, let reason):
            return "multiprocess directory \"\(path)\" cannot be used: \(reason)"
        case .fileFailure(let path, let operation, let errno):
            let reason = String(cString: strerror(errno))
            return "multiprocess file \(path): \(operation) failed: \(reason) (errno \(errno))"
        case .configuredTooLate(let detail):
            return "multiprocess mode must be configured before any metric is created: \(detail)"
        }
    }
}

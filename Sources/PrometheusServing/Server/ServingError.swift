import PrometheusClient
public import PrometheusSystem

/// Why a server could not be started.
public enum ServingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// `address` (with `port`) could not be resolved to a local address; `reason` is the resolver's.
    case addressResolution(address: String, port: Int, reason: String)
    /// No resolved address could be bound; `errno` is from the last attempt (e.g. `EADDRINUSE`).
    case bindFailed(address: String, port: Int, errno: Errno)
    /// A socket system call failed (`operation` names it).
    case socketFailed(operation: String, errno: Errno)
    /// An option is out of range; `reason` says which values are accepted.
    case invalidOption(name: String, reason: String)
    /// A server thread could not be created.
    case threadCreationFailed(errno: Errno)
    /// A TLS file cannot be used: `role` says what it was for (`certificate`, `private key`,
    /// `CA file`, `CA directory`), `reason` is OpenSSL's (missing, not PEM, key does not match).
    case tlsFileUnusable(role: String, path: String, reason: String)
    /// TLS could not be set up for another reason (OpenSSL's `reason`).
    case tlsSetupFailed(reason: String)

    /// A message a user can act on.
    public var description: String {
        switch self {
        case .addressResolution(let address, let port, let reason):
            return "cannot resolve listen address \(address) port \(port): \(reason)"
        case .bindFailed(let address, let port, let errno):
            let hint =
                errno == .addressInUse
                ? " (another process is listening there; pick another port, or 0 for an ephemeral one)"
                : errno == .permissionDenied ? " (ports below 1024 need privileges)" : ""
            return "cannot listen on \(address) port \(port): \(errno)\(hint)"
        case .socketFailed(let operation, let errno):
            return "\(operation) failed: \(errno)"
        case .invalidOption(let name, let reason):
            return "invalid server option \(name): \(reason)"
        case .threadCreationFailed(let errno):
            return "cannot create the server thread: \(errno)"
        case .tlsFileUnusable(let role, let path, let reason):
            return "cannot use TLS \(role) \(path): \(reason)"
        case .tlsSetupFailed(let reason):
            return "cannot set up TLS: \(reason)"
        }
    }
}

import PrometheusClient
import PrometheusSystem

/// A bound, listening TCP socket for a ``MetricsServer``.
///
/// Pre-fork servers bind one before forking and let every worker serve it (see the `prefork-demo`
/// executable): the kernel hands each connection to one of the processes waiting on it. A listener
/// can also be adopted from a descriptor a parent passed down (socket activation). The socket is
/// non-blocking, so processes that lose the race for a connection simply go back to waiting.
public struct MetricsListener: Sendable, Hashable {
    /// The file descriptor.
    public let descriptor: Int32
    /// The bound port (the kernel's choice when 0 was requested).
    public let port: Int
    /// The address it was bound to, as given (empty for an adopted socket).
    public let address: String

    var socket: Socket { Socket(rawValue: descriptor) }

    /// Binds and listens on `address` and `port`; `port` 0 picks an ephemeral port. The address is
    /// resolved with `getaddrinfo(AI_PASSIVE)`, so IPv4 (`127.0.0.1`, `0.0.0.0`), IPv6 (`::1`, `::`)
    /// and host names work. The descriptor is close-on-exec.
    ///
    /// - Throws: ``ServingError/addressResolution(address:port:reason:)`` when the address does not
    ///   resolve, ``ServingError/bindFailed(address:port:errno:)`` when no resolved address can be
    ///   bound (e.g. the port is taken), ``ServingError/invalidOption(name:reason:)`` for a port
    ///   outside 0...65535.
    public static func bind(address: String, port: Int, backlog: Int32 = 128) throws(ServingError) -> MetricsListener {
        guard (0...65535).contains(port) else {
            throw .invalidOption(name: "port", reason: "must be between 0 and 65535, got \(port)")
        }
        let socket: Socket
        do {
            socket = try Socket.listening(address: address, port: port, backlog: backlog)
        } catch {
            switch error {
            case .resolution(let reason): throw .addressResolution(address: address, port: port, reason: reason)
            case .system(let errno): throw .bindFailed(address: address, port: port, errno: errno)
            }
        }
        do {
            return try MetricsListener(adopting: socket.rawValue, address: address)
        } catch {
            socket.close()
            throw error
        }
    }

    /// Adopts an already listening socket, e.g. one inherited from a parent process. The socket is
    /// made non-blocking.
    ///
    /// - Throws: ``ServingError/socketFailed(operation:errno:)`` when `descriptor` is not a bound IP
    ///   socket.
    public init(adopting descriptor: Int32, address: String = "") throws(ServingError) {
        let socket = Socket(rawValue: descriptor)
        let endpoint: (address: String, port: Int)
        do {
            endpoint = try socket.localEndpoint()
        } catch {
            switch error {
            case .system(let errno): throw .socketFailed(operation: "getsockname", errno: errno)
            case .resolution(let reason): throw .addressResolution(address: address, port: 0, reason: reason)
            }
        }
        do {
            try socket.setNonBlocking()
        } catch {
            throw .socketFailed(operation: "fcntl(O_NONBLOCK)", errno: error)
        }
        self.descriptor = descriptor
        self.port = endpoint.port
        self.address = address
    }

    /// The local address the socket is bound to, as the kernel reports it (`0.0.0.0` when it
    /// listens on every IPv4 interface); nil when it cannot be read.
    public var boundAddress: String? {
        try? socket.localEndpoint().address
    }

    /// Lets processes this one starts with `exec` inherit the socket (a pre-fork master that
    /// replaces workers by spawning them), or stops them from doing so (the default).
    ///
    /// - Throws: ``ServingError/socketFailed(operation:errno:)``.
    public func setInheritedByExec(_ inherited: Bool) throws(ServingError) {
        do {
            try socket.setCloseOnExec(!inherited)
        } catch {
            throw .socketFailed(operation: "fcntl(FD_CLOEXEC)", errno: error)
        }
    }

    /// Splits a command line's `host:port`, `[v6]:port` or `:port` (every IPv4 interface).
    ///
    /// - Returns: the address and port, or nil when there is no port in 0...65535.
    public static func splitHostPort(_ text: String) -> (address: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else {
            return nil
        }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") {
            host = String(host.dropFirst().dropLast())
        }
        return (host.isEmpty ? "0.0.0.0" : host, port)
    }

    /// Closes the socket. Connections already accepted are unaffected.
    public func close() {
        socket.close()
    }
}

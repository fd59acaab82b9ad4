import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A small, hardened HTTP/1.1 server built on POSIX sockets, used to serve metrics (see
/// ``MetricsServer``) and usable with any handler.
///
/// It speaks HTTP/1.1 with keep-alive and pipelining, and HTTP/1.0. Each connection gets a thread,
/// up to ``HTTPServerOptions/maxConnections``; request size and time limits keep slow or hostile
/// clients from holding resources (see ``HTTPServerOptions``). It runs until ``stop()``.
public final class HTTPServer: Sendable {
    /// The port the server listens on (the kernel's choice when started with port 0).
    public let port: Int
    /// The listening socket.
    public let socket: ListeningSocket
    private let core: HTTPServerCore
    private let acceptThread: pthread_t
    private let ownsSocket: Bool
    private let stopped = Mutex(false)

    private init(core: HTTPServerCore, acceptThread: pthread_t, ownsSocket: Bool) {
        self.core = core
        self.socket = core.socket
        self.port = core.socket.port
        self.acceptThread = acceptThread
        self.ownsSocket = ownsSocket
    }

    /// Binds `address`:`port` and starts serving with `handler`.
    ///
    /// - Parameters:
    ///   - address: the local address to listen on; `127.0.0.1` by default (loopback only),
    ///     `0.0.0.0` or `::` for every interface.
    ///   - port: the port, or 0 for an ephemeral one (read it from ``port``).
    ///   - options: limits and timeouts.
    ///   - handler: called on a connection thread for each request; must be thread-safe.
    /// - Throws: ``ServingError`` when an option is invalid or the address cannot be bound.
    public static func start(
        address: String = "127.0.0.1",
        port: Int,
        options: HTTPServerOptions = HTTPServerOptions(),
        handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse
    ) throws(ServingError) -> HTTPServer {
        try options.validate()
        let socket = try ListeningSocket.bind(address: address, port: port, backlog: options.backlog)
        do {
            return try start(socket: socket, options: options, ownsSocket: true, handler: handler)
        } catch {
            socket.close()
            throw error
        }
    }

    /// Serves on a socket that is already listening, e.g. one a pre-fork master bound before forking.
    /// ``stop()`` leaves that socket open: its owner closes it.
    ///
    /// - Throws: ``ServingError`` when an option is invalid or the server thread cannot start.
    public static func start(
        socket: ListeningSocket,
        options: HTTPServerOptions = HTTPServerOptions(),
        handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse
    ) throws(ServingError) -> HTTPServer {
        try options.validate()
        return try start(socket: socket, options: options, ownsSocket: false, handler: handler)
    }

    private static func start(
        socket: ListeningSocket, options: HTTPServerOptions, ownsSocket: Bool,
        handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse
    ) throws(ServingError) -> HTTPServer {
        let core = try HTTPServerCore(socket: socket, options: options, handler: handler)
        let thread = try NativeThread.start(stackSize: options.threadStackSize, detached: false) {
            core.acceptLoop()
        }
        return HTTPServer(core: core, acceptThread: thread, ownsSocket: ownsSocket)
    }

    /// Connections being served right now.
    public var activeConnections: Int { core.activeConnections }

    /// Connections turned away with 503 because ``HTTPServerOptions/maxConnections`` was reached.
    public var rejectedConnections: Int { core.rejectedConnections }

    /// Stops the server: no new connections are accepted, idle keep-alive connections are closed at
    /// once, and responses in progress get up to ``HTTPServerOptions/shutdownTimeout`` seconds to
    /// finish (with `Connection: close`). Safe to call more than once and from any thread.
    ///
    /// - Returns: `true` when every connection thread finished within the timeout.
    @discardableResult
    public func stop() -> Bool {
        let first = stopped.withLock { stopped in
            defer { stopped = true }
            return !stopped
        }
        if first {
            _ = core.requestStop()
            pthread_join(acceptThread, nil)
            if ownsSocket {
                socket.close()
            }
        }
        return core.waitForConnections()
    }
}

import PrometheusClient
import PrometheusSystem
import Synchronization

/// The package's small, hardened HTTP/1.1 server, the engine behind ``MetricsServer``.
///
/// It speaks HTTP/1.1 with keep-alive and pipelining, and HTTP/1.0. Each connection gets a thread,
/// up to ``MetricsServerOptions/maxConnections``; request size and time limits keep slow or hostile
/// clients from holding resources (see ``MetricsServerOptions``). It runs until ``stop()``.
package final class HTTPServer: Sendable {
    /// The port the server listens on (the kernel's choice when started with port 0).
    package var port: Int { core.listener.port }
    /// The local address the server is bound to, as the kernel reports it.
    package var boundAddress: String? { core.listener.boundAddress }
    private let core: HTTPServerCore
    private let acceptThread: NativeThread.Joinable
    private let ownsListener: Bool
    private let stopped = Mutex(false)

    private init(core: HTTPServerCore, acceptThread: NativeThread.Joinable, ownsListener: Bool) {
        self.core = core
        self.acceptThread = acceptThread
        self.ownsListener = ownsListener
    }

    /// Serves `listener` with `handler`, called on a connection thread for each request (it must be
    /// thread-safe). With `ownsListener`, ``stop()`` closes the listener too.
    ///
    /// - Throws: ``ServingError`` when an option is invalid or the server thread cannot start.
    package static func start(
        listener: MetricsListener, options: MetricsServerOptions, ownsListener: Bool,
        handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse
    ) throws(ServingError) -> HTTPServer {
        try options.validate()
        let core = try HTTPServerCore(listener: listener, options: options, handler: handler)
        let thread: NativeThread.Joinable
        do {
            thread = try NativeThread.startJoinable(stackSize: options.threadStackSize) { core.acceptLoop() }
        } catch {
            throw .threadCreationFailed(errno: error)
        }
        return HTTPServer(core: core, acceptThread: thread, ownsListener: ownsListener)
    }

    /// Binds `address`:`port` and serves it with `handler`; ``stop()`` closes the socket.
    ///
    /// - Throws: ``ServingError`` when an option is invalid or the address cannot be bound.
    package static func start(
        address: String = "127.0.0.1", port: Int, options: MetricsServerOptions = MetricsServerOptions(),
        handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse
    ) throws(ServingError) -> HTTPServer {
        try options.validate()
        let listener = try MetricsListener.bind(address: address, port: port, backlog: options.backlog)
        do {
            return try start(listener: listener, options: options, ownsListener: true, handler: handler)
        } catch {
            listener.close()
            throw error
        }
    }

    /// Connections being served right now.
    package var activeConnections: Int { core.activeConnections }

    /// Connections turned away with 503 because ``MetricsServerOptions/maxConnections`` was reached.
    package var rejectedConnections: Int { core.rejectedConnections }

    /// Stops the server: no new connections are accepted, idle keep-alive connections are closed at
    /// once, and responses in progress get up to ``MetricsServerOptions/shutdownTimeout`` seconds to
    /// finish (with `Connection: close`). Safe to call more than once and from any thread.
    ///
    /// - Returns: `true` when every connection thread finished within the timeout.
    @discardableResult
    package func stop() -> Bool {
        let first = stopped.withLock { stopped in
            defer { stopped = true }
            return !stopped
        }
        if first {
            _ = core.requestStop()
            acceptThread.join()
            if ownsListener {
                core.listener.close()
            }
        }
        return core.waitForConnections()
    }
}

import PrometheusClient
import PrometheusSystem
import Synchronization

/// The package's small, hardened HTTP/1.1 server, the engine behind ``MetricsServer``.
///
/// It speaks HTTP/1.1 with keep-alive and pipelining, and HTTP/1.0, optionally over TLS. One
/// event-loop thread serves every connection without blocking and a few handler threads answer
/// requests (see ``HTTPEventLoop``); limits and timeouts in ``MetricsServerOptions`` keep slow or
/// hostile clients from holding anything but a descriptor. It runs until ``stop()``.
package final class HTTPServer: Sendable {
    /// The port the server listens on (the kernel's choice when started with port 0).
    package var port: Int { loop.listener.port }
    /// The local address the server is bound to, as the kernel reports it.
    package var boundAddress: String? { loop.listener.boundAddress }
    private let loop: HTTPEventLoop
    private let loopThread: NativeThread.Joinable
    private let ownsListener: Bool
    private let stopped = Mutex(false)

    private init(loop: HTTPEventLoop, loopThread: NativeThread.Joinable, ownsListener: Bool) {
        self.loop = loop
        self.loopThread = loopThread
        self.ownsListener = ownsListener
    }

    /// What a handler thread calls for each request, with the thread's buffers: the response, whose
    /// body may lie in the buffers (``MetricsHandler/respond(to:buffers:)``). Called on several
    /// threads at once.
    package typealias Responder = @Sendable (HTTPRequest, inout ResponseBuffers) -> HTTPResponse

    /// Serves `listener` with `handler`, called on a handler thread for each request (it must be
    /// thread-safe). With `ownsListener`, ``stop()`` closes the listener too.
    ///
    /// - Throws: ``ServingError`` when an option is invalid, a TLS file is unusable, or a server
    ///   thread cannot start.
    package static func start(
        listener: MetricsListener, options: MetricsServerOptions, ownsListener: Bool,
        handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse
    ) throws(ServingError) -> HTTPServer {
        try start(listener: listener, options: options, ownsListener: ownsListener, responder: Self.responder(handler))
    }

    /// Serves `listener` as ``start(listener:options:ownsListener:handler:)`` does, with a responder
    /// that writes the bytes on the wire itself.
    package static func start(
        listener: MetricsListener, options: MetricsServerOptions, ownsListener: Bool,
        responder: @escaping Responder
    ) throws(ServingError) -> HTTPServer {
        try options.validate()
        let loop = try HTTPEventLoop(listener: listener, options: options, responder: responder)
        let thread: NativeThread.Joinable
        do {
            thread = try NativeThread.startJoinable(stackSize: options.threadStackSize) { loop.run() }
        } catch {
            loop.requestStop()
            throw .threadCreationFailed(errno: error)
        }
        return HTTPServer(loop: loop, loopThread: thread, ownsListener: ownsListener)
    }

    /// Binds `address`:`port` and serves it with `handler`; ``stop()`` closes the socket.
    ///
    /// - Throws: ``ServingError`` when an option is invalid or the address cannot be bound.
    package static func start(
        address: String = "127.0.0.1", port: Int, options: MetricsServerOptions = MetricsServerOptions(),
        handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse
    ) throws(ServingError) -> HTTPServer {
        try start(address: address, port: port, options: options, responder: Self.responder(handler))
    }

    /// Binds `address`:`port` and serves it with `responder`; ``stop()`` closes the socket.
    ///
    /// - Throws: ``ServingError`` when an option is invalid or the address cannot be bound.
    package static func start(
        address: String = "127.0.0.1", port: Int, options: MetricsServerOptions = MetricsServerOptions(),
        responder: @escaping Responder
    ) throws(ServingError) -> HTTPServer {
        try options.validate()
        let listener = try MetricsListener.bind(address: address, port: port, backlog: options.backlog)
        do {
            return try start(listener: listener, options: options, ownsListener: true, responder: responder)
        } catch {
            listener.close()
            throw error
        }
    }

    /// The responder answering what `handler` answers.
    private static func responder(_ handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse) -> Responder {
        { request, _ in handler(request) }
    }

    /// Connections open right now.
    package var activeConnections: Int { loop.activeConnections }

    /// Connections turned away with 503 because every slot was busy answering a request.
    package var rejectedConnections: Int { loop.rejectedConnections }

    /// Idle or slow connections closed to make room for new ones.
    package var shedConnections: Int { loop.shedConnections }

    /// TLS handshakes that failed (wrong protocol, refused or missing client certificate).
    package var failedHandshakes: Int { loop.failedHandshakes }

    /// Stops the server: no new connections are accepted, idle and part-read connections are
    /// closed at once, and responses in progress get up to ``MetricsServerOptions/shutdownTimeout``
    /// seconds to finish (then the connection closes). Safe to call more than once and from any
    /// thread.
    ///
    /// - Returns: `true` when every connection finished within the timeout.
    @discardableResult
    package func stop() -> Bool {
        let first = stopped.withLock { stopped in
            defer { stopped = true }
            return !stopped
        }
        if first {
            loop.requestStop()
            loopThread.join()
            if ownsListener {
                loop.listener.close()
            }
        }
        return loop.stoppedCleanly
    }
}

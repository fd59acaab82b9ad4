import PrometheusClient

/// The built-in metrics endpoint: a small, hardened HTTP/1.1 server answering with a
/// ``MetricsHandler`` (Python's `start_http_server`).
///
/// ```swift
/// let server = try MetricsServer.start(port: 9100, address: "127.0.0.1", registry: registry)
/// print(server.port)
/// server.stop()
/// ```
///
/// One event-loop thread holds every connection, up to ``MetricsServerOptions/maxConnections``; a
/// connection costs one of the few handler threads only while its complete request is answered, and
/// every limit and timeout of ``MetricsServerOptions`` bounds what a slow or hostile client can hold. Requests
/// for other paths than the metrics path can go to a handler of yours (health checks, or a whole
/// small application, as the `prefork-demo` workers do); without one they get 404.
public final class MetricsServer: Sendable {
    private let server: HTTPServer
    /// The handler answering metrics requests.
    public let handler: MetricsHandler

    private init(server: HTTPServer, handler: MetricsHandler) {
        self.server = server
        self.handler = handler
    }

    /// The port served (the kernel's choice when started with port 0).
    public var port: Int { server.port }

    /// The local address served, as the kernel reports it (`0.0.0.0` for every IPv4 interface).
    public var boundAddress: String? { server.boundAddress }

    /// The address ``start(port:address:registry:options:handlerOptions:otherRequests:)`` listens on
    /// when none is given: every IPv4 interface, as the Python client's `start_http_server`, so that
    /// a container's published port can be scraped. Pass `127.0.0.1` to serve this machine only.
    public static let defaultAddress = "0.0.0.0"

    /// Starts serving `registry` on `address`:`port`.
    ///
    /// - Parameters:
    ///   - port: the port, or 0 for an ephemeral one (read it from ``port``).
    ///   - address: the local address; every IPv4 interface (``defaultAddress``, `0.0.0.0`) by
    ///     default, as in the Python client; `::` for every interface, `127.0.0.1` for this machine
    ///     only.
    ///   - registry: the registry to serve.
    ///   - options: server limits and timeouts.
    ///   - handlerOptions: metrics path, compression and failure reporting.
    ///   - otherRequests: answers requests for any other path than the metrics path; nil answers
    ///     them as the handler does (404, favicon). Called on the handler threads: thread-safe.
    /// - Throws: ``ServingError`` when the address cannot be bound or an option is invalid.
    public static func start(
        port: Int,
        address: String = MetricsServer.defaultAddress,
        registry: CollectorRegistry,
        options: MetricsServerOptions = MetricsServerOptions(),
        handlerOptions: MetricsHandlerOptions = MetricsHandlerOptions(),
        otherRequests: (@Sendable (HTTPRequest) -> HTTPResponse)? = nil
    ) throws(ServingError) -> MetricsServer {
        try serve(registry, handlerOptions, otherRequests) { route throws(ServingError) in
            try HTTPServer.start(address: address, port: port, options: options, responder: route)
        }
    }

    /// Serves `registry` on a socket that is already listening (bound before forking, or inherited
    /// from a parent); ``stop()`` leaves it open for its owner to close.
    ///
    /// - Throws: ``ServingError`` when an option is invalid or the server cannot start.
    public static func start(
        listener: MetricsListener,
        registry: CollectorRegistry,
        options: MetricsServerOptions = MetricsServerOptions(),
        handlerOptions: MetricsHandlerOptions = MetricsHandlerOptions(),
        otherRequests: (@Sendable (HTTPRequest) -> HTTPResponse)? = nil
    ) throws(ServingError) -> MetricsServer {
        try serve(registry, handlerOptions, otherRequests) { route throws(ServingError) in
            try HTTPServer.start(listener: listener, options: options, ownsListener: false, responder: route)
        }
    }

    /// The handler for `registry`, and the server `start` runs with it (metrics requests to the
    /// handler, others to `otherRequests` when given).
    private static func serve(
        _ registry: CollectorRegistry, _ handlerOptions: MetricsHandlerOptions,
        _ otherRequests: (@Sendable (HTTPRequest) -> HTTPResponse)?,
        start: (@escaping HTTPServer.Responder) throws(ServingError) -> HTTPServer
    ) throws(ServingError) -> MetricsServer {
        let handler = MetricsHandler(registry: registry, options: handlerOptions)
        let route: HTTPServer.Responder = { request, buffers in
            guard let otherRequests, !handler.serves(path: request.path) else {
                return handler.respond(to: request, buffers: &buffers)
            }
            return otherRequests(request)
        }
        return MetricsServer(server: try start(route), handler: handler)
    }

    /// Stops serving: no new connections, idle ones closed at once, responses in progress get up to
    /// ``MetricsServerOptions/shutdownTimeout`` seconds. Safe to call more than once.
    ///
    /// - Returns: whether every connection finished within the shutdown timeout.
    @discardableResult
    public func stop() -> Bool {
        server.stop()
    }
}

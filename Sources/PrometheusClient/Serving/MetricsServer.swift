/// The built-in metrics endpoint: an ``HTTPServer`` answering with a ``MetricsHandler``.
///
/// ```swift
/// let server = try MetricsServer.start(port: 9100, address: "127.0.0.1", registry: registry)
/// print(server.port)
/// server.stop()
/// ```
public final class MetricsServer: Sendable {
    /// The underlying HTTP server.
    public let server: HTTPServer
    /// The handler answering requests.
    public let handler: MetricsHandler

    private init(server: HTTPServer, handler: MetricsHandler) {
        self.server = server
        self.handler = handler
    }

    /// The port served (the kernel's choice when started with port 0).
    public var port: Int { server.port }

    /// Starts serving `registry` on `address`:`port`.
    ///
    /// - Parameters:
    ///   - port: the port, or 0 for an ephemeral one (read it from ``port``).
    ///   - address: the local address; `127.0.0.1` by default, `0.0.0.0` or `::` for every interface.
    ///   - registry: the registry to serve.
    ///   - options: server limits and timeouts.
    ///   - handlerOptions: metrics path, compression and failure reporting.
    /// - Throws: ``ServingError`` when the address cannot be bound or an option is invalid.
    public static func start(
        port: Int,
        address: String = "127.0.0.1",
        registry: CollectorRegistry,
        options: HTTPServerOptions = HTTPServerOptions(),
        handlerOptions: MetricsHandlerOptions = MetricsHandlerOptions()
    ) throws(ServingError) -> MetricsServer {
        let handler = MetricsHandler(registry: registry, options: handlerOptions)
        let server = try HTTPServer.start(address: address, port: port, options: options) { handler.handle($0) }
        return MetricsServer(server: server, handler: handler)
    }

    /// Serves `registry` on a socket that is already listening; ``stop()`` leaves it open.
    ///
    /// - Throws: ``ServingError`` when an option is invalid or the server cannot start.
    public static func start(
        socket: ListeningSocket,
        registry: CollectorRegistry,
        options: HTTPServerOptions = HTTPServerOptions(),
        handlerOptions: MetricsHandlerOptions = MetricsHandlerOptions()
    ) throws(ServingError) -> MetricsServer {
        let handler = MetricsHandler(registry: registry, options: handlerOptions)
        let server = try HTTPServer.start(socket: socket, options: options) { handler.handle($0) }
        return MetricsServer(server: server, handler: handler)
    }

    /// Stops serving; see ``HTTPServer/stop()``.
    ///
    /// - Returns: whether every connection finished within the shutdown timeout.
    @discardableResult
    public func stop() -> Bool {
        server.stop()
    }
}

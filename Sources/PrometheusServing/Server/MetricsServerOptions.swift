import PrometheusClient

/// Limits, timeouts and TLS of the built-in ``MetricsServer``. The defaults suit a metrics endpoint
/// scraped by a few Prometheus servers and withstand thousands of idle or slow clients; every limit
/// exists so that a misbehaving client costs a descriptor, bounded memory and bounded time.
public struct MetricsServerOptions: Sendable, Hashable {
    /// The most connections open at once (also bounded by the process's descriptor limit, less 64
    /// kept for files and one per handler thread). A connection beyond it closes the oldest idle connection, else the oldest
    /// one still sending its request; only when every connection is being answered does it get
    /// 503 and close at once. Default 10,000.
    public var maxConnections: Int = 10_000
    /// Threads that run the request handler (rendering); the event loop has its own. Requests
    /// beyond it wait their turn. Default 4.
    public var handlerThreads: Int = 4
    /// The longest request line, in bytes (longer: 414). Default 8 KiB.
    public var maxRequestLineBytes: Int = 8192
    /// The largest header section, in bytes (larger: 431). Default 16 KiB.
    public var maxHeaderBytes: Int = 16384
    /// The most header fields (more: 431). Default 100.
    public var maxHeaderCount: Int = 100
    /// The largest request body, in bytes (larger: 413). Default 0: metrics endpoints take no body;
    /// raise it when ``MetricsServer``'s other requests need bodies.
    public var maxBodyBytes: Int = 0
    /// Seconds a client has to send a complete request, counted from the connection's start or from
    /// the first byte of a follow-up request. Trickling bytes does not extend it (slowloris). On
    /// expiry a client that sent part of a request gets 408; the connection is closed. Default 10.
    public var requestTimeout: Double = 10
    /// Seconds an idle keep-alive connection may wait for its next request. Default 60, longer than
    /// common scrape intervals so that Prometheus can reuse its connection.
    public var idleTimeout: Double = 60
    /// Seconds allowed to write one response before the connection is dropped. Default 10.
    public var writeTimeout: Double = 10
    /// Seconds ``MetricsServer/stop()`` waits for in-flight responses before returning. Default 5.
    public var shutdownTimeout: Double = 5
    /// The listen backlog. Default 128.
    public var backlog: Int32 = 128
    /// Stack size of the event-loop and handler threads, in bytes. Default 512 KiB.
    public var threadStackSize: Int = 512 * 1024
    /// HTTPS: certificate, key and client certificates; nil (the default) serves plain HTTP.
    public var tls: MetricsServerTLS?

    /// The defaults.
    public init() {}

    /// Checks that every value is usable.
    ///
    /// - Throws: ``ServingError/invalidOption(name:reason:)`` naming the first bad option.
    public func validate() throws(ServingError) {
        func positive(_ value: Int, _ name: String) throws(ServingError) {
            if value <= 0 { throw .invalidOption(name: name, reason: "must be greater than 0, got \(value)") }
        }
        func seconds(_ value: Double, _ name: String) throws(ServingError) {
            if !(value > 0 && value <= 86_400) {
                throw .invalidOption(name: name, reason: "must be between 0 and 86400 seconds, got \(value)")
            }
        }
        try positive(maxConnections, "maxConnections")
        try positive(handlerThreads, "handlerThreads")
        if handlerThreads > 256 {
            throw .invalidOption(name: "handlerThreads", reason: "must be at most 256, got \(handlerThreads)")
        }
        try positive(maxRequestLineBytes, "maxRequestLineBytes")
        try positive(maxHeaderBytes, "maxHeaderBytes")
        try positive(maxHeaderCount, "maxHeaderCount")
        if maxBodyBytes < 0 { throw .invalidOption(name: "maxBodyBytes", reason: "must not be negative") }
        try seconds(requestTimeout, "requestTimeout")
        try seconds(idleTimeout, "idleTimeout")
        try seconds(writeTimeout, "writeTimeout")
        try seconds(shutdownTimeout, "shutdownTimeout")
        try positive(Int(backlog), "backlog")
        if threadStackSize < 64 * 1024 {
            throw .invalidOption(name: "threadStackSize", reason: "must be at least 65536 bytes")
        }
        try tls?.validate()
    }

    var parser: HTTPRequestParser {
        HTTPRequestParser(
            maxRequestLineBytes: maxRequestLineBytes, maxHeaderBytes: maxHeaderBytes,
            maxHeaderCount: maxHeaderCount, maxBodyBytes: maxBodyBytes)
    }
}

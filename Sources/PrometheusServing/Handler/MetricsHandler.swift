import PrometheusClient

/// Turns an HTTP request into the metrics response for a registry, independent of any web
/// framework: the built-in ``MetricsServer`` uses it, and docs/serving.md shows how to mount it in
/// Vapor, Hummingbird or SwiftNIO.
///
/// Behaviour: `GET`/`HEAD` on the metrics path render the registry in the format negotiated from
/// `Accept` (text 0.0.4 by default, OpenMetrics, escaping), gzipped when `Accept-Encoding` allows
/// and compression is not disabled, restricted to the `name[]` query values when given. `OPTIONS`
/// answers 200 with `Allow: OPTIONS, GET, HEAD`; other methods 405 with the same `Allow`;
/// `/favicon.ico` 200 with an empty body; other paths 404. A collector that throws does not fail
/// the scrape: the other collectors' families are served and the failure is reported (header and
/// callback, see ``MetricsHandlerOptions``).
public struct MetricsHandler: Sendable {
    /// The registry served.
    public let registry: CollectorRegistry
    /// The options.
    public let options: MetricsHandlerOptions

    static let allowedMethods = "OPTIONS, GET, HEAD"

    /// Creates a handler for `registry`.
    public init(registry: CollectorRegistry, options: MetricsHandlerOptions = MetricsHandlerOptions()) {
        self.registry = registry
        self.options = options
    }

    /// Answers a request given by its parts.
    ///
    /// - Parameters:
    ///   - method: the HTTP method, e.g. `GET`.
    ///   - path: the path without the query, e.g. `/metrics`.
    ///   - query: the raw query string after `?`, or nil.
    ///   - headers: the request headers (only `Accept` and `Accept-Encoding` are read).
    /// - Returns: the status, headers and body to send. For `HEAD` the body is the one `GET` would
    ///   send; servers send only its length (the built-in server does).
    public func handle(method: String, path: String, query: String?, headers: [HTTPHeader]) -> HTTPResponse {
        if method == "OPTIONS" {
            return HTTPResponse(status: 200, headers: [HTTPHeader("Allow", Self.allowedMethods)])
        }
        guard method == "GET" || method == "HEAD" else {
            return .text(
                status: 405, "method \(method) not allowed; use OPTIONS, GET or HEAD",
                headers: [HTTPHeader("Allow", Self.allowedMethods)])
        }
        if path == "/favicon.ico" {
            return HTTPResponse(status: 200)
        }
        guard serves(path: path) else {
            return .text(status: 404, "not found; metrics are served on \(options.path)")
        }
        return scrape(query: query, headers: headers)
    }

    /// Whether `path` is the metrics path (or every path is, with
    /// ``MetricsHandlerOptions/servesEveryPath``).
    public func serves(path: String) -> Bool {
        options.servesEveryPath || path == options.path
    }

    /// Answers a parsed request.
    public func handle(_ request: HTTPRequest) -> HTTPResponse {
        handle(method: request.method, path: request.path, query: request.query, headers: request.headers)
    }

    private func scrape(query: String?, headers: [HTTPHeader]) -> HTTPResponse {
        let names = HTTPQuery.values(named: "name[]", in: query)
        let source: any MetricsSource = names.isEmpty ? registry : registry.restricted(toSampleNames: Set(names))
        let accept = headers.values(named: "Accept").joined(separator: ",")
        let negotiated = ContentNegotiation.negotiate(accept: accept)
        var body: [UInt8] = []
        let failures = source.render(as: negotiated.format, escaping: negotiated.escaping, into: &body)
        var responseHeaders = [HTTPHeader("Content-Type", negotiated.contentType)]
        let acceptEncoding = headers.values(named: "Accept-Encoding").joined(separator: ",")
        if !options.disableCompression && ContentNegotiation.acceptsGzip(acceptEncoding) {
            // Level 1: several times faster than the default for about 20% more bytes, the better
            // trade for a response rendered afresh on every scrape.
            body = Gzip.compress(body, level: .fastest)
            responseHeaders.append(HTTPHeader("Content-Encoding", "gzip"))
        }
        if !failures.isEmpty {
            if options.reportsFailuresInHeader {
                responseHeaders.append(HTTPHeader("X-Prometheus-Collector-Failures", String(failures.count)))
            }
            if let report = options.onCollectorFailure {
                for failure in failures { report("collector failed during scrape: \(failure)") }
            }
        }
        return HTTPResponse(status: 200, headers: responseHeaders, body: body)
    }
}

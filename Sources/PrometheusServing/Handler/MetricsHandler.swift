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

    /// Answers `request` as ``handle(_:)`` does, except that a scrape's exposition is rendered into
    /// `buffers.body` and gzipped into `buffers.compressed`, arrays the calling thread keeps from one
    /// request to the next: the response returned has no body of its own, and `buffers` says where
    /// it lies (``ResponseBuffers/serialize(_:version:keepAlive:omitBody:)`` writes it after the head).
    package func respond(to request: HTTPRequest, buffers: inout ResponseBuffers) -> HTTPResponse {
        buffers.payload = nil
        guard request.method == "GET" || request.method == "HEAD", request.path != "/favicon.ico",
            serves(path: request.path)
        else {
            return handle(request)
        }
        let scrape = render(query: request.query, headers: request.headers, into: &buffers.body)
        if scrape.compresses {
            let length = buffers.body.withUnsafeBytes { body in
                Gzip.compress(body, level: .fastest, into: &buffers.compressed)
            }
            buffers.payload = .compressed(count: length)
        } else {
            buffers.payload = .body
        }
        return HTTPResponse(status: 200, headers: scrape.headers)
    }

    private func scrape(query: String?, headers: [HTTPHeader]) -> HTTPResponse {
        var body: [UInt8] = []
        let scrape = render(query: query, headers: headers, into: &body)
        if scrape.compresses {
            body = Gzip.compress(body, level: .fastest)
        }
        return HTTPResponse(status: 200, headers: scrape.headers, body: body)
    }

    /// Renders the exposition a scrape asks for into `body` (replacing its contents, keeping its
    /// capacity), reports collector failures, and says which headers describe it and whether it is
    /// to be gzipped (the headers already say so).
    private func render(query: String?, headers: [HTTPHeader], into body: inout [UInt8]) -> (
        headers: [HTTPHeader], compresses: Bool
    ) {
        let names = HTTPQuery.values(named: "name[]", in: query)
        let source: any MetricsSource = names.isEmpty ? registry : registry.restricted(toSampleNames: Set(names))
        let accept = headers.values(named: "Accept").joined(separator: ",")
        let negotiated = ContentNegotiation.negotiate(accept: accept)
        let failures = source.render(as: negotiated.format, escaping: negotiated.escaping, into: &body)
        var responseHeaders = [HTTPHeader("Content-Type", negotiated.contentType)]
        let acceptEncoding = headers.values(named: "Accept-Encoding").joined(separator: ",")
        // Level 1 (below): several times faster than the default for about 20% more bytes, the better
        // trade for a response rendered afresh on every scrape.
        let compresses = !options.disableCompression && ContentNegotiation.acceptsGzip(acceptEncoding)
        if compresses {
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
        return (responseHeaders, compresses)
    }
}

/// Arrays a server's handler thread keeps from one response to the next, so that a scrape renders
/// and compresses without allocating once they have grown to the exposition's size.
package struct ResponseBuffers {
    /// Where the body of the latest response lies when it is not the response's own.
    enum Payload {
        /// All of ``body``.
        case body
        /// The first `count` bytes of ``compressed``.
        case compressed(count: Int)
    }

    /// The rendered exposition.
    var body: [UInt8] = []
    /// Its gzip member, followed by unused room.
    var compressed: [UInt8] = []
    /// Where the latest response's body lies, or nil for the response's own body.
    var payload: Payload?

    package init() {}

    /// The bytes on the wire for `response`, whose body is the payload when there is one: head and
    /// body written once, into one array of their exact size.
    package func serialize(_ response: HTTPResponse, version: HTTPVersion, keepAlive: Bool, omitBody: Bool) -> [UInt8] {
        switch payload {
        case nil:
            return response.serialized(version: version, keepAlive: keepAlive, omitBody: omitBody)
        case .body:
            return body.withUnsafeBytes {
                response.serialized(version: version, keepAlive: keepAlive, body: $0, omitBody: omitBody)
            }
        case .compressed(let count):
            return compressed.withUnsafeBytes {
                response.serialized(
                    version: version, keepAlive: keepAlive, body: UnsafeRawBufferPointer(rebasing: $0[..<count]),
                    omitBody: omitBody)
            }
        }
    }
}

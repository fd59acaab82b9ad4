import PrometheusClient
import PrometheusSystem

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
    /// The collections in flight that concurrent scrapes share (copies of the handler share it).
    private let coalescer = ScrapeCoalescer()

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
        let plan = plan(query: request.query, headers: request.headers)
        let turn = options.coalescesScrapes ? coalescer.turn(for: plan.key, deadline: plan.deadline) : .alone
        if case .follow(let shared) = turn {
            buffers.body.removeAll(keepingCapacity: true)
            buffers.body.append(contentsOf: shared.bytes)
            buffers.payload = .body
            return HTTPResponse(status: 200, headers: shared.headers)
        }
        let headers = render(plan, into: &buffers.body)
        if plan.key.compresses {
            let length = buffers.body.withUnsafeBytes { body in
                Gzip.compress(body, level: .fastest, into: &buffers.compressed)
            }
            buffers.payload = .compressed(count: length)
        } else {
            buffers.payload = .body
        }
        if case .lead = turn {
            coalescer.finish(plan.key) {
                ScrapeCoalescer.Shared(headers: headers, bytes: buffers.payloadBytes)
            }
        }
        return HTTPResponse(status: 200, headers: headers)
    }

    private func scrape(query: String?, headers: [HTTPHeader]) -> HTTPResponse {
        let plan = plan(query: query, headers: headers)
        let turn = options.coalescesScrapes ? coalescer.turn(for: plan.key, deadline: plan.deadline) : .alone
        if case .follow(let shared) = turn {
            return HTTPResponse(status: 200, headers: shared.headers, body: shared.bytes)
        }
        var body: [UInt8] = []
        let responseHeaders = render(plan, into: &body)
        if plan.key.compresses {
            body = Gzip.compress(body, level: .fastest)
        }
        if case .lead = turn {
            coalescer.finish(plan.key) { ScrapeCoalescer.Shared(headers: responseHeaders, bytes: body) }
        }
        return HTTPResponse(status: 200, headers: responseHeaders, body: body)
    }

    /// What a scrape asks for, decided from its request before anything is collected.
    private struct ScrapePlan {
        var key: ScrapeCoalescer.Key
        var contentType: String
        /// Until when it waits for a collection in flight (monotonic seconds).
        var deadline: Double
    }

    private func plan(query: String?, headers: [HTTPHeader]) -> ScrapePlan {
        let names = Array(Set(HTTPQuery.values(named: "name[]", in: query))).sorted()
        let negotiated = ContentNegotiation.negotiate(accept: headers.values(named: "Accept").joined(separator: ","))
        let acceptEncoding = headers.values(named: "Accept-Encoding").joined(separator: ",")
        let compresses = !options.disableCompression && ContentNegotiation.acceptsGzip(acceptEncoding)
        let timeout =
            headers.values(named: "X-Prometheus-Scrape-Timeout-Seconds").first.flatMap { Double($0) }
            ?? options.coalescingTimeout
        return ScrapePlan(
            key: ScrapeCoalescer.Key(
                format: negotiated.format, escaping: negotiated.escaping, sampleNames: names, compresses: compresses),
            contentType: negotiated.contentType,
            deadline: SystemClock.monotonic() + Swift.min(Swift.max(timeout, 0), 300))
    }

    /// Renders the exposition `plan` asks for into `body` (replacing its contents, keeping its
    /// capacity), reports collector failures, and returns the headers that describe it (gzip
    /// included when the plan compresses).
    private func render(_ plan: ScrapePlan, into body: inout [UInt8]) -> [HTTPHeader] {
        let names = plan.key.sampleNames
        let source: any MetricsSource = names.isEmpty ? registry : registry.restricted(toSampleNames: Set(names))
        let failures = source.render(as: plan.key.format, escaping: plan.key.escaping, into: &body)
        var responseHeaders = [HTTPHeader("Content-Type", plan.contentType)]
        // Level 1 (the callers'): several times faster than the default for about 20% more bytes,
        // the better trade for a response rendered afresh on every scrape.
        if plan.key.compresses {
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
        return responseHeaders
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

    /// A copy of the latest response's body as the payload says where it lies (for scrapes that
    /// share it).
    var payloadBytes: [UInt8] {
        switch payload {
        case nil: return []
        case .body: return body
        case .compressed(let count): return Array(compressed[..<count])
        }
    }

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

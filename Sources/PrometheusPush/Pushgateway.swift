import Foundation
import PrometheusClient

/// A client for a Prometheus Pushgateway: pushes, adds to and deletes groups of metrics.
///
/// ```swift
/// let gateway = try Pushgateway("pushgateway.local:9091")
/// try gateway.push(job: "nightly-backup", groupingKey: ["instance": "db1"], registry: registry)
/// ```
///
/// The group lives at `<gateway>/metrics/job/<job>{/<label>/<value>}` (see ``PushgatewayPath`` for
/// the escaping). The body is the Prometheus text format 0.0.4 with `underscores` escaping, sent
/// with `Content-Type: text/plain; version=0.0.4; charset=utf-8`, optionally gzip-compressed.
/// An answer of 400 or more throws ``PushError/unexpectedStatus(code:body:)`` with the gateway's
/// explanation. A redirect throws ``PushError/redirected(code:location:)``, as the Python client's
/// default handler fails on it: a redirect followed the usual way would lose the body. Use a
/// ``RedirectFollowingPushHandler`` (Python's `passthrough_redirect_handler`) to resend to the new
/// location.
public struct Pushgateway: Sendable {
    /// The content type of every request, as Python sends it.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// The gateway's base URL: a scheme (`http` unless `https` was given), host, port and any path
    /// prefix, without a trailing `/`.
    public let baseURL: String
    /// How long one request may take (default 30 s).
    public var timeout: Duration
    /// How request bodies are compressed.
    public var compression: PushCompression
    /// The handler that performs requests (``URLSessionPushHandler`` unless replaced).
    public var handler: any PushHandler

    /// Creates a client for the gateway at `address` (`host:port`, `http://host:port/prefix`,
    /// `https://...`). A missing scheme, or one other than http and https, gets `http://` in front,
    /// and trailing slashes are dropped, as Python does.
    ///
    /// - Throws: ``PushError/invalidGatewayAddress(_:reason:)`` when the result is not a URL with a
    ///   host.
    public init(
        _ address: String,
        timeout: Duration = .seconds(30),
        compression: PushCompression = .none,
        handler: any PushHandler = URLSessionPushHandler()
    ) throws(PushError) {
        var base = address
        let lowered = address.lowercased()
        if !(lowered.hasPrefix("http://") || lowered.hasPrefix("https://")) {
            base = "http://" + address
        }
        while base.hasSuffix("/") {
            base.removeLast()
        }
        guard let url = URL(string: base), let host = url.host, !host.isEmpty else {
            throw .invalidGatewayAddress(address, reason: "expected host[:port] or http(s)://host[:port][/path]")
        }
        guard url.query == nil, url.fragment == nil else {
            throw .invalidGatewayAddress(address, reason: "the address must not have a query or fragment")
        }
        self.baseURL = base
        self.timeout = timeout
        self.compression = compression
        self.handler = handler
    }

    /// The URL of the group for `job` and `groupingKey`.
    ///
    /// - Throws: ``PushError/invalidJob(_:reason:)`` or ``PushError/invalidGroupingKey(name:reason:)``.
    public func url(job: String, groupingKey: [String: String] = [:]) throws(PushError) -> URL {
        let path = try PushgatewayPath.path(job: job, groupingKey: groupingKey)
        guard let url = URL(string: baseURL + path) else {
            throw .invalidGatewayAddress(baseURL, reason: "cannot append the group path \(path)")
        }
        return url
    }

    /// Deletes the whole group (`DELETE`).
    ///
    /// - Throws: ``PushError`` for an invalid job or grouping key, a transport failure, or an answer
    ///   of 400 or more.
    public func delete(job: String, groupingKey: [String: String] = [:]) throws(PushError) {
        let request = try makeRequest(.delete, job: job, groupingKey: groupingKey, exposition: [])
        try check(handler.send(request))
    }

    /// Deletes the whole group (`DELETE`), suspending instead of blocking.
    ///
    /// - Throws: as ``delete(job:groupingKey:)``.
    public func delete(job: String, groupingKey: [String: String] = [:]) async throws(PushError) {
        let request = try makeRequest(.delete, job: job, groupingKey: groupingKey, exposition: [])
        try check(await handler.send(request))
    }

    /// Sends an already rendered text-format exposition with `method`.
    ///
    /// - Throws: as ``delete(job:groupingKey:)``, and ``PushError/compressionFailed(_:)``.
    func send(_ method: PushMethod, job: String, groupingKey: [String: String], exposition: [UInt8])
        throws(PushError)
    {
        let request = try makeRequest(method, job: job, groupingKey: groupingKey, exposition: exposition)
        try check(handler.send(request))
    }

    /// Sends an already rendered text-format exposition with `method`, suspending instead of blocking.
    ///
    /// - Throws: as ``delete(job:groupingKey:)``, and ``PushError/compressionFailed(_:)``.
    func send(_ method: PushMethod, job: String, groupingKey: [String: String], exposition: [UInt8])
        async throws(PushError)
    {
        let request = try makeRequest(method, job: job, groupingKey: groupingKey, exposition: exposition)
        try check(await handler.send(request))
    }

    /// The request for `method` with the rendered `exposition` as body (ignored for `DELETE`).
    ///
    /// - Throws: as ``url(job:groupingKey:)``, and ``PushError/compressionFailed(_:)``.
    func makeRequest(_ method: PushMethod, job: String, groupingKey: [String: String], exposition: [UInt8])
        throws(PushError) -> PushRequest
    {
        var request = PushRequest(url: try url(job: job, groupingKey: groupingKey), method: method, timeout: timeout)
        request.setHeader("Content-Type", Self.contentType)
        guard method != .delete else {
            return request
        }
        switch compression {
        case .none:
            request.body = exposition
        case .gzip:
            request.body = Gzip.compress(exposition)
            request.setHeader("Content-Encoding", "gzip")
        }
        return request
    }

    private func check(_ response: PushResponse) throws(PushError) {
        if response.isRedirect {
            throw .redirected(code: response.statusCode, location: response.location)
        }
        guard response.statusCode < 400 else {
            throw .unexpectedStatus(code: response.statusCode, body: response.bodyText)
        }
    }
}

import PrometheusClient

/// An HTTP request: what a ``MetricsHandler`` answers, and what ``MetricsServer`` hands to its
/// handler for other requests.
public struct HTTPRequest: Sendable, Hashable {
    /// The method, case-sensitive as HTTP requires (`GET`, `HEAD`, ...).
    public var method: String
    /// The request target exactly as sent (`/metrics?name[]=x`, `*`, or an absolute URL).
    public var target: String
    /// The protocol version.
    public var version: HTTPVersion
    /// The header fields in the order received.
    public var headers: [HTTPHeader]
    /// The body (empty unless the server allows bodies and the client sent one).
    public var body: [UInt8]

    /// Creates a request from its parts (for tests and for adapting other servers' requests).
    public init(
        method: String,
        target: String,
        version: HTTPVersion = .http11,
        headers: [HTTPHeader] = [],
        body: [UInt8] = []
    ) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.body = body
    }

    /// The path part of the target, without the query; for an absolute URL
    /// (`http://host:9100/metrics?x`) the scheme and authority are removed too.
    public var path: String {
        var rest = Substring(target)
        if !rest.hasPrefix("/"), let colon = rest.firstIndex(of: ":"), rest[colon...].hasPrefix("://") {
            rest = rest[rest.index(colon, offsetBy: 3)...]
            rest = rest.firstIndex(of: "/").map { rest[$0...] } ?? "/"
        }
        if let question = rest.firstIndex(of: "?") {
            rest = rest[..<question]
        }
        return String(rest)
    }

    /// The decoded values of every query parameter called `name` (`application/x-www-form-urlencoded`,
    /// as Python's `parse_qs`: `+` is a space, `%XX` a byte), in order.
    public func queryValues(named name: String) -> [String] {
        HTTPQuery.values(named: name, in: query)
    }

    /// The raw query string after `?`, or `nil` when the target has none.
    public var query: String? {
        guard let question = target.firstIndex(of: "?") else { return nil }
        return String(target[target.index(after: question)...])
    }

    /// Whether the client wants the connection kept open after the response: HTTP/1.1 unless it sent
    /// `Connection: close`, HTTP/1.0 only if it sent `Connection: keep-alive`.
    public var wantsKeepAlive: Bool {
        let tokens = headers.values(named: "Connection").flatMap { value in
            value.split(separator: ",").map { $0.trimmingSpaces().lowercased() }
        }
        if tokens.contains("close") {
            return false
        }
        switch version {
        case .http11: return true
        case .http10: return tokens.contains("keep-alive")
        }
    }
}

extension Substring {
    func trimmingSpaces() -> Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" { result = result.dropFirst() }
        while let last = result.last, last == " " || last == "\t" { result = result.dropLast() }
        return result
    }
}

import Foundation
import PrometheusClient

/// One HTTP request to a Pushgateway, as handed to a ``PushHandler``.
///
/// Handlers may change it (add headers, rewrite the URL) before passing it on.
public struct PushRequest: Sendable, Hashable {
    /// The full URL, `<gateway>/metrics/job/<job>{/<label>/<value>}`.
    public var url: URL
    /// The HTTP method.
    public var method: PushMethod
    /// Header fields in sending order. Names compare case-insensitively in HTTP; ``setHeader(_:_:)``
    /// replaces an existing field of any case.
    public var headers: [(name: String, value: String)]
    /// The body: the (possibly gzip-compressed) exposition, empty for `DELETE`.
    public var body: [UInt8]
    /// How long to wait for the whole exchange (connect, send, answer).
    public var timeout: Duration

    /// Creates a request.
    public init(
        url: URL,
        method: PushMethod,
        headers: [(name: String, value: String)] = [],
        body: [UInt8] = [],
        timeout: Duration = .seconds(30)
    ) {
        self.url = url
        self.method = method
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }

    /// The value of the first header called `name` (case-insensitive), if any.
    public func header(_ name: String) -> String? {
        let lowered = name.lowercased()
        return headers.first { $0.name.lowercased() == lowered }?.value
    }

    /// Sets the header `name` to `value`, replacing every field of that name (case-insensitive).
    public mutating func setHeader(_ name: String, _ value: String) {
        let lowered = name.lowercased()
        headers.removeAll { $0.name.lowercased() == lowered }
        headers.append((name: name, value: value))
    }

    /// The timeout in seconds, as Foundation wants it.
    var timeoutInterval: Double {
        let parts = timeout.components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }

    /// Compares URL, method, body, timeout and headers (in order).
    public static func == (lhs: PushRequest, rhs: PushRequest) -> Bool {
        lhs.url == rhs.url && lhs.method == rhs.method && lhs.body == rhs.body
            && lhs.timeout == rhs.timeout
            && lhs.headers.map(\.name) == rhs.headers.map(\.name)
            && lhs.headers.map(\.value) == rhs.headers.map(\.value)
    }

    /// Hashes the same parts that ``==`` compares.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(url)
        hasher.combine(method)
        hasher.combine(body)
        hasher.combine(timeout)
        for header in headers {
            hasher.combine(header.name)
            hasher.combine(header.value)
        }
    }
}

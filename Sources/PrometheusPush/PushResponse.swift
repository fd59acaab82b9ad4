import PrometheusClient

/// The answer to a ``PushRequest``.
public struct PushResponse: Sendable, Hashable {
    /// The HTTP status code.
    public var statusCode: Int
    /// The body of the answer (the Pushgateway explains rejections here).
    public var body: [UInt8]
    /// The `Location` header of a redirect, if the answer has one.
    public var location: String?

    /// Creates a response.
    public init(statusCode: Int, body: [UInt8] = [], location: String? = nil) {
        self.statusCode = statusCode
        self.body = body
        self.location = location
    }

    /// Whether the answer is a redirect (3xx).
    public var isRedirect: Bool {
        (300..<400).contains(statusCode)
    }

    /// The body decoded as UTF-8 (invalid bytes replaced).
    public var bodyText: String {
        String(decoding: body, as: UTF8.self)
    }
}

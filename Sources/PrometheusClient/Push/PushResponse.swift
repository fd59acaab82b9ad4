/// The answer to a ``PushRequest``.
public struct PushResponse: Sendable, Hashable {
    /// The HTTP status code.
    public var statusCode: Int
    /// The body of the answer (the Pushgateway explains rejections here).
    public var body: [UInt8]

    /// Creates a response.
    public init(statusCode: Int, body: [UInt8] = []) {
        self.statusCode = statusCode
        self.body = body
    }

    /// The body decoded as UTF-8 (invalid bytes replaced).
    public var bodyText: String {
        String(decoding: body, as: UTF8.self)
    }
}

import PrometheusClient

/// A ``PushHandler`` that sets extra header fields (an API token, a tenant id, ...) on every request
/// and passes it on.
public struct HeaderPushHandler: DecoratingPushHandler {
    /// The header fields to set, replacing fields of the same name.
    public var headers: [(name: String, value: String)]
    /// The handler that sends the changed request.
    public var next: any PushHandler

    /// Creates a handler that sets `headers` and passes requests to `next`.
    public init(headers: [(name: String, value: String)], next: any PushHandler = URLSessionPushHandler()) {
        self.headers = headers
        self.next = next
    }

    /// Creates a handler from a dictionary of header fields (set in name order).
    public init(headers: [String: String], next: any PushHandler = URLSessionPushHandler()) {
        self.init(headers: headers.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) }, next: next)
    }

    /// The request with the header set.
    public func decorate(_ request: PushRequest) -> PushRequest {
        var changed = request
        for header in headers {
            changed.setHeader(header.name, header.value)
        }
        return changed
    }
}

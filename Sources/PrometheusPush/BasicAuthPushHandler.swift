import Foundation
import PrometheusClient

/// A ``PushHandler`` that adds HTTP basic authentication (`Authorization: Basic ...`) and passes the
/// request on, like Python's `basic_auth_handler`.
///
/// Use it only over HTTPS or on a trusted network: basic credentials travel in clear text.
public struct BasicAuthPushHandler: DecoratingPushHandler {
    /// The user name.
    public var username: String
    /// The password.
    public var password: String
    /// The handler that sends the changed request.
    public var next: any PushHandler

    /// Creates a handler that authenticates as `username` with `password`.
    public init(username: String, password: String, next: any PushHandler = URLSessionPushHandler()) {
        self.username = username
        self.password = password
        self.next = next
    }

    /// The `Authorization` header value: `Basic base64(username:password)`.
    public var authorization: String {
        "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
    }

    /// The request with the header set.
    public func decorate(_ request: PushRequest) -> PushRequest {
        var changed = request
        changed.setHeader("Authorization", authorization)
        return changed
    }
}

import Foundation
import PrometheusClient

/// A ``PushHandler`` that follows redirects by sending the same request, method, headers and body
/// included, to the new location: the counterpart of the Python client's
/// `passthrough_redirect_handler`, for gateways behind a proxy that redirects (a moved host, HTTP to
/// HTTPS). Without it a redirect fails the push (``PushError/redirected(code:location:)``).
///
/// Only 301, 302, 303, 307 and 308 with a `Location` are followed, at most ``maximumRedirects``
/// times; relative locations are resolved against the request's URL.
///
/// ```swift
/// let gateway = try Pushgateway("gateway:9091", handler: RedirectFollowingPushHandler())
/// ```
public struct RedirectFollowingPushHandler: PushHandler {
    /// The handler that sends each request.
    public var next: any PushHandler
    /// How many redirects one push may follow (10, as Python's urllib).
    public var maximumRedirects: Int

    /// Creates a handler that sends through `next` and follows up to `maximumRedirects` redirects.
    public init(next: any PushHandler = URLSessionPushHandler(), maximumRedirects: Int = 10) {
        self.next = next
        self.maximumRedirects = maximumRedirects
    }

    /// Sends the request, resending it unchanged to each redirect's location.
    ///
    /// - Throws: whatever `next` throws, ``PushError/tooManyRedirects(url:limit:)``, and
    ///   ``PushError/invalidGatewayAddress(_:reason:)`` for a location that is not a URL.
    public func send(_ request: PushRequest) throws(PushError) -> PushResponse {
        var current = request
        for _ in 0...maximumRedirects {
            let response = try next.send(current)
            guard let target = try Self.redirectTarget(of: response, for: current) else { return response }
            current.url = target
        }
        throw .tooManyRedirects(url: request.url.absoluteString, limit: maximumRedirects)
    }

    /// Sends the request, resending it unchanged to each redirect's location, suspending instead of
    /// blocking.
    ///
    /// - Throws: as the synchronous form.
    public func send(_ request: PushRequest) async throws(PushError) -> PushResponse {
        var current = request
        for _ in 0...maximumRedirects {
            let response = try await next.send(current)
            guard let target = try Self.redirectTarget(of: response, for: current) else { return response }
            current.url = target
        }
        throw .tooManyRedirects(url: request.url.absoluteString, limit: maximumRedirects)
    }

    /// Where a redirect answer sends the request, or nil when the answer is not one to follow.
    static func redirectTarget(of response: PushResponse, for request: PushRequest) throws(PushError) -> URL? {
        guard [301, 302, 303, 307, 308].contains(response.statusCode), let location = response.location else {
            return nil
        }
        guard let target = URL(string: location, relativeTo: request.url)?.absoluteURL,
            target.scheme == "http" || target.scheme == "https"
        else {
            throw .invalidGatewayAddress(location, reason: "the redirect location is not an http(s) URL")
        }
        return target
    }
}

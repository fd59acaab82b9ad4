import Dispatch
import PrometheusClient

/// Performs a ``PushRequest``: the transport behind ``Pushgateway``, and the place to add
/// authentication, headers, logging or a fake for tests.
///
/// Handlers compose: ``BasicAuthPushHandler`` and ``HeaderPushHandler`` change the request and pass
/// it to the handler they wrap, which is ``URLSessionPushHandler`` by default. Write your own by
/// implementing the synchronous ``send(_:)-(PushRequest)``; the async form then runs it on a
/// Dispatch queue so that it never blocks Swift concurrency's threads. Implement both when the
/// transport has a native async form.
///
/// A handler returns every answer it gets, whatever its status: ``Pushgateway`` turns a status of
/// 400 or more into ``PushError/unexpectedStatus(code:body:)``.
public protocol PushHandler: Sendable {
    /// Sends `request` and waits for the answer.
    ///
    /// - Throws: ``PushError/timedOut(url:seconds:)`` or ``PushError/transportFailed(url:reason:)``
    ///   when no answer arrives.
    func send(_ request: PushRequest) throws(PushError) -> PushResponse

    /// Sends `request` and suspends until the answer arrives.
    ///
    /// - Throws: as the synchronous form; cancelling the task cancels the request
    ///   (``PushError/transportFailed(url:reason:)``).
    func send(_ request: PushRequest) async throws(PushError) -> PushResponse
}

extension PushHandler {
    /// Runs the synchronous ``send(_:)-(PushRequest)`` on a Dispatch queue and resumes when it
    /// finishes.
    ///
    /// - Throws: whatever the synchronous form throws.
    public func send(_ request: PushRequest) async throws(PushError) -> PushResponse {
        let result: Result<PushResponse, PushError> = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                do throws(PushError) {
                    continuation.resume(returning: .success(try self.send(request)))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }
}

/// A ``PushHandler`` that changes each request (adds headers, rewrites the URL) and passes it to
/// another handler: implement ``decorate(_:)`` and get both forms of `send`.
public protocol DecoratingPushHandler: PushHandler {
    /// The handler that sends the changed request.
    var next: any PushHandler { get }

    /// The request to send instead of `request`.
    func decorate(_ request: PushRequest) -> PushRequest
}

extension DecoratingPushHandler {
    /// Decorates the request and sends it with ``next``.
    ///
    /// - Throws: whatever `next` throws.
    public func send(_ request: PushRequest) throws(PushError) -> PushResponse {
        try next.send(decorate(request))
    }

    /// Decorates the request and sends it with ``next``, suspending instead of blocking.
    ///
    /// - Throws: whatever `next` throws.
    public func send(_ request: PushRequest) async throws(PushError) -> PushResponse {
        try await next.send(decorate(request))
    }
}

import Dispatch
import Foundation
import PrometheusClient
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The default ``PushHandler``: sends requests over HTTP or HTTPS with Foundation's `URLSession`.
///
/// Each request gets its own ephemeral session (no cookies, no cache) whose resource timeout is the
/// request's timeout, so a stalled gateway cannot hold a push longer than asked. HTTPS uses the
/// system's trust store. Redirects are never followed (URLSession would resend a PUT or POST without
/// its body, or as a GET): the 3xx answer is returned with its `Location`, and ``Pushgateway`` fails
/// on it unless a ``RedirectFollowingPushHandler`` resends the request.
public struct URLSessionPushHandler: PushHandler {
    /// Creates the handler.
    public init() {}

    /// Sends the request and blocks the calling thread until the answer or the timeout.
    ///
    /// - Throws: ``PushError/timedOut(url:seconds:)`` when the timeout passes and
    ///   ``PushError/transportFailed(url:reason:)`` when the connection fails.
    public func send(_ request: PushRequest) throws(PushError) -> PushResponse {
        let session = Self.makeSession(for: request)
        defer { session.finishTasksAndInvalidate() }
        let outcome = Mutex<Result<PushResponse, PushError>?>(nil)
        let done = DispatchSemaphore(value: 0)
        let task = session.dataTask(with: Self.urlRequest(for: request)) { data, response, error in
            outcome.withLock { $0 = Self.result(request, data, response, error) }
            done.signal()
        }
        task.resume()
        // URLSession enforces the timeout itself; the extra second only guards against a session that
        // never calls back.
        if done.wait(timeout: .now() + request.timeoutInterval + 1) == .timedOut {
            task.cancel()
            throw .timedOut(url: request.url.absoluteString, seconds: request.timeoutInterval)
        }
        guard let result = outcome.withLock({ $0 }) else {
            throw .transportFailed(url: request.url.absoluteString, reason: "the session finished without an answer")
        }
        return try result.get()
    }

    /// Sends the request and suspends until the answer or the timeout; cancelling the task cancels
    /// the request.
    ///
    /// - Throws: ``PushError/timedOut(url:seconds:)`` when the timeout passes and
    ///   ``PushError/transportFailed(url:reason:)`` when the connection fails or the task is cancelled.
    public func send(_ request: PushRequest) async throws(PushError) -> PushResponse {
        let session = Self.makeSession(for: request)
        defer { session.finishTasksAndInvalidate() }
        let state = Mutex<(task: URLSessionDataTask?, cancelled: Bool)>((nil, false))
        let result: Result<PushResponse, PushError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let task = session.dataTask(with: Self.urlRequest(for: request)) { data, response, error in
                    continuation.resume(returning: Self.result(request, data, response, error))
                }
                let cancelled = state.withLock { current in
                    current.task = task
                    return current.cancelled
                }
                task.resume()
                if cancelled {
                    task.cancel()
                }
            }
        } onCancel: {
            let task = state.withLock { current in
                current.cancelled = true
                return current.task
            }
            task?.cancel()
        }
        return try result.get()
    }

    private static func makeSession(for request: PushRequest) -> URLSession {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = request.timeoutInterval
        configuration.timeoutIntervalForResource = request.timeoutInterval
        return URLSession(configuration: configuration, delegate: RedirectRefusal(), delegateQueue: nil)
    }

    /// Hands every redirect back to the caller instead of following it.
    private final class RedirectRefusal: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
        func urlSession(
            _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
            newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void
        ) {
            completionHandler(nil)
        }
    }

    private static func urlRequest(for request: PushRequest) -> URLRequest {
        var urlRequest = URLRequest(url: request.url)
        urlRequest.httpMethod = request.method.rawValue
        urlRequest.timeoutInterval = request.timeoutInterval
        for header in request.headers {
            urlRequest.setValue(header.value, forHTTPHeaderField: header.name)
        }
        if !request.body.isEmpty {
            urlRequest.httpBody = Data(request.body)
        }
        return urlRequest
    }

    private static func result(
        _ request: PushRequest,
        _ data: Data?,
        _ response: URLResponse?,
        _ error: (any Error)?
    ) -> Result<PushResponse, PushError> {
        let url = request.url.absoluteString
        if let error {
            if let urlError = error as? URLError, urlError.code == .timedOut {
                return .failure(.timedOut(url: url, seconds: request.timeoutInterval))
            }
            if let urlError = error as? URLError, urlError.code == .cancelled {
                return .failure(.transportFailed(url: url, reason: "the request was cancelled"))
            }
            return .failure(.transportFailed(url: url, reason: error.localizedDescription))
        }
        guard let http = response as? HTTPURLResponse else {
            return .failure(.transportFailed(url: url, reason: "the answer is not an HTTP response"))
        }
        return .success(
            PushResponse(
                statusCode: http.statusCode, body: Array(data ?? Data()),
                location: http.value(forHTTPHeaderField: "Location")))
    }
}

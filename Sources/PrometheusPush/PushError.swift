import PrometheusClient

/// Why a push to a Pushgateway failed. Every case says what went wrong and what to check.
public enum PushError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The gateway address cannot be turned into a URL.
    case invalidGatewayAddress(String, reason: String)
    /// The job name is empty (the Pushgateway requires one).
    case invalidJob(String, reason: String)
    /// A grouping-key label name is not allowed (empty, reserved, `job`, or not `[a-zA-Z_][a-zA-Z0-9_]*`).
    case invalidGroupingKey(name: String, reason: String)
    /// The Pushgateway (or a proxy in front of it) answered with a status of 400 or more; `body` is
    /// the answer's text, which usually says what the gateway rejected.
    case unexpectedStatus(code: Int, body: String)
    /// The gateway (or a proxy) answered a push with a redirect, which is not followed: following it
    /// as HTTP clients usually do would resend a PUT or POST without its body (or as a GET) and
    /// silently replace the group with nothing. Push to `location` directly, or send through a
    /// ``RedirectFollowingPushHandler``, which resends the request unchanged.
    case redirected(code: Int, location: String?)
    /// A ``RedirectFollowingPushHandler`` met more redirects than it allows.
    case tooManyRedirects(url: String, limit: Int)
    /// No answer arrived within the configured timeout.
    case timedOut(url: String, seconds: Double)
    /// The request could not be sent or the answer not read (connection refused, DNS, TLS, ...).
    case transportFailed(url: String, reason: String)
    /// Collecting the metrics failed, so nothing was pushed (a partial push with PUT would replace the
    /// whole group with incomplete data).
    case collectionFailed(String)
    /// Compressing the body failed.
    case compressionFailed(String)
    /// A file given to a ``TLSPushHandler`` cannot be used: `role` says what it was for
    /// (`certificate`, `private key`, `CA file`, `CA directory`), `reason` is OpenSSL's.
    case tlsFileUnusable(role: String, path: String, reason: String)

    /// A message a user can act on.
    public var description: String {
        switch self {
        case .redirected(let code, let location):
            return
                "the Pushgateway answered \(code) redirecting to \(location ?? "(no Location)"), which is not followed "
                + "so that nothing is pushed without its body; push to that address, or use RedirectFollowingPushHandler"
        case .tooManyRedirects(let url, let limit):
            return "more than \(limit) redirects pushing to \(url)"
        case .invalidGatewayAddress(let address, let reason):
            return "invalid Pushgateway address \"\(address)\": \(reason)"
        case .invalidJob(let job, let reason):
            return "invalid Pushgateway job name \"\(job)\": \(reason)"
        case .invalidGroupingKey(let name, let reason):
            return "invalid grouping-key label name \"\(name)\": \(reason)"
        case .unexpectedStatus(let code, let body):
            let trimmed = body.trimmingTrailingWhitespace
            return "the Pushgateway answered HTTP \(code)" + (trimmed.isEmpty ? "" : ": \(trimmed)")
        case .timedOut(let url, let seconds):
            return
                "no answer from \(url) within \(seconds) s; check that the Pushgateway is reachable or raise the timeout"
        case .transportFailed(let url, let reason):
            return "could not talk to the Pushgateway at \(url): \(reason)"
        case .collectionFailed(let reason):
            return "collecting metrics failed, nothing was pushed: \(reason)"
        case .compressionFailed(let reason):
            return "compressing the push body failed: \(reason)"
        case .tlsFileUnusable(let role, let path, let reason):
            return "cannot use TLS \(role) \(path) for pushing: \(reason)"
        }
    }
}

extension String {
    fileprivate var trimmingTrailingWhitespace: String {
        var result = Substring(self)
        while let last = result.last, last.isWhitespace {
            result.removeLast()
        }
        return String(result)
    }
}

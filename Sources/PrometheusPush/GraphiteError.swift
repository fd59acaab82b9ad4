import PrometheusClient

/// Why a push to Graphite failed. Every case names the server and what to check.
public enum GraphiteError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The prefix would break the plaintext protocol (whitespace, control or non-ASCII characters).
    case invalidPrefix(String, reason: String)
    /// The host name could not be resolved.
    case resolutionFailed(host: String, reason: String)
    /// No connection could be made (refused, unreachable, ...).
    case connectionFailed(host: String, port: Int, reason: String)
    /// The connection dropped while sending.
    case sendFailed(host: String, port: Int, reason: String)
    /// Connecting and sending took longer than the timeout.
    case timedOut(host: String, port: Int, seconds: Double)
    /// Collecting the metrics failed; the families that could be collected were still sent.
    case collectionFailed(String)
    /// A pusher's interval is not a positive duration.
    case invalidInterval(String)
    /// The push was abandoned because the pusher is stopping.
    case stopped

    /// A message a user can act on.
    public var description: String {
        switch self {
        case .invalidPrefix(let prefix, let reason):
            return "invalid Graphite prefix \"\(prefix)\": \(reason)"
        case .resolutionFailed(let host, let reason):
            return "cannot resolve Graphite host \(host): \(reason)"
        case .connectionFailed(let host, let port, let reason):
            return "cannot connect to Graphite at \(host):\(port): \(reason); check that carbon is listening"
        case .sendFailed(let host, let port, let reason):
            return "sending to Graphite at \(host):\(port) failed: \(reason)"
        case .timedOut(let host, let port, let seconds):
            return "pushing to Graphite at \(host):\(port) took longer than \(seconds) s"
        case .collectionFailed(let reason):
            return "collecting metrics for Graphite failed (the rest was sent): \(reason)"
        case .invalidInterval(let reason):
            return "invalid Graphite push interval: \(reason)"
        case .stopped:
            return "the Graphite push was abandoned because the pusher was stopped"
        }
    }
}

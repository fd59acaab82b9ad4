import PrometheusClient

/// The HTTP versions the built-in server speaks.
public enum HTTPVersion: String, Sendable, Hashable {
    /// HTTP/1.0: the connection closes after each response unless the client asks for keep-alive.
    case http10 = "HTTP/1.0"
    /// HTTP/1.1: connections stay open unless either side says `Connection: close`.
    case http11 = "HTTP/1.1"
}

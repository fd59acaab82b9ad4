import PrometheusClient

/// How the body of a push is compressed.
public enum PushCompression: Sendable, Hashable {
    /// The body is sent as is.
    case none
    /// The body is gzip-compressed and sent with `Content-Encoding: gzip` (Pushgateway 1.5 and later
    /// accept it). Worth it for large groups: text exposition shrinks 10 to 30 times.
    case gzip
}

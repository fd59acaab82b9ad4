import PrometheusClient

/// How a ``MetricsHandler`` answers: which path serves metrics, compression, and what to do when a
/// collector fails. The defaults match the Python client's WSGI app except where noted.
public struct MetricsHandlerOptions: Sendable {
    /// The path that serves metrics. Default `/metrics`. Other paths get 404 (the Python client
    /// serves metrics on every path; set ``servesEveryPath`` for that behaviour).
    public var path: String = "/metrics"
    /// Serve metrics on every path instead of only ``path`` (the Python client's behaviour).
    public var servesEveryPath: Bool = false
    /// Never gzip, even when the client accepts it. Default false.
    public var disableCompression: Bool = false
    /// Adds `X-Prometheus-Collector-Failures: <count>` to responses when collectors threw during
    /// the scrape (the other collectors' families are still served). Default true.
    public var reportsFailuresInHeader: Bool = true
    /// Called once per failed collector per scrape with a message naming the collector and the
    /// error, e.g. to log it. Default: nothing.
    public var onCollectorFailure: (@Sendable (String) -> Void)?

    /// The defaults.
    public init() {}
}

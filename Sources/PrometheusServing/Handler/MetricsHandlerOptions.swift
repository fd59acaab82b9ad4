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
    /// Lets scrapes that ask for the same response (format, escaping, `name[]` filter, gzip) while
    /// one collects it wait for that collection and share its bytes, each at most until its scrape
    /// timeout (`X-Prometheus-Scrape-Timeout-Seconds`, else ``coalescingTimeout``). Default true: an
    /// HA pair of Prometheus servers scraping a multiprocess master pays for one merge. A single
    /// scraper sees no difference.
    public var coalescesScrapes: Bool = true
    /// How long a scrape waits for a collection in flight when the scraper sends no timeout, in
    /// seconds. Default 10 (Prometheus' default scrape timeout).
    public var coalescingTimeout: Double = 10

    /// The defaults.
    public init() {}
}

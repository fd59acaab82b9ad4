/// The exposition formats this package writes: three text formats and the protobuf format.
public enum ExpositionFormat: Sendable, Hashable, CaseIterable {
    /// The Prometheus text format, version 0.0.4: the default for scrapers that ask for nothing else.
    case prometheusText004
    /// The Prometheus text format announced as version 1.0.0 (same syntax, UTF-8 names allowed with
    /// the `allow-utf-8` escaping).
    case prometheusText100
    /// OpenMetrics 1.0.0.
    case openMetrics100
    /// OpenMetrics 2.0.0 as its release candidate 0 (March 2026) specifies it: one line per series
    /// with composite values for histograms and summaries, native buckets, `st@` start timestamps,
    /// family names equal to sample names. Served only to scrapers that ask for version 2.0.0.
    case openMetrics200
    /// The Prometheus protobuf format (length-delimited `io.prometheus.client.MetricFamily`
    /// messages): binary, with exemplars, created timestamps and native histograms, the only format
    /// in which Prometheus 2.x ingests native histograms.
    case prometheusProtobuf

    /// Whether the format is one of the OpenMetrics versions.
    public var isOpenMetrics: Bool {
        self == .openMetrics100 || self == .openMetrics200
    }

    /// Whether `_created` lines stay with their series (OpenMetrics) rather than move into a gauge
    /// family of their own after their family (the text formats, as the Python client writes them).
    /// Every writer of the text formats asks this.
    package var writesCreatedInline: Bool {
        isOpenMetrics
    }

    /// The `Content-Type` for this format, without an escaping parameter.
    public var contentType: String {
        switch self {
        case .prometheusText004: return "text/plain; version=0.0.4; charset=utf-8"
        case .prometheusText100: return "text/plain; version=1.0.0; charset=utf-8"
        case .openMetrics100: return "application/openmetrics-text; version=1.0.0; charset=utf-8"
        case .openMetrics200: return "application/openmetrics-text; version=2.0.0; charset=utf-8"
        case .prometheusProtobuf:
            return "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"
        }
    }
}

import Testing

@testable import PrometheusClient

/// The `Accept` headers Prometheus servers send, release by release and per `scrape_protocols`
/// setting, and what each gets: the format, and the name escaping as the Go reference negotiator
/// (prometheus/common `expfmt`) decides it: a range's own `escaping=` when it has one, underscores
/// when it has none.
@Suite("Content negotiation: what each Prometheus release asks for")
struct PrometheusAcceptHeaderTests {
    static let proto = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"

    struct Case: Sendable, CustomTestStringConvertible {
        var release: String
        var accept: String
        var format: ExpositionFormat
        var escaping: NameEscapingScheme
        var testDescription: String { release }
    }

    static let cases: [Case] = [
        Case(
            release: "2.42, default",
            accept:
                "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
                + "text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
            format: .openMetrics100, escaping: .underscores),
        Case(
            release: "2.42, native histograms", accept: proto + ";q=0.7,text/plain;version=0.0.4;q=0.3,*/*;q=0.1",
            format: .prometheusProtobuf, escaping: .underscores),
        Case(
            release: "2.49 to 2.55, scrape_protocols default",
            accept:
                "application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,"
                + "text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
            format: .openMetrics100, escaping: .underscores),
        Case(
            release: "2.49 to 2.55, PrometheusProto first",
            accept:
                proto + ";q=0.5,application/openmetrics-text;version=1.0.0;q=0.4,"
                + "application/openmetrics-text;version=0.0.1;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1",
            format: .prometheusProtobuf, escaping: .underscores),
        Case(
            release: "3.0, default (UTF-8 names asked of every protocol)",
            accept:
                "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,"
                + "application/openmetrics-text;version=0.0.1;escaping=allow-utf-8;q=0.5,"
                + "text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,"
                + "text/plain;version=0.0.4;escaping=allow-utf-8;q=0.3,*/*;q=0.2",
            format: .openMetrics100, escaping: .allowUTF8),
        Case(
            release: "3.0, PrometheusProto first",
            accept:
                proto
                + ";escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,"
                + "application/openmetrics-text;version=0.0.1;escaping=allow-utf-8;q=0.4,"
                + "text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,"
                + "text/plain;version=0.0.4;escaping=allow-utf-8;q=0.2,*/*;q=0.1",
            format: .prometheusProtobuf, escaping: .allowUTF8),
        Case(
            release: "3.x, default (escaping asked of the 1.0.0 text formats only)",
            accept:
                "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,"
                + "application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,"
                + "text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
            format: .openMetrics100, escaping: .allowUTF8),
        Case(
            release: "3.x, scrape_native_histograms (protobuf first, no escaping asked of it)",
            accept:
                proto + ";q=0.6,application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,"
                + "application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,"
                + "text/plain;version=0.0.4;q=0.2,*/*;q=0.1",
            format: .prometheusProtobuf, escaping: .underscores),
        Case(
            release: "3.x, metric_name_escaping_scheme: underscores",
            accept:
                "application/openmetrics-text;version=1.0.0;escaping=underscores;q=0.6,"
                + "application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
            format: .openMetrics100, escaping: .underscores),
        Case(
            release: "3.x, PrometheusText1.0.0 only",
            accept: "text/plain;version=1.0.0;escaping=allow-utf-8;q=0.6,*/*;q=0.5",
            format: .prometheusText100, escaping: .allowUTF8),
        Case(
            release: "3.x, PrometheusText0.0.4 only", accept: "text/plain;version=0.0.4;q=0.6,*/*;q=0.5",
            format: .prometheusText004, escaping: .underscores),
        Case(
            release: "the docs' former spelling allow-utf8",
            accept: "application/openmetrics-text;version=1.0.0;escaping=allow-utf8", format: .openMetrics100,
            escaping: .allowUTF8),
    ]

    @Test("each release's Accept header gets the format and escaping Go's negotiator gives", arguments: cases)
    func eachReleaseGetsItsFormat(_ example: Case) {
        let negotiated = ContentNegotiation.negotiate(accept: example.accept)
        #expect(negotiated.format == example.format)
        #expect(negotiated.escaping == example.escaping)
        if example.format != .prometheusText004 {
            // Every negotiated format but the classic text one names its escaping, protobuf included.
            #expect(negotiated.contentType.hasSuffix("; escaping=" + example.escaping.rawValue))
        }
    }
}

import Foundation
import PrometheusTestSupport
import Synchronization
import Testing

@testable import PrometheusClient

/// What the OpenMetrics 2.0 writer must produce, rule by rule, written from the release candidate's
/// rules: names, composite values, start timestamps, exemplars, quoting, and what it leaves out.
@Suite("OpenMetrics 2.0: the writer")
struct OpenMetrics2WriterTests {
    private func render(_ families: [MetricFamily], escaping: NameEscapingScheme = .underscores) -> String {
        Exposition.string(families, as: .openMetrics200, escaping: escaping)
    }

    @Test("every type in one body: one line per series, TYPE UNIT HELP named as the samples are")
    func everyTypeInOneBody() throws {
        let expected = #"""
            # TYPE build_info info
            # HELP build_info Build information.
            build_info{commit="abc",version="1.2.3"} 1.0
            # TYPE latency_seconds histogram
            # UNIT latency_seconds seconds
            # HELP latency_seconds Latency.
            latency_seconds{route="/"} {count:4,sum:2.5,bucket:[0.1:1,1.0:3,+Inf:4]} # {trace_id="abc"} 0.5 1700000000.123000000
            # TYPE "my.metric" gauge
            # HELP "my.metric" A UTF-8 name.
            {"my.metric","label.name"="v"} 1.0
            # TYPE queue gauge
            # HELP queue Queue \"depth\".\nBackslash \\ here.
            queue{name="a \"quoted\" \\ value\nwith newline"} -2.5
            queue{name="nan"} NaN
            queue{name="inf"} +Inf
            queue{name="large"} 1e+10
            # TYPE requests_total counter
            # HELP requests_total Requests.
            requests_total{code="200",method="GET"} 3.0 st@1700000000.5 # {trace_id="t1"} 1.0 1700000000.123000000
            requests_total{code="500",method="POST"} 1.0
            # TYPE size_bytes summary
            # UNIT size_bytes bytes
            # HELP size_bytes Sizes.
            size_bytes {count:2,sum:1024.0,quantile:[]}
            # TYPE state stateset
            # HELP state State.
            state{state="running"} 1.0
            state{state="stopped"} 0.0
            # TYPE temperature unknown
            # HELP temperature Temperature.
            temperature 21.5 1700000000.250000000
            # TYPE waiting gaugehistogram
            # HELP waiting Waiting jobs.
            waiting {gcount:5,gsum:7.0,bucket:[1.0:2,+Inf:5]}
            # EOF

            """#
        #expect(render(try ExpositionFixtures.families(), escaping: .allowUTF8) == expected)
    }

    @Test("names that are not legacy-valid follow the scrape's escaping; allow-utf-8 quotes them")
    func namesFollowTheEscaping() throws {
        let body = render(try ExpositionFixtures.families(), escaping: .underscores)
        #expect(body.contains("# TYPE my_metric gauge\n"))
        #expect(body.contains("my_metric{label_name=\"v\"} 1.0\n"))
    }

    @Test("a counter's _created is its st@; histograms and summaries carry one, gauge histograms none")
    func startTimestampsReplaceCreatedLines() throws {
        let registry = CollectorRegistry()
        let jobs = try Counter(name: "jobs", help: "Jobs.", registry: registry)
        jobs.inc()
        let latency = try Histogram(name: "latency_seconds", help: "L.", buckets: [1], registry: registry)
        latency.observe(0.5)
        let sizes = try Summary(name: "size_bytes", help: "S.", registry: registry)
        sizes.observe(3)
        let body = render(registry.collect().families)
        #expect(!body.contains("_created"))
        for prefix in [
            "jobs_total 1.0 st@", "latency_seconds {count:1,sum:0.5,bucket:[1.0:1,+Inf:1]} st@",
            "size_bytes {count:1,sum:3.0,quantile:[]} st@",
        ] {
            #expect(body.contains("\n" + prefix), "missing \(prefix) in\n\(body)")
        }
        var waiting = try GaugeHistogramMetricFamily(name: "waiting", help: "W.")
        try waiting.addMetric([], buckets: [(.infinity, 1, nil)], sum: 2)
        #expect(!render([waiting.family]).contains("st@"))
    }

    @Test("native buckets come first, as absolute counts, and classic buckets after them")
    func nativeBucketsAreAbsoluteAndFirst() {
        let native = NativeHistogram(
            count: 6, sum: 1.5, schema: 0, zeroThreshold: 0.001, zeroCount: 1,
            positiveSpans: [.init(offset: -1, length: 2), .init(offset: 2, length: 1)],
            negativeSpans: [.init(offset: 1, length: 1)], positiveDeltas: [2, -1, 1], negativeDeltas: [1])
        let family = MetricFamily(
            name: "h", help: "", type: .histogram,
            samples: [
                Sample(name: "h", value: 0, nativeHistogram: native),
                Sample(name: "h_bucket", labels: [Label("le", "1")], value: 4),
                Sample(name: "h_bucket", labels: [Label("le", "+Inf")], value: 6),
                Sample(name: "h_count", value: 6), Sample(name: "h_sum", value: 1.5),
            ])
        #expect(
            render([family]).contains(
                "h {count:6,sum:1.5,schema:0,zero_threshold:0.001,zero_count:1,negative_spans:[1:1],"
                    + "negative_buckets:[1],positive_spans:[-1:2,2:1],positive_buckets:[2,1,2],bucket:[1:4,+Inf:6]}\n"))
    }

    @Test("float native bucket counts are written as they are")
    func floatNativeCountsAreWritten() {
        var native = NativeHistogram(
            count: 0.01, sum: 2, schema: 0, zeroThreshold: 0.0001, zeroCount: 0,
            positiveSpans: [.init(offset: 1, length: 2)])
        native.positiveCounts = [0.005, 0.005]
        let family = MetricFamily(
            name: "rate", help: "", type: .gaugeHistogram,
            samples: [Sample(name: "rate", value: 0, nativeHistogram: native)])
        #expect(
            render([family]).contains(
                "rate {gcount:0.01,gsum:2.0,schema:0,zero_threshold:0.0001,zero_count:0,positive_spans:[1:2],positive_buckets:[0.005,0.005]}\n"
            ))
    }

    @Test("a histogram carries all its exemplars on its one line, each with its timestamp")
    func histogramsCarrySeveralExemplars() throws {
        let registry = CollectorRegistry()
        let latency = try Histogram(name: "latency", help: "L.", buckets: [0.1, 1], registry: registry)
        try latency.observe(0.05, exemplar: ["trace_id": "a"])
        try latency.observe(0.5, exemplar: ["trace_id": "b"])
        let line = try #require(
            render(registry.collect().families).split(separator: "\n").first { $0.hasPrefix("latency ") })
        #expect(line.contains(#" # {trace_id="a"} 0.05 "#) && line.contains(#" # {trace_id="b"} 0.5 "#))
        #expect(line.components(separatedBy: " # ").count == 3)
    }

    @Test("exemplars without a timestamp, or on types that carry none, are left out")
    func untimedAndMisplacedExemplarsAreLeftOut() {
        let untimed = Exemplar(labels: [Label("trace_id", "x")], value: 1)
        let counter = MetricFamily(
            name: "c", help: "", type: .counter, samples: [Sample(name: "c_total", value: 1, exemplar: untimed)])
        let timed = Exemplar(
            labels: [Label("trace_id", "x")], value: 1, timestamp: Timestamp(seconds: 5, nanoseconds: 0))
        let gauge = MetricFamily(
            name: "g", help: "", type: .gauge, samples: [Sample(name: "g", value: 1, exemplar: timed)])
        #expect(render([counter, gauge]) == "# TYPE c_total counter\nc_total 1.0\n# TYPE g gauge\ng 1.0\n# EOF\n")
    }

    @Test("a family 2.0 cannot carry is left out whole and reported, the rest of the body kept")
    func inexpressibleFamiliesAreLeftOutAndReported() throws {
        var sumless = try HistogramMetricFamily(name: "om2_sumless_seconds", help: "No sum.")
        try sumless.addMetric([], buckets: [(1, 1, nil), (.infinity, 2, nil)], sum: nil)
        var kept = try GaugeMetricFamily(name: "kept", help: "K.")
        try kept.addMetric([], value: 1)
        let received = Mutex<[DiagnosticMessage]>([])
        PrometheusDiagnostics.setHandler { message in received.withLock { $0.append(message) } }
        defer { PrometheusDiagnostics.setHandler(nil) }

        let body = render([sumless.family, kept.family])

        #expect(body == "# TYPE kept gauge\n# HELP kept K.\nkept 1.0\n# EOF\n")
        let mine = received.withLock { $0.filter { $0.text.contains("om2_sumless_seconds") } }
        #expect(mine.map(\.source) == [.exposition])
        #expect(mine.first?.text.contains("has no sum") == true)
    }

    @Test("a family whose 2.0 name an earlier family has taken is left out, so the body stays valid")
    func clashingTwoPointZeroNamesAreLeftOut() throws {
        let counter = MetricFamily(name: "om2_clash", help: "", type: .counter)
        let gauge = MetricFamily(
            name: "om2_clash_total", help: "", type: .gauge, samples: [Sample(name: "om2_clash_total", value: 1)])
        let received = Mutex<[DiagnosticMessage]>([])
        PrometheusDiagnostics.setHandler { message in received.withLock { $0.append(message) } }
        defer { PrometheusDiagnostics.setHandler(nil) }

        let body = render([counter, gauge])

        #expect(body == "# TYPE om2_clash_total counter\n# EOF\n")
        #expect(try OpenMetrics2Parser.parse(body).count == 1)
        #expect(received.withLock { $0.contains { $0.source == .exposition && $0.text.contains("om2_clash_total") } })
    }

    @Test("a counter without _total keeps its name, and its TYPE line says so")
    func countersWithoutTotalKeepTheirName() {
        let family = MetricFamily(
            name: "events", help: "", type: .counter,
            samples: [Sample(name: "events", value: 2), Sample(name: "events_created", value: 10)])
        #expect(render([family]) == "# TYPE events counter\nevents 2.0 st@10.0\n# EOF\n")
    }
}

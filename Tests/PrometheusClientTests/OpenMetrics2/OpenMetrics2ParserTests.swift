import Foundation
import PrometheusTestSupport
import Testing

@testable import PrometheusClient

/// What the OpenMetrics 2.0 parser reads and what it refuses, written from the release candidate's
/// grammar and data-model rules (the texts are ours, not the specification's).
@Suite("OpenMetrics 2.0: the parser")
struct OpenMetrics2ParserTests {
    @Test("what this package writes reads back as the families it collected, every type")
    func roundTripOfEveryType() throws {
        let registry = CollectorRegistry()
        let requests = try Counter(name: "requests", help: "R.", labelNames: ["method", "code"], registry: registry)
        try requests.labels("GET", "200").inc(by: 2, exemplar: ["trace_id": "x"])
        let temperature = try Gauge(name: "temperature_celsius", help: "T.", unit: "celsius", registry: registry)
        temperature.set(-4.5)
        let latency = try Histogram(name: "latency_seconds", help: "L.", labelNames: ["route"], registry: registry)
        try latency.labels("/").observe(0.3, exemplar: ["trace_id": "y"])
        let native = try Histogram(
            name: "native_seconds", help: "N.", native: NativeHistogramOptions(keepsClassicBuckets: false),
            registry: registry)
        try native.observe(0.25, exemplar: ["trace_id": "z"])
        native.observe(-3)
        let both = try Histogram(name: "both_seconds", help: "B.", native: NativeHistogramOptions(), registry: registry)
        try both.observe(2, exemplar: ["trace_id": "w"])
        let sizes = try Summary(name: "size_bytes", help: "S.", unit: "bytes", registry: registry)
        sizes.observe(512)
        let info = try Info(name: "build", help: "B.", registry: registry)
        try info.info(["version": "1.0"])
        let phase = try Enum(name: "phase", help: "P.", states: ["starting", "running"], registry: registry)
        try phase.state("running")
        var waiting = try GaugeHistogramMetricFamily(name: "waiting", help: "W.")
        try waiting.addMetric([], buckets: [(1, 2, nil), (.infinity, 5, nil)], sum: 7)
        try registry.register(FixedFamilies([waiting.family]))

        let collected = registry.collect().families
        let body = Exposition.render(collected, as: .openMetrics200, escaping: .allowUTF8)
        #expect(try OpenMetrics2Parser.parse(body).inWritersOrder == collected.inWritersOrder)
    }

    @Test(
        "valid texts, one construct each",
        arguments: [
            ("a bare gauge without metadata", "g 1\n"),
            ("a counter without _total", "# TYPE c counter\nc 1 st@5\n"),
            (
                "a timestamp then a start timestamp then two exemplars",
                "# TYPE c_total counter\nc_total 3 10.5 st@1 # {a=\"1\"} 1 9 # {} 2 10\n"
            ),
            ("a quoted name with a quoted label name", "# TYPE \"a.b\" gauge\n{\"a.b\",\"c.d\"=\"e\"} 1\n"),
            ("a summary with quantiles", "# TYPE s summary\ns {count:3,sum:1.5,quantile:[0.5:0.25,0.9:1]} st@2\n"),
            (
                "a native gauge histogram with float counts",
                "# TYPE q gaugehistogram\nq {gcount:0.5,gsum:1,schema:-4,zero_threshold:0,zero_count:0.5}\n"
            ),
            ("classic buckets starting at -Inf", "# TYPE h histogram\nh {count:2,sum:-1,bucket:[-Inf:0,0:1,+Inf:2]}\n"),
            ("spelled numbers", "# TYPE g gauge\ng{a=\"1\"} -infinity\ng{a=\"2\"} nan\ng{a=\"3\"} 1.5E3\n"),
            ("one series with increasing timestamps", "# TYPE g gauge\ng 1 10\ng 2 11\n"),
            ("an empty UNIT and HELP", "# TYPE g gauge\n# UNIT g \n# HELP g \ng 1\n"),
            ("a family without samples", "# TYPE g gauge\n"),
        ])
    func validTexts(_ what: String, _ text: String) {
        #expect(throws: Never.self, "\(what)") { try OpenMetrics2Parser.parse(text + "# EOF\n") }
    }

    @Test(
        "texts the rules refuse, each with the reason",
        arguments: [
            ("g 1\n", "must end with # EOF"),
            ("g 1\n# EOF\n\n", "text after # EOF"),
            ("g 1\n\n# EOF\n", "blank lines"),
            ("# TYPE g gauge\n# TYPE g gauge\n# EOF\n", "more than one # TYPE"),
            ("g 1\n# TYPE g gauge\n# EOF\n", "before the family's samples"),
            ("a 1\nb 1\na 2\n# EOF\n", "families must not be interleaved"),
            ("# TYPE x_total counter\nx_total 1\n# TYPE x gauge\nx 1\n# EOF\n", "both be x in the model"),
            ("# TYPE c_total counter\nc_total NaN\n# EOF\n", "not NaN or negative"),
            ("# TYPE c_total counter\nc_total -1\n# EOF\n", "not NaN or negative"),
            ("# TYPE s stateset\ns{s=\"a\"} 2\n# EOF\n", "must be 0 or 1"),
            ("# TYPE s stateset\ns{t=\"a\"} 1\n# EOF\n", "needs the label s"),
            ("# TYPE build info\nbuild 1\n# EOF\n", "must end in _info"),
            ("# TYPE b_info info\nb_info 2\n# EOF\n", "must be 1"),
            ("# TYPE b_info info\n# UNIT b_info seconds\n# EOF\n", "cannot have a unit"),
            ("# TYPE h histogram\nh 1\n# EOF\n", "needs a composite value"),
            ("# TYPE h histogram\nh {gcount:1,gsum:1,bucket:[+Inf:1]}\n# EOF\n", "uses count and sum"),
            ("# TYPE h histogram\nh {count:2,sum:1,bucket:[+Inf:1]}\n# EOF\n", "count must equal the +Inf"),
            ("# TYPE h histogram\nh {count:2,sum:1,bucket:[1:2,0.5:1,+Inf:2]}\n# EOF\n", "unique and increasing"),
            ("# TYPE h histogram\nh {count:2,sum:1,bucket:[0.5:2,1:1,+Inf:2]}\n# EOF\n", "must be cumulative"),
            ("# TYPE h histogram\nh {count:1,sum:1,bucket:[1:1]}\n# EOF\n", "+Inf"),
            ("# TYPE h histogram\nh{le=\"1\"} {count:1,sum:1,bucket:[+Inf:1]}\n# EOF\n", "cannot have an le label"),
            ("# TYPE h histogram\nh {count:1,sum:1,schema:9,zero_threshold:0,zero_count:1}\n# EOF\n", "-4...8"),
            (
                "# TYPE h histogram\nh {count:1,sum:1,schema:0,zero_threshold:0,zero_count:0,positive_spans:[0:2],"
                    + "positive_buckets:[1]}\n# EOF\n", "span lengths"
            ),
            ("# TYPE h histogram\nh {count:1,sum:1,schema:0,zero_threshold:0,zero_count:2}\n# EOF\n", "below the sum"),
            ("# TYPE h histogram\nh {sum:1,count:1,bucket:[+Inf:1]}\n# EOF\n", "expected the field count"),
            ("# TYPE s summary\ns {count:1.5,sum:1,quantile:[]}\n# EOF\n", "non-negative integer"),
            ("# TYPE s summary\ns {count:1,sum:NaN,quantile:[]}\n# EOF\n", "cannot be NaN"),
            ("# TYPE s summary\ns {count:1,sum:1,quantile:[0.9:1,0.5:1]}\n# EOF\n", "unique and increasing"),
            ("# TYPE s summary\ns {count:1,sum:1,quantile:[1.5:1]}\n# EOF\n", "between 0 and 1"),
            ("# TYPE g gauge\ng 1 st@5\n# EOF\n", "no start timestamp"),
            ("# TYPE g gauge\ng 1\ng 2\n# EOF\n", "strictly increasing timestamps"),
            ("# TYPE g gauge\ng{a=\"1\"} 1\ng{a=\"2\"} 1\ng{a=\"1\"} 1 5\n# EOF\n", "must be together"),
            (
                "# TYPE s stateset\ns{e=\"1\",s=\"a\"} 1\ns{e=\"2\",s=\"a\"} 1\ns{e=\"1\",s=\"b\"} 0\n# EOF\n",
                "must not be interleaved"
            ),
            ("# TYPE g gauge\ng +nan\n# EOF\n", "invalid value"),
            ("# TYPE g gauge\ng 1 st@1 5\n# EOF\n", "misplaced timestamp"),
        ])
    func invalidTexts(_ text: String, _ reason: String) {
        do {
            _ = try OpenMetrics2Parser.parse(text)
            Issue.record("parsed, but should fail with \(reason): \(text)")
        } catch {
            #expect(error.reason.contains(reason), "\(error) should say \(reason)")
        }
    }

    @Test("exemplar problems drop the exemplars, never the text")
    func exemplarProblemsDropExemplars() throws {
        let untimed = try OpenMetrics2Parser.parse("# TYPE c_total counter\nc_total 1 # {a=\"b\"} 1\n# EOF\n")
        #expect(untimed.first?.samples.first?.exemplar == nil)
        let onGauge = try OpenMetrics2Parser.parse("# TYPE g gauge\ng 1 # {a=\"b\"} 1 5\n# EOF\n")
        #expect(onGauge.first?.samples.first?.exemplar == nil)
    }

    @Test("a counter keeps its latest exemplar; a histogram gives each to its bucket and all to its native part")
    func exemplarsLandWhereTheModelKeepsThem() throws {
        let counter = try OpenMetrics2Parser.parse(
            "# TYPE c_total counter\nc_total 3 # {t=\"late\"} 1 20 # {t=\"early\"} 1 10\n# EOF\n")
        #expect(counter.first?.samples.first?.exemplar?.labels == [Label("t", "late")])
        let histogram = try OpenMetrics2Parser.parse(
            "# TYPE h histogram\nh {count:2,sum:1.5,schema:0,zero_threshold:0,zero_count:0,positive_spans:[0:2],"
                + "positive_buckets:[1,1],bucket:[1:1,+Inf:2]} # {t=\"b\"} 1.2 20 # {t=\"a\"} 0.3 10\n# EOF\n")
        let samples = try #require(histogram.first?.samples)
        #expect(samples.map(\.name) == ["h", "h_bucket", "h_bucket", "h_count", "h_sum"])
        #expect(samples[0].nativeHistogram?.exemplars.map(\.labels) == [[Label("t", "a")], [Label("t", "b")]])
        #expect(samples[1].exemplar?.labels == [Label("t", "a")])
        #expect(samples[2].exemplar?.labels == [Label("t", "b")])
    }
}

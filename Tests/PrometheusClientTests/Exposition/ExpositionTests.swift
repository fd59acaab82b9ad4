import Foundation
import PrometheusTestSupport
import Testing

@testable import PrometheusClient

/// Every exposition these tests produce is also checked by promtool (text) or by the Python client's
/// OpenMetrics parser, so a golden string that is wrong for real consumers cannot pass.
@Suite struct PrometheusTextTests {
    func render(_ families: [MetricFamily], escaping: NameEscapingScheme = .underscores) -> String {
        let text = Exposition.string(families, as: .prometheusText004, escaping: escaping)
        // promtool 2.42 does not parse quoted UTF-8 names, so allow-utf-8 output is checked by tests
        // against the Python client instead.
        if escaping != .allowUTF8 {
            do {
                let check = try ExternalTool.promtoolCheck(text)
                #expect(check.parses, "promtool rejected:\n\(text)\n\(check.output)")
            } catch {
                Issue.record(error)
            }
        }
        return text
    }

    @Test func counterGetsTotalInHeaderAndCreatedMovesToATrailingGauge() throws {
        var family = try CounterMetricFamily(name: "jobs", help: "Jobs.")
        try family.addMetric([], value: 2, created: 100)
        #expect(
            render([family.family]) == """
                # HELP jobs_total Jobs.
                # TYPE jobs_total counter
                jobs_total 2.0
                # HELP jobs_created Jobs.
                # TYPE jobs_created gauge
                jobs_created 100.0

                """)
    }

    @Test func helpEscapesBackslashAndNewlineButNotQuotes() throws {
        let family = try GaugeMetricFamily(name: "g", help: "a \\ b\n\"c\"", value: 1)
        #expect(render([family.family]).hasPrefix("# HELP g a \\\\ b\\n\"c\"\n"))
    }

    @Test func labelValuesEscapeBackslashNewlineAndQuote() throws {
        var family = try GaugeMetricFamily(name: "g", help: "G.", labelNames: ["l"])
        try family.addMetric(["a\\b\n\"c\""], value: 1)
        #expect(render([family.family]).contains("g{l=\"a\\\\b\\n\\\"c\\\"\"} 1.0\n"))
    }

    @Test func labelsAreSortedByName() {
        let family = MetricFamily(
            name: "g", help: "G.", type: .gauge,
            samples: [Sample(name: "g", labels: [Label("b", "2"), Label("a", "1")], value: 1)])
        #expect(render([family]).contains("g{a=\"1\",b=\"2\"} 1.0\n"))
    }

    @Test func specialValuesUseGoSpelling() throws {
        var family = try GaugeMetricFamily(name: "g", help: "G.", labelNames: ["v"])
        for (label, value) in [("nan", Double.nan), ("inf", .infinity), ("minf", -.infinity), ("big", 1e10)] {
            try family.addMetric([label], value: value)
        }
        let text = render([family.family])
        for line in ["g{v=\"nan\"} NaN", "g{v=\"inf\"} +Inf", "g{v=\"minf\"} -Inf", "g{v=\"big\"} 1e+10"] {
            #expect(text.contains(line + "\n"))
        }
    }

    @Test func timestampsAreIntegerMilliseconds() throws {
        var family = try GaugeMetricFamily(name: "g", help: "G.")
        try family.addMetric([], value: 1, timestamp: Timestamp(seconds: 1_700_000_000, nanoseconds: 987_654_321))
        #expect(render([family.family]).contains("g 1.0 1700000000987\n"))
    }

    @Test func typesAreMappedToTheTextFormat() throws {
        let text = render(try ExpositionFixtures.families())
        #expect(text.contains("# TYPE build_info gauge\n"))
        #expect(text.contains("# TYPE state gauge\n"))
        #expect(text.contains("# TYPE waiting histogram\n"))
        #expect(text.contains("# TYPE temperature untyped\n"))
        #expect(text.contains("# TYPE waiting_gcount gauge\n"))
    }

    @Test func exemplarsAreLeftOut() throws {
        #expect(!render(try ExpositionFixtures.families()).contains("trace_id"))
    }

    @Test func familiesAreSortedByName() throws {
        let families = try ExpositionFixtures.families().reversed()
        let text = render(Array(families))
        let types = text.split(separator: "\n").filter { $0.hasPrefix("# TYPE") }.map { $0.split(separator: " ")[2] }
        #expect(types.first == "build_info")
        #expect(types.last == "waiting_gsum")
    }

    @Test func emptyRegistryRendersNothing() {
        #expect(render([]).isEmpty)
    }

    @Test func utf8NamesUnderEachEscapingScheme() throws {
        var family = try GaugeMetricFamily(name: "my.metric", help: "M.", labelNames: ["label.name"])
        try family.addMetric(["v"], value: 1)
        #expect(render([family.family], escaping: .underscores).contains("my_metric{label_name=\"v\"} 1.0\n"))
        #expect(render([family.family], escaping: .dots).contains("my_dot_metric{label_dot_name=\"v\"} 1.0\n"))
        #expect(render([family.family], escaping: .values).contains("U__my_2e_metric{U__label_2e_name=\"v\"} 1.0\n"))
        #expect(render([family.family], escaping: .allowUTF8).contains("{\"my.metric\",\"label.name\"=\"v\"} 1.0\n"))
        #expect(render([family.family], escaping: .allowUTF8).contains("# TYPE \"my.metric\" gauge\n"))
    }

    @Test func outputEqualsThePythonClientsForTheSameFamilies() throws {
        for escaping in [NameEscapingScheme.underscores, .allowUTF8] {
            let python = try ExternalTool.runPython(
                ExpositionFixtures.pythonRegistry + """

                    import sys
                    from prometheus_client.exposition import generate_latest
                    sys.stdout.write(generate_latest(registry, escaping='\(escaping.rawValue)').decode())
                    """)
            // The one deliberate difference: Python writes 1e10 as `1e+010` (its floatToGoString bug).
            let expected = python.replacingOccurrences(of: "1e+010", with: "1e+10")
            #expect(render(try ExpositionFixtures.families(), escaping: escaping) == expected)
        }
    }

    @Test func everyRenderingPassesPromtool() throws {
        for escaping in NameEscapingScheme.allCases where escaping != .allowUTF8 {
            let check = try ExternalTool.promtoolCheck(render(try ExpositionFixtures.families(), escaping: escaping))
            #expect(check.parses, "promtool rejected the \(escaping) rendering: \(check.output)")
        }
    }

    @Test func metricTypesRenderLintCleanForPromtool() throws {
        let registry = CollectorRegistry()
        let requests = try Counter(
            name: "http_requests", help: "Requests.", labelNames: ["code"], registry: registry)
        let latency = try Histogram(name: "http_latency_seconds", help: "Latency.", registry: registry)
        let size = try Summary(name: "http_size_bytes", help: "Size.", registry: registry)
        let inFlight = try Gauge(name: "http_in_flight", help: "In flight.", registry: registry)
        try requests.labels("200").inc()
        latency.observe(0.2)
        size.observe(10)
        inFlight.set(2)
        _ = try Info(name: "app", help: "App.", registry: registry)
        _ = try Enum(name: "app_phase", help: "Phase.", states: ["a", "b"], registry: registry)
        let check = try ExternalTool.promtoolCheck(
            Exposition.string(registry.collect().families, as: .prometheusText004))
        #expect(check.parses, "\(check.output)")
        #expect(check.lintProblems.isEmpty, "\(check.output)")
    }
}

@Suite struct OpenMetricsTests {
    func render(_ families: [MetricFamily], escaping: NameEscapingScheme = .underscores) -> String {
        let text = Exposition.string(families, as: .openMetrics100, escaping: escaping)
        // Not dots: it escapes the `_` of suffixes too (`x__bucket`), as the Go client does, which
        // the Python parser does not undo.
        if escaping != .dots {
            do {
                try Self.parseWithPython(text)
            } catch {
                Issue.record(error, "the Python OpenMetrics parser rejected:\n\(text)")
            }
        }
        return text
    }

    static func parseWithPython(_ text: String) throws {
        try ExternalTool.parseOpenMetricsWithPython(text)
    }

    @Test func endsWithEOFEvenWhenEmpty() {
        #expect(render([]) == "# EOF\n")
    }

    @Test func createdStaysInlineAndUnitIsWritten() throws {
        var family = try CounterMetricFamily(name: "data", help: "Data.", unit: "bytes")
        try family.addMetric([], value: 2, created: 100)
        #expect(
            render([family.family]) == """
                # HELP data_bytes Data.
                # TYPE data_bytes counter
                # UNIT data_bytes bytes
                data_bytes_total 2.0
                data_bytes_created 100.0
                # EOF

                """)
    }

    @Test func helpEscapesQuotes() throws {
        let family = try GaugeMetricFamily(name: "g", help: "say \"hi\"", value: 1)
        #expect(render([family.family]).hasPrefix("# HELP g say \\\"hi\\\"\n"))
    }

    @Test func exemplarsFollowCounterTotalsAndBuckets() throws {
        let text = render(try ExpositionFixtures.families())
        #expect(
            text.contains(
                "requests_total{code=\"200\",method=\"GET\"} 3.0 # {trace_id=\"t1\"} 1.0 1700000000.123000000\n"))
        #expect(
            text.contains(
                "latency_seconds_bucket{le=\"1.0\",route=\"/\"} 3.0 # {trace_id=\"abc\"} 0.5 1700000000.123000000\n"))
    }

    @Test func exemplarOnAGaugeIsLeftOut() {
        let exemplar = Exemplar(labels: [Label("a", "b")], value: 1)
        let family = MetricFamily(
            name: "g", help: "G.", type: .gauge, samples: [Sample(name: "g", value: 1, exemplar: exemplar)])
        #expect(render([family]) == "# HELP g G.\n# TYPE g gauge\ng 1.0\n# EOF\n")
    }

    @Test func timestampsAreSecondsWithNanoseconds() throws {
        #expect(render(try ExpositionFixtures.families()).contains("temperature 21.5 1700000000.250000000\n"))
    }

    @Test func nativeHistogramsOnlyInVersion2() {
        let histogram = NativeHistogram(
            count: 3, sum: 4.5, schema: 0, zeroThreshold: 0.001, zeroCount: 1,
            positiveSpans: [.init(offset: 0, length: 2)], positiveDeltas: [1, 0])
        let family = MetricFamily(
            name: "nh", help: "N.", type: .histogram,
            samples: [Sample(name: "nh", value: 0, nativeHistogram: histogram)])
        #expect(!render([family]).contains("nh {"))
        let version2 = Exposition.string([family], as: .openMetrics200)
        #expect(
            version2.contains(
                "nh {count:3,sum:4.5,schema:0,zero_threshold:0.001,zero_count:1,positive_spans:[0:2],positive_buckets:[1,1]}\n"
            ))
    }

    @Test func outputEqualsThePythonClientsForTheSameFamilies() throws {
        for escaping in [NameEscapingScheme.underscores, .allowUTF8] {
            let python = try ExternalTool.runPython(
                ExpositionFixtures.pythonRegistry + """

                    import sys
                    from prometheus_client.openmetrics.exposition import generate_latest
                    sys.stdout.write(generate_latest(registry, escaping='\(escaping.rawValue)').decode())
                    """)
            // The one deliberate difference: Python writes 1e10 as `1e+010` (its floatToGoString bug).
            let expected = python.replacingOccurrences(of: "1e+010", with: "1e+10")
            #expect(render(try ExpositionFixtures.families(), escaping: escaping) == expected)
        }
    }

    @Test func everyRenderingParsesWithThePythonOpenMetricsParser() throws {
        let registry = CollectorRegistry()
        let requests = try Counter(name: "requests", help: "R.", labelNames: ["code"], registry: registry)
        try requests.labels("200").inc(by: 2, exemplar: ["trace_id": "x"])
        let latency = try Histogram(name: "latency", help: "L.", unit: "seconds", registry: registry)
        try latency.observe(0.3, exemplar: ["trace_id": "y"])
        _ = try Info(name: "app", help: "App.", registry: registry)
        _ = try Enum(name: "phase", help: "Phase.", states: ["a", "b"], registry: registry)
        _ = render(registry.collect().families)
        for escaping in NameEscapingScheme.allCases {
            _ = render(try ExpositionFixtures.families(), escaping: escaping)
        }
    }
}

import Foundation
import PrometheusTestSupport
import Testing

@testable import PrometheusClient

@Suite struct PrometheusTextParserTests {
    @Test func parsesHelpTypeLabelsValuesAndTimestamps() throws {
        let families = try PrometheusTextParser.parse(
            "# HELP a_total Jobs \\\\ done\\n.\n# TYPE a_total counter\na_total{x=\"1\\\"2\"} 3 1700000000123\n")
        #expect(families.count == 1)
        #expect(families[0].name == "a")
        #expect(families[0].type == .counter)
        #expect(families[0].help == "Jobs \\ done\n.")
        #expect(families[0].samples[0].labels == [Label("x", "1\"2")])
        #expect(families[0].samples[0].timestamp == (Timestamp(seconds: 1_700_000_000, nanoseconds: 123_000_000)))
    }

    @Test func counterSamplesWithoutTotalGainIt() throws {
        let families = try PrometheusTextParser.parse("# TYPE jobs counter\njobs 3\n")
        #expect(families[0].name == "jobs")
        #expect(families[0].samples[0].name == "jobs_total")
    }

    @Test func unexpectedSampleBecomesAnUnknownSingleton() throws {
        let families = try PrometheusTextParser.parse("# TYPE a counter\na_total 1\n")
        #expect(families.map(\.name) == ["a", "a_total"])
        #expect(families[1].type == .unknown)
    }

    @Test func quotedUTF8NamesAreAccepted() throws {
        let families = try PrometheusTextParser.parse("# TYPE \"a.b\" gauge\n{\"a.b\",\"c.d\"=\"e\"} 1\n")
        #expect(families[0].name == "a.b")
        #expect(families[0].samples[0].labels == [Label("c.d", "e")])
    }

    @Test(arguments: [
        ("a{x=\"1\",x=\"2\"} 1\n", 1, 9, "duplicate label name x"),
        ("a 1_000\n", 1, 3, "invalid value"),
        ("a.b 1\n", 1, 2, "invalid value"),
        ("# TYPE a weird\n", 1, 10, "unknown metric type"),
        ("a{x=\"1} 2\n", 1, 5, "unterminated quoted string"),
        ("ok 1\nbad{ 1\n", 2, 6, "expected a label name"),
    ])
    func malformedLinesAreRejectedWithTheirPosition(text: String, line: Int, column: Int, reason: String) {
        do {
            _ = try PrometheusTextParser.parse(text)
            Issue.record("accepted \(text.debugDescription)")
        } catch {
            #expect(error.line == line)
            #expect(error.column == column, "\(error)")
            #expect(error.reason.contains(reason), "\(error)")
        }
    }

    @Test func aBareHelpLineNamesNothingAndIsIgnored() throws {
        let text = "# HELP\n# TYPE a gauge\na 1\n# HELP \nb 2\n"
        let families = try PrometheusTextParser.parse(text)
        #expect(families.map(\.name) == ["a", "b"])
        let python = try ParserCorpus.pythonRows(text, openMetrics: false)
        #expect(try ParserCorpus.same(try ParserCorpus.rows(families), python), "python: \(python)")
    }

    @Test func millisecondTimestampsAreWrittenExactlyAndTruncatedTowardZero() throws {
        let families = try PrometheusTextParser.parse("a 1 -1500\nb 1 123456789012345678901234\n")
        #expect(families[0].samples[0].timestamp?.seconds == -2)
        let text = Exposition.string(families, as: .prometheusText004)
        #expect(text.contains("a 1.0 -1500\n"), "\(text)")
        #expect(text.contains("b 1.0 123456789012345678901234\n"), "\(text)")
    }

    @Test func missingFinalNewlineAndBlankLinesAreFine() throws {
        let families = try PrometheusTextParser.parse("\n# TYPE g gauge\n\ng 1")
        #expect(families[0].samples[0].value == 1)
    }

    @Test(arguments: ["node", "prometheus", "ours", "python"])
    func corpusParsesLikeThePythonParser(corpus: String) throws {
        var texts: [String]
        switch corpus {
        case "node": texts = [ParserCorpus.nodeStyle]
        case "prometheus": texts = [ParserCorpus.prometheusStyle]
        case "ours": texts = try ParserCorpus.ours(.prometheusText004)
        default:
            texts = [
                try ExternalTool.runPython(
                    ExpositionFixtures.pythonRegistry
                        + "\nimport sys\nfrom prometheus_client.exposition import generate_latest\n"
                        + "sys.stdout.write(generate_latest(registry).decode())")
            ]
        }
        for text in texts {
            let ours = try ParserCorpus.rows(try PrometheusTextParser.parse(text))
            let python = try ParserCorpus.pythonRows(text, openMetrics: false)
            #expect(try ParserCorpus.same(ours, python), "ours: \(ours)\npython: \(python)")
        }
    }

    @Test func roundTripsOurTextOutput() throws {
        let families = try ExpositionFixtures.families().filter { $0.type == .gauge || $0.type == .counter }
        let text = Exposition.string(families, as: .prometheusText004)
        let parsed = try PrometheusTextParser.parse(text)
        #expect(Exposition.string(parsed, as: .prometheusText004) == text)
    }
}

@Suite struct OpenMetricsParserTests {
    static func rejects(_ text: String) -> ParseError? {
        do {
            _ = try OpenMetricsParser.parse(text)
            return nil
        } catch {
            return error
        }
    }

    @Test func roundTripsOurOpenMetricsOutput() throws {
        for text in try ParserCorpus.ours(.openMetrics100) {
            let parsed = try OpenMetricsParser.parse(text)
            #expect(Exposition.string(parsed, as: .openMetrics100) == text)
        }
    }

    @Test func keepsExemplarsTimestampsAndUnits() throws {
        let text = """
            # TYPE lat_seconds histogram
            # UNIT lat_seconds seconds
            lat_seconds_bucket{le="1.0"} 1 # {trace_id="a"} 0.5 1700000000.123456789
            lat_seconds_bucket{le="+Inf"} 2
            lat_seconds_count 2
            lat_seconds_sum 3.0
            # EOF

            """
        let family = try #require(try OpenMetricsParser.parse(text).first)
        #expect(family.unit == "seconds")
        #expect(
            family.samples[0].exemplar?.timestamp == (Timestamp(seconds: 1_700_000_000, nanoseconds: 123_456_789)))
    }

    @Test(arguments: [
        ("# TYPE a gauge\na 1\n", 2, "must end with # EOF"),
        ("a 1\n# EOF\nb 1\n", 3, "text after # EOF"),
        ("a 1\n\n# EOF\n", 2, "blank lines"),
        ("# random comment\n# EOF\n", 1, "only # HELP"),
        ("# TYPE a gauge\n# TYPE a gauge\n# EOF\n", 2, "duplicate # TYPE"),
        ("# TYPE a untyped\n# EOF\n", 1, "unknown metric type"),
        ("# TYPE a gauge\n# UNIT a seconds\n# EOF\n", 2, "not a suffix"),
        ("# TYPE a gauge\na 1\n# HELP a x\n# EOF\n", 3, "must come before"),
        ("# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\n# TYPE a gauge\n# EOF\n", 5, "clashing name"),
        ("a\t1\n# EOF\n", 1, "single space"),
        ("a{x=\"1\",} 1\n# EOF\n", 1, "trailing comma"),
        ("# TYPE c counter\nc_total -1\n# EOF\n", 2, "cannot be negative"),
        ("# TYPE c counter\nc_total NaN\n# EOF\n", 2, "cannot be NaN"),
        ("# TYPE i info\ni_info 2\n# EOF\n", 2, "info values must be 1"),
        ("# TYPE s stateset\ns{s=\"a\"} 2\n# EOF\n", 2, "0 or 1"),
        ("# TYPE g gauge\ng 1 # {a=\"b\"} 1\n# EOF\n", 2, "exemplars"),
        ("# TYPE q summary\nq{quantile=\"2\"} 1\n# EOF\n", 2, "quantile"),
        ("# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_count 1\n# EOF\n", 4, "+Inf bucket"),
        ("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_count 3\n# EOF\n", 4, "differs from its +Inf"),
        (
            "# TYPE h histogram\nh_bucket{le=\"2\"} 2\nh_bucket{le=\"1\"} 3\nh_bucket{le=\"+Inf\"} 3\n# EOF\n", 5,
            "increasing"
        ),
        ("# TYPE h histogram\nh_bucket{le=\"1\"} 1.5\n# EOF\n", 2, "integers"),
        ("# TYPE g gauge\ng{a=\"1\"} 1\ng{a=\"2\"} 1\ng{a=\"1\"} 1\n# EOF\n", 4, "grouping"),
        ("# TYPE g gauge\ng 1 100\ng 2\n# EOF\n", 3, "timestamps"),
    ])
    func invalidTextIsRejectedWithLineAndReason(text: String, line: Int, reason: String) {
        guard let error = Self.rejects(text) else {
            Issue.record("accepted \(text.debugDescription)")
            return
        }
        #expect(error.line == line, "\(error)")
        #expect(error.reason.contains(reason), "\(error)")
    }

    @Test func everyRejectedExampleIsRejectedByPythonToo() throws {
        let examples = [
            "# TYPE a gauge\na 1\n", "a 1\n\n# EOF\n", "# TYPE c counter\nc_total -1\n# EOF\n",
            "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_count 3\n# EOF\n", "a{x=\"1\",} 1\n# EOF\n",
        ]
        for text in examples {
            #expect(throws: (any Error).self, "Python accepted \(text.debugDescription)") {
                _ = try ParserCorpus.pythonRows(text, openMetrics: true)
            }
        }
    }

    @Test(arguments: ["ours", "python"])
    func corpusParsesLikeThePythonParser(corpus: String) throws {
        var texts: [String]
        if corpus == "ours" {
            texts = try ParserCorpus.ours(.openMetrics100)
        } else {
            texts = [
                try ExternalTool.runPython(
                    ExpositionFixtures.pythonRegistry
                        + "\nimport sys\nfrom prometheus_client.openmetrics.exposition import generate_latest\n"
                        + "sys.stdout.write(generate_latest(registry).decode())")
            ]
        }
        for text in texts {
            let ours = try ParserCorpus.rows(try OpenMetricsParser.parse(text))
            let python = try ParserCorpus.pythonRows(text, openMetrics: true)
            #expect(try ParserCorpus.same(ours, python), "ours: \(ours)\npython: \(python)")
        }
    }
}

@Suite struct ParserRobustnessTests {
    @Test func timestampsBeyondWhatATimestampHoldsAreAnErrorNotAClamp() {
        let digits = String(repeating: "9", count: 45)
        #expect(throws: ParseError.self) { try PrometheusTextParser.parse("a 1 \(digits)\n") }
        #expect(throws: ParseError.self) { try OpenMetricsParser.parse("a 1 \(digits)\n# EOF\n") }
    }

    @Test func theFuzzCorpusReplaysWithoutCrashing() throws {
        let fuzz = try DemoProcess.builtExecutable("PrometheusFuzz")
        var corpus = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { corpus.deleteLastPathComponent() }
        corpus.appendPathComponent("FuzzCorpus/inputs")
        let output = try ExternalTool.run(fuzz.path, [corpus.path])
        #expect(output.status == 0, "\(output.standardError)")
        #expect(output.standardOutput.hasPrefix("replayed "))
    }
}

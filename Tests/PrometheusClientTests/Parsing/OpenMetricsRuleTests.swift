import PrometheusTestSupport
import Testing

@testable import PrometheusClient

/// The OpenMetrics 1.0 rules that need more than one line, or that the parser once got wrong: each
/// test is one rule of the specification, checked against the Python client's parser where it
/// decides the same.
@Suite struct OpenMetricsRuleTests {
    private static func reason(_ text: String) -> String? {
        do {
            _ = try OpenMetricsParser.parse(text)
            return nil
        } catch {
            return error.reason
        }
    }

    private static func agreesWithPython(_ text: String) throws -> Bool {
        try ParserCorpus.same(
            try ParserCorpus.rows(try OpenMetricsParser.parse(text)),
            try ParserCorpus.pythonRows(text, openMetrics: true))
    }

    @Test func eofMayBeTheLastBytesOfTheInput() throws {
        let text = "# TYPE a gauge\na 1\n# EOF"
        let families = try OpenMetricsParser.parse(text)
        #expect(families.map(\.name) == ["a"])
        #expect(try Self.agreesWithPython(text))
    }

    @Test(arguments: ["# HELP a\n# EOF\n", "# HELP a\t\n# EOF\n", "# UNIT a\n# EOF\n", "# UNIT a\t\n# EOF\n"])
    func metadataNeedsASpaceAfterTheName(text: String) throws {
        let reason = try #require(Self.reason(text), "accepted \(text.debugDescription)")
        #expect(reason.contains("space after the metric name"), "\(reason)")
        #expect(throws: (any Error).self) { try ParserCorpus.pythonRows(text, openMetrics: true) }
    }

    @Test func metadataWithASpaceAndNoTextIsEmpty() throws {
        let family = try #require(try OpenMetricsParser.parse("# HELP a \n# TYPE a gauge\na 1\n# EOF\n").first)
        #expect(family.help == "")
    }

    @Test(arguments: [
        ("a_created", "gauge", "a", "counter"), ("a", "counter", "a_created", "gauge"),
        ("a_total", "gauge", "a", "counter"), ("a", "counter", "a_total", "gauge"),
        ("a_count", "gauge", "a", "summary"), ("a", "summary", "a_sum", "gauge"),
        ("a_bucket", "gauge", "a", "histogram"), ("a", "histogram", "a_count", "gauge"),
        ("a_gcount", "gauge", "a", "gaugehistogram"), ("a", "gaugehistogram", "a_gsum", "gauge"),
        ("a_info", "gauge", "a", "info"), ("a", "info", "a_info", "gauge"),
    ])
    func namesAFamilyDerivesClashWithOtherFamiliesInEitherOrder(
        first: String, firstType: String, second: String, secondType: String
    ) throws {
        let text = "# TYPE \(first) \(firstType)\n# TYPE \(second) \(secondType)\n# EOF\n"
        let reason = try #require(Self.reason(text), "accepted \(text.debugDescription)")
        #expect(reason.contains("clashing name"), "\(reason)")
        #expect(throws: (any Error).self) { try ParserCorpus.pythonRows(text, openMetrics: true) }
    }

    @Test func familiesWhoseDerivedNamesDoNotMeetAreFine() throws {
        let text = "# TYPE a counter\n# TYPE a_sum gauge\n# TYPE b gauge\n# TYPE b_total gauge\n# EOF\n"
        #expect(try OpenMetricsParser.parse(text).map(\.name) == ["a", "a_sum", "b", "b_total"])
    }

    @Test(arguments: [
        ("h_bucket{le=\"+Inf\"} 1\nh_sum 1\n", "sum without a count"),
        ("h_bucket{le=\"+Inf\"} 1\nh_count 1\n", "count without a sum"),
        ("h_bucket{le=\"-1\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_count 1\nh_sum 0\n", "negative buckets"),
    ])
    func histogramSumAndCountComeTogetherAndNeverBesideNegativeBuckets(samples: String, reason: String) throws {
        let text = "# TYPE h histogram\n" + samples + "# EOF\n"
        let actual = try #require(Self.reason(text), "accepted \(text.debugDescription)")
        #expect(actual.contains(reason), "\(actual)")
        #expect(throws: (any Error).self) { try ParserCorpus.pythonRows(text, openMetrics: true) }
    }

    @Test(arguments: [
        ("g_bucket{le=\"+Inf\"} 1\ng_gsum 1\n", "sum without a count"),
        ("g_bucket{le=\"+Inf\"} 1\ng_gcount 1\n", "count without a sum"),
        ("g_bucket{le=\"+Inf\"} 1\ng_gcount 1\ng_gsum -1\n", "negative _gsum"),
    ])
    func gaugeHistogramSumAndCountComeTogetherAndANegativeSumNeedsNegativeBuckets(samples: String, reason: String)
        throws
    {
        let text = "# TYPE g gaugehistogram\n" + samples + "# EOF\n"
        let actual = try #require(Self.reason(text), "accepted \(text.debugDescription)")
        #expect(actual.contains(reason), "\(actual)")
        #expect(throws: (any Error).self) { try ParserCorpus.pythonRows(text, openMetrics: true) }
    }

    @Test func aGaugeHistogramWithNegativeBucketsMayHaveANegativeSum() throws {
        let text =
            "# TYPE g gaugehistogram\ng_bucket{le=\"-1\"} 1\ng_bucket{le=\"+Inf\"} 1\ng_gcount 1\ng_gsum -3\n# EOF\n"
        #expect(try OpenMetricsParser.parse(text)[0].samples.count == 4)
    }

    @Test(arguments: [
        ("# TYPE s summary\ns_sum -1\ns_count 1\n# EOF\n", "cannot be negative"),
        ("# TYPE s summary\ns_sum 1\ns_count 1.5\n# EOF\n", "integers"),
    ])
    func aSummarySumIsNeverNegativeAndItsCountIsAnInteger(text: String, reason: String) throws {
        let actual = try #require(Self.reason(text), "accepted \(text.debugDescription)")
        #expect(actual.contains(reason), "\(actual)")
        #expect(throws: (any Error).self) { try ParserCorpus.pythonRows(text, openMetrics: true) }
    }

    @Test(arguments: ["a 1 2\na 1 1\n", "a 1 -1\na 1 -1.5\n", "a 1 1.000000002\na 1 1.000000001\n"])
    func timestampsOfASeriesNeverGoBackwards(samples: String) throws {
        let text = "# TYPE a gauge\n" + samples + "# EOF\n"
        let reason = try #require(Self.reason(text), "accepted \(text.debugDescription)")
        #expect(reason.contains("backwards"), "\(reason)")
        #expect(throws: (any Error).self) { try ParserCorpus.pythonRows(text, openMetrics: true) }
    }

    @Test func timestampsOfInfoSamplesMayGoBackwards() throws {
        let text = "# TYPE i info\ni_info{a=\"1\"} 1 1\ni_info{a=\"2\"} 1 0\n# EOF\n"
        #expect(try OpenMetricsParser.parse(text)[0].samples.count == 2)
    }

    @Test func timestampsMayBeGivenForSomeSeriesAndNotForOthers() throws {
        let text = "# TYPE a gauge\na{x=\"1\"} 1 5\na{x=\"2\"} 1\n# EOF\n"
        #expect(try OpenMetricsParser.parse(text)[0].samples.count == 2)
        #expect(try Self.agreesWithPython(text))
    }

    @Test func aSeriesGivesTimestampsForAllItsSamplesOrForNone() throws {
        let reason = try #require(Self.reason("# TYPE a gauge\na 1 5\na 2\n# EOF\n"))
        #expect(reason.contains("for all samples of a series or for none"), "\(reason)")
    }

    @Test func aRepeatedSeriesAndTimestampKeepsTheFirstSampleAsPythonDoes() throws {
        let text = "# TYPE a gauge\na 1 0\na 2 0\na 3 1\na 4 1\n# EOF\n"
        let values = try OpenMetricsParser.parse(text)[0].samples.map(\.value)
        #expect(values == [1, 3])
        #expect(try Self.agreesWithPython(text))
    }

    @Test func hugeTimestampsAreKeptToTheNanosecond() throws {
        let text = "# TYPE a counter\na_total 1 12345678901234567890.1234567890\n# EOF\n"
        let timestamp = try #require(try OpenMetricsParser.parse(text)[0].samples[0].timestamp)
        #expect(timestamp.seconds == 12_345_678_901_234_567_890)
        #expect(timestamp.nanoseconds == 123_456_789)
        #expect(
            Exposition.string(try OpenMetricsParser.parse(text), as: .openMetrics100).contains(
                "a_total 1.0 12345678901234567890.123456789\n"))
    }

    @Test(arguments: [
        ("-1.25", Int128(-2), Int32(750_000_000), "-1.250000000"),
        ("-0.5", Int128(-1), Int32(500_000_000), "-0.500000000"),
        ("-3", Int128(-3), Int32(0), "-3.000000000"),
        ("1.5e3", Int128(1500), Int32(0), "1500.000000000"),
    ])
    func timestampsBeforeTheEpochAndInExponentFormAreExact(
        text: String, seconds: Int128, nanoseconds: Int32, description: String
    ) throws {
        let timestamp = try #require(OpenMetricsParser.parseTimestamp(text))
        #expect(timestamp.seconds == seconds)
        #expect(timestamp.nanoseconds == nanoseconds)
        #expect(timestamp.description == description)
    }

    @Test func labelNamesThatOnlyLookAlikeAreTwoLabels() throws {
        let text = "# TYPE a gauge\na{\"e\u{301}\"=\"1\",\"\u{e9}\"=\"2\"} 1\n# EOF\n"
        #expect(try OpenMetricsParser.parse(text)[0].samples[0].labels.count == 2)
    }
}

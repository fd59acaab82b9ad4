import PrometheusTestSupport
import Testing

@testable import PrometheusClient

@Suite struct MetricFamilyBuilderTests {
    @Test func counterFamilyStripsTotalAndAddsCreated() throws {
        var family = try CounterMetricFamily(name: "jobs_total", help: "J.", labelNames: ["q"])
        try family.addMetric(["a"], value: 3, created: 100)
        #expect(family.family.name == "jobs")
        #expect(family.family.samples.map(\.name) == ["jobs_total", "jobs_created"])
        #expect(family.family.samples.map(\.value) == [3, 100])
    }

    @Test func wrongLabelCountIsATypedError() throws {
        var family = try GaugeMetricFamily(name: "g", help: "G.", labelNames: ["a", "b"])
        #expect(throws: MetricError.self) { try family.addMetric(["x"], value: 1) }
    }

    @Test func histogramFamilyDerivesCountFromInfBucket() throws {
        var family = try HistogramMetricFamily(name: "h", help: "H.")
        try family.addMetric([], buckets: [(1, 2, nil), (.infinity, 5, nil)], sum: 7)
        #expect(family.family.samples.map(\.name) == ["h_bucket", "h_bucket", "h_count", "h_sum"])
        #expect(family.family.samples.map(\.value) == [2, 5, 5, 7])
    }

    @Test func histogramFamilyRejectsBucketsWithoutInf() throws {
        var family = try HistogramMetricFamily(name: "h", help: "H.")
        #expect(throws: MetricError.self) { try family.addMetric([], buckets: [(1, 2, nil)], sum: 1) }
        #expect(family.family.samples.isEmpty)
    }

    @Test func gaugeHistogramFamilyUsesGcountAndGsum() throws {
        var family = try GaugeHistogramMetricFamily(name: "q", help: "Q.")
        try family.addMetric([], buckets: [(.infinity, 4, nil)], sum: 9)
        #expect(family.family.samples.map(\.name) == ["q_bucket", "q_gcount", "q_gsum"])
    }

    @Test func stateSetFamilySortsStates() throws {
        var family = try StateSetMetricFamily(name: "s", help: "S.")
        try family.addMetric([], states: ["b": true, "a": false])
        #expect(family.family.samples.map { $0.labels["s"] } == ["a", "b"])
        #expect(family.family.samples.map(\.value) == [0, 1])
    }

    @Test func infoFamilyRejectsKeysOverlappingLabels() throws {
        var family = try InfoMetricFamily(name: "i", help: "I.", labelNames: ["a"])
        #expect(throws: MetricError.self) { try family.addMetric(["x"], info: ["a": "y"]) }
        try family.addMetric(["x"], info: ["b": "y"])
        #expect(family.family.samples[0].name == "i_info")
    }

    @Test func summaryAndUnknownFamilies() throws {
        var summary = try SummaryMetricFamily(name: "s", help: "S.")
        try summary.addMetric([], count: 2, sum: 3)
        #expect(summary.family.samples.map(\.name) == ["s_count", "s_sum"])
        let unknown = try UnknownMetricFamily(name: "u", help: "U.", value: 1)
        #expect(unknown.family.type == .unknown)
    }
}

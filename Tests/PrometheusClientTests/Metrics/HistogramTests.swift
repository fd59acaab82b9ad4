import PrometheusTestSupport
import Testing

@testable import PrometheusClient

@Suite struct HistogramTests {
    @Test func defaultBucketsMatchThePythonClient() {
        #expect(
            Histogram<Unlabelled>.defaultBuckets == [
                0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, .infinity,
            ])
    }

    @Test func observationsAreCumulatedAtCollection() throws {
        let histogram = try Histogram(name: "latency", help: "L.", buckets: [1, 2], registry: nil)
        for value in [0.5, 1, 1.5, 3] { histogram.observe(value) }
        let samples = histogram.collect(includingCreated: false)[0].samples
        #expect(
            samples.map(\.name) == [
                "latency_bucket", "latency_bucket", "latency_bucket", "latency_count", "latency_sum",
            ])
        #expect(samples.map { $0.labels["le"] } == ["1.0", "2.0", "+Inf", nil, nil])
        #expect(samples.map(\.value) == [2, 3, 4, 4, 6])
    }

    @Test func infinityIsAppendedWhenMissing() throws {
        let histogram = try Histogram(name: "h", help: "H.", buckets: [1], registry: nil)
        #expect(histogram.buckets == [1, .infinity])
    }

    @Test func unsortedBucketsAreRejected() {
        #expect(throws: MetricError.self) { try Histogram(name: "h", help: "H.", buckets: [2, 1], registry: nil) }
    }

    @Test func duplicateBucketsAreRejected() {
        #expect(throws: MetricError.self) { try Histogram(name: "h", help: "H.", buckets: [1, 1], registry: nil) }
    }

    @Test func onlyInfinityIsTooFewBuckets() {
        #expect(throws: MetricError.self) { try Histogram(name: "h", help: "H.", buckets: [.infinity], registry: nil) }
        #expect(throws: MetricError.self) { try Histogram(name: "h", help: "H.", buckets: [], registry: nil) }
    }

    @Test func leIsAReservedLabelName() {
        #expect(throws: MetricError.reservedLabelName("le", metric: "h")) {
            try Histogram(name: "h", help: "H.", labelNames: ["le"], registry: nil)
        }
    }

    @Test func nanObservationIsIgnored() throws {
        let histogram = try Histogram(name: "h", help: "H.", registry: nil)
        histogram.observe(.nan)
        let child = histogram.single
        #expect(child.count == 0)
        #expect(child.sum == 0)
    }

    @Test func sumIsOmittedWhenTheFirstBoundIsNegative() throws {
        let histogram = try Histogram(name: "h", help: "H.", buckets: [-1, 1], registry: nil)
        let names = histogram.collect(includingCreated: false)[0].samples.map(\.name)
        #expect(!names.contains("h_sum"))
        #expect(names.contains("h_count"))
    }

    @Test func largeBucketBoundsUseGoExponentForm() throws {
        let histogram = try Histogram(name: "h", help: "H.", buckets: [1_234_567, 1e10], registry: nil)
        let les = histogram.collect()[0].samples.compactMap { $0.labels["le"] }
        #expect(les == ["1.234567e+06", "1e+10", "+Inf"])
    }

    @Test func manyBucketsUseTheRightBucket() throws {
        let bounds = (1...100).map(Double.init)
        let histogram = try Histogram(name: "h", help: "H.", buckets: bounds, registry: nil)
        let child = histogram.single
        child.observe(50)
        child.observe(50.5)
        child.observe(1000)
        let counts = child.cumulativeCounts
        #expect(counts[48] == 0)
        #expect(counts[49] == 1)
        #expect(counts[50] == 2)
        #expect(counts.last == 3)
    }

    @Test func exemplarIsAttachedToTheBucketTheValueFellIn() throws {
        let histogram = try Histogram(name: "h", help: "H.", buckets: [1, 2], registry: nil)
        try histogram.observe(1.5, exemplar: ["trace_id": "t1"])
        let buckets = histogram.collect()[0].samples.filter { $0.name == "h_bucket" }
        #expect(buckets.map { $0.exemplar?.value } == [nil, 1.5, nil])
    }

    @Test func timeObservesTheRealDuration() async throws {
        let histogram = try Histogram(name: "h", help: "H.", registry: nil)
        try await histogram.time { try await Task.sleep(for: .milliseconds(30)) }
        let child = histogram.single
        #expect(child.count == 1)
        #expect(child.sum >= 0.025)
    }
}

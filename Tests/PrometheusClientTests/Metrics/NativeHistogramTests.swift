import Foundation
import PrometheusTestSupport
import Testing

@testable import PrometheusClient

/// Native (exponential) histogram buckets: the bucket arithmetic against Prometheus' definition, the
/// recorder (spans, zero bucket, negative side, resolution reduction, concurrency), and how the
/// histogram is exposed.
@Suite("Native histograms")
struct NativeHistogramTests {
    @Test(
        "the bucket factor picks client_golang's schema",
        arguments: [(1.1, 3), (2.0, 0), (4.0, -1), (1.0001, 8), (65536.0, -4), (1.5, 1), (1.2, 2)] as [(Double, Int32)])
    func bucketFactorPicksSchema(factor: Double, schema: Int32) {
        #expect(NativeBucketMath.schema(forBucketFactor: factor) == schema)
    }

    @Test("every value lands in the bucket whose bounds hold it, at every schema")
    func indexMatchesTheBounds() {
        var generator = SystemRandomNumberGenerator()
        for schema in NativeBucketMath.schemaRange {
            for _ in 0..<2000 {
                let value = exp2(Double.random(in: -40...40, using: &generator))
                let index = NativeBucketMath.index(of: value, schema: schema)
                #expect(value <= NativeBucketMath.upperBound(index: index, schema: schema), "\(value) at \(schema)")
                #expect(value > NativeBucketMath.upperBound(index: index - 1, schema: schema), "\(value) at \(schema)")
            }
            // Powers of two are upper bounds: 1 is the top of bucket 0, 2 of bucket 2^schema (schema >= 0).
            #expect(NativeBucketMath.index(of: 1, schema: schema) == 0)
            if schema >= 0 { #expect(NativeBucketMath.index(of: 2, schema: schema) == 1 << Int(schema)) }
        }
        #expect(NativeBucketMath.index(of: 1.5, schema: 0) == 1)
        #expect(NativeBucketMath.index(of: 0.75, schema: 0) == 0)
        #expect(NativeBucketMath.index(of: 0.5, schema: 0) == -1)
        #expect(NativeBucketMath.index(of: 1.1, schema: 3) == 2)
    }

    @Test("reducing the schema merges buckets as ceil(index / 2^steps)")
    func reductionMergesNeighbours() {
        #expect(
            [-3, -2, -1, 0, 1, 2, 3, 4].map { NativeBucketMath.reduce(index: $0, by: 1) } == [-1, -1, 0, 0, 1, 1, 2, 2])
        // A value's bucket at the lower schema is the reduction of its bucket at the higher one.
        for value in [0.01, 0.3, 1.0, 1.7, 3.3, 1000.0] {
            #expect(
                NativeBucketMath.reduce(index: NativeBucketMath.index(of: value, schema: 3), by: 2)
                    == NativeBucketMath.index(of: value, schema: 1), "\(value)")
        }
    }

    @Test("spans and deltas encode buckets and decode back, empty gaps of up to two kept inside a span")
    func spansAndDeltasRoundTrip() {
        let buckets: [(index: Int, count: Int64)] = [(-1, 1), (1, 2), (2, 1), (9, 5)]
        let encoded = NativeBucketMath.spansAndDeltas(buckets)
        #expect(encoded.spans == [.init(offset: -1, length: 4), .init(offset: 6, length: 1)])
        #expect(encoded.deltas == [1, -1, 2, -1, 4])
        let decoded = NativeBucketMath.buckets(spans: encoded.spans, deltas: encoded.deltas).filter { $0.count != 0 }
        #expect(decoded.map(\.index) == buckets.map(\.index) && decoded.map(\.count) == buckets.map(\.count))
    }

    @Test("a histogram records zero, positive and negative buckets beside its classic ones")
    func recordsEverySide() throws {
        let histogram = try Histogram(
            name: "nh_sides", help: "N.", buckets: [1, 2], native: NativeHistogramOptions(bucketFactor: 2),
            registry: nil)
        for value in [0.5, 1.5, 1.7, 3, 0, -2] { histogram.observe(value) }
        let family = histogram.collect()[0]
        let native = try #require(family.samples.first { $0.nativeHistogram != nil }?.nativeHistogram)
        #expect(native.schema == 0 && native.count == 6 && native.zeroCount == 1)
        #expect(abs(native.sum - 4.7) < 1e-12)
        #expect(native.positiveSpans == [.init(offset: -1, length: 4)] && native.positiveDeltas == [1, -1, 2, -1])
        #expect(native.negativeSpans == [.init(offset: 1, length: 1)] && native.negativeDeltas == [1])
        #expect(family.samples.contains { $0.name == "nh_sides_bucket" && $0.value == 3 })
        #expect(family.samples.contains { $0.name == "nh_sides_count" && $0.value == 6 })
    }

    @Test("beyond the bucket limit the resolution halves and every count is kept")
    func bucketLimitHalvesTheResolution() throws {
        let histogram = try Histogram(
            name: "nh_limit", help: "N.", native: NativeHistogramOptions(bucketFactor: 1.01, maximumBucketCount: 4),
            registry: nil)
        for value in 1...100 { histogram.observe(Double(value)) }
        let native = try #require(histogram.collect()[0].samples.first { $0.nativeHistogram != nil }?.nativeHistogram)
        #expect(native.count == 100 && native.sum == 5050)
        let buckets = NativeBucketMath.buckets(spans: native.positiveSpans, deltas: native.positiveDeltas)
        #expect(buckets.filter { $0.count != 0 }.count <= 4)
        #expect(native.schema < NativeBucketMath.schema(forBucketFactor: 1.01))
        #expect(buckets.reduce(0) { $0 + $1.count } == 100)
    }

    @Test("over the limit the zero bucket widens first, up to its maximum, keeping the resolution")
    func zeroBucketWidensFirst() throws {
        let histogram = try Histogram(
            name: "nh_widen", help: "N.",
            native: NativeHistogramOptions(
                bucketFactor: 2, maximumBucketCount: 3, keepsClassicBuckets: false, maximumZeroThreshold: 1),
            registry: nil)
        for value in [0.1, 0.3, 0.6, 5, 10] { histogram.observe(value) }
        let native = try #require(histogram.collect()[0].samples.first?.nativeHistogram)
        #expect(native.schema == 0 && native.zeroThreshold == 0.5 && native.zeroCount == 2 && native.count == 5)
        let buckets = NativeBucketMath.buckets(spans: native.positiveSpans, deltas: native.positiveDeltas)
            .filter { $0.count != 0 }
        #expect(buckets.map(\.index) == [0, 3, 4])
    }

    @Test("over the limit, a due reset starts the whole series afresh, classic part and _created included")
    func dueResetStartsAfresh() throws {
        let histogram = try Histogram(
            name: "nh_reset", help: "N.", buckets: [1, 5],
            native: NativeHistogramOptions(bucketFactor: 2, maximumBucketCount: 2, minimumResetDuration: 0.05),
            registry: nil)
        histogram.observe(1)
        histogram.observe(3)
        let createdBefore = try #require(histogram.collect()[0].samples.first { $0.name == "nh_reset_created" }).value
        usleep(100_000)
        histogram.observe(10)  // a third bucket, with a reset due: dropped with the rest
        var samples = histogram.collect()[0].samples
        #expect(samples.first { $0.nativeHistogram != nil }?.nativeHistogram?.count == 0)
        #expect(samples.first { $0.name == "nh_reset_count" }?.value == 0)
        #expect(try #require(samples.first { $0.name == "nh_reset_created" }).value > createdBefore)
        histogram.observe(3)
        samples = histogram.collect()[0].samples
        #expect(samples.first { $0.nativeHistogram != nil }?.nativeHistogram?.count == 1)
        #expect(samples.first { $0.name == "nh_reset_count" }?.value == 1)
        #expect(samples.first { $0.nativeHistogram != nil }?.nativeHistogram?.schema == 0)
    }

    @Test("concurrent observations across resolution reductions are all counted")
    func concurrentObservationsAreNotLost() async throws {
        let histogram = try Histogram(
            name: "nh_concurrent", help: "N.",
            native: NativeHistogramOptions(bucketFactor: 1.001, maximumBucketCount: 8),
            registry: nil)
        let perTask = 20_000
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<4 {
                group.addTask {
                    for step in 0..<perTask { histogram.observe(Double((step * 7 + task) % 5000 + 1) / 100) }
                }
            }
        }
        let native = try #require(histogram.collect()[0].samples.first { $0.nativeHistogram != nil }?.nativeHistogram)
        #expect(native.count == Double(4 * perTask))
        let buckets = NativeBucketMath.buckets(spans: native.positiveSpans, deltas: native.positiveDeltas)
        #expect(buckets.reduce(0) { $0 + $1.count } == Int64(4 * perTask))
        #expect(buckets.filter { $0.count != 0 }.count <= 8)
    }

    @Test("native-only histograms expose the native sample and _created, no classic buckets")
    func nativeOnlyExposesNoClassicBuckets() throws {
        let registry = CollectorRegistry()
        let histogram = try Histogram(
            name: "nh_only", help: "N.", native: NativeHistogramOptions(keepsClassicBuckets: false), registry: registry)
        try histogram.observe(0.25, exemplar: ["trace_id": "t"])
        let family = histogram.collect()[0]
        #expect(family.samples.map(\.name) == ["nh_only", "nh_only_created"])
        #expect(family.samples[0].nativeHistogram?.exemplars.map(\.labels) == [[Label("trace_id", "t")]])
        let text = Exposition.string([family], as: .openMetrics200)
        #expect(text.contains("nh_only {count:1,sum:0.25,schema:3,"))
        #expect(text.contains(#"# {trace_id="t"} 0.25"#))
        let decoded = try ProtobufParser.parse(Exposition.render(registry.collect().families, as: .prometheusProtobuf))
        #expect(decoded.first?.samples.first?.nativeHistogram?.count == 1)
        #expect(
            try OpenMetrics2Parser.parse(text).first?.samples.first?.nativeHistogram
                == family.samples[0].nativeHistogram
        )
    }

    @Test("invalid native options are refused at construction")
    func invalidOptionsAreRefused() {
        #expect(throws: MetricError.self) {
            try Histogram(name: "nh_bad", help: "N.", native: NativeHistogramOptions(bucketFactor: 1), registry: nil)
        }
        #expect(throws: MetricError.self) {
            try Histogram(
                name: "nh_bad2", help: "N.", native: NativeHistogramOptions(maximumBucketCount: -1), registry: nil)
        }
    }
}

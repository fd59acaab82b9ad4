import Foundation
import PrometheusServing
import PrometheusTestSupport
import Testing

@testable import PrometheusClient

/// A real Prometheus (native histograms enabled) scrapes the built-in server's protobuf exposition.
@Suite("Protobuf exposition scraped by a real Prometheus")
struct ProtobufScrapeTests {
    @Test("a real Prometheus with native histograms scrapes protobuf: counts, sums and quantiles match")
    func prometheusIngestsOurProtobuf() throws {
        let binary = try ExternalTool.require("prometheus")
        let registry = CollectorRegistry()
        let counter = try Counter(name: "pb_requests", help: "Requests.", registry: registry)
        counter.inc(by: 5)
        let classic = try Histogram(name: "pb_classic_seconds", help: "C.", buckets: [0.1, 1], registry: registry)
        for value in [0.05, 0.5, 0.7, 3] { classic.observe(value) }
        // Schema 0: bucket i holds (2^(i-1), 2^i]; 3 observations in (0.5, 1], 1 in (1, 2].
        let native = NativeHistogram(
            count: 4, sum: 3.5, schema: 0, zeroThreshold: 0, zeroCount: 0,
            positiveSpans: [.init(offset: 0, length: 2)], positiveDeltas: [3, -2])
        try registry.register(
            FixedFamilies([
                MetricFamily(
                    name: "pb_native_seconds", help: "N.", type: .histogram,
                    samples: [Sample(name: "pb_native_seconds", value: 0, nativeHistogram: native)])
            ]))
        let instrumented = try Histogram(
            name: "pb_instrumented_seconds", help: "I.", buckets: [0.1, 1],
            native: NativeHistogramOptions(bucketFactor: 1.1), registry: registry)
        let observed = (1...50).map { Double($0) / 100 }
        for value in observed { instrumented.observe(value) }
        let server = try MetricsServer.start(port: 0, address: "127.0.0.1", registry: registry)
        defer { server.stop() }
        let prometheus = try PrometheusServer(
            binary: binary, target: "127.0.0.1:\(server.port)", job: "protobuf",
            flags: ["--enable-feature=native-histograms"])
        defer { prometheus.stop() }
        #expect(try prometheus.waitForValue("pb_requests_total", timeout: 60) { $0 == 5 } == 5)
        #expect(try prometheus.waitForValue("histogram_count(pb_native_seconds)", timeout: 30) { $0 == 4 } == 4)
        #expect(try prometheus.query("histogram_sum(pb_native_seconds)") == 3.5)
        let median = try #require(try prometheus.query("histogram_quantile(0.5, pb_native_seconds)"))
        #expect(median > 0.5 && median <= 1, "\(median)")
        #expect(try prometheus.query(#"pb_classic_seconds_bucket{le="1.0"}"#) == 3)
        #expect(try prometheus.query("pb_classic_seconds_count") == 4)
        // Our own native instrumentation, classic buckets beside it: both reach Prometheus.
        #expect(try prometheus.query("histogram_count(pb_instrumented_seconds)") == 50)
        let nativeSum = try #require(try prometheus.query("histogram_sum(pb_instrumented_seconds)"))
        #expect(abs(nativeSum - observed.reduce(0, +)) < 1e-9)
        let p90 = try #require(try prometheus.query("histogram_quantile(0.9, pb_instrumented_seconds)"))
        // Schema 3 buckets are at most 9% wide: the 45th of 0.01...0.50 (0.45) within that.
        #expect(abs(p90 - 0.45) / 0.45 < 0.1, "\(p90)")
    }
}

/// A collector that serves fixed families.
final class FixedFamilies: Collector, @unchecked Sendable {
    let families: [MetricFamily]
    init(_ families: [MetricFamily]) { self.families = families }
    func collect() throws -> [MetricFamily] { families }
}

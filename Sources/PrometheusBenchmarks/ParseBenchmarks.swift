import Foundation
import PrometheusClient

/// Parser throughput on a generated exposition of about 10 MB, in both formats, reported as
/// nanoseconds per byte (lower is better; MB/s = 1000 / ns-per-byte).
enum ParseBenchmarks {
    static func run() throws -> [Measurement] {
        let families = try makeFamilies()
        let text = Exposition.render(families, as: .prometheusText004)
        let openMetrics = Exposition.render(families, as: .openMetrics100)
        return [
            try measure("parse_text_ns_per_byte", bytes: text) { _ = try PrometheusTextParser.parse($0) },
            try measure("parse_openmetrics_ns_per_byte", bytes: openMetrics) { _ = try OpenMetricsParser.parse($0) },
        ]
    }

    /// The same shape Scripts/python_benchmark.py generates: 100 families of counters, gauges and
    /// histograms with 3 labels each, until the text reaches 10 MB.
    static func makeFamilies() throws -> [MetricFamily] {
        var families: [MetricFamily] = []
        for index in 0..<100 {
            var counter = try CounterMetricFamily(
                name: "app_requests_\(index)", help: "Requests handled.", labelNames: ["method", "code", "instance"])
            var gauge = try GaugeMetricFamily(
                name: "app_queue_\(index)", help: "Queue depth.", labelNames: ["method", "code", "instance"])
            var histogram = try HistogramMetricFamily(
                name: "app_latency_\(index)", help: "Latency.", labelNames: ["method", "code", "instance"])
            for child in 0..<480 {
                let labels = ["GET", String(200 + child % 5), "host-\(child).example:9100"]
                try counter.addMetric(labels, value: Double(child * 17))
                try gauge.addMetric(labels, value: Double(child) * 0.25)
                if child < 30 {
                    try histogram.addMetric(
                        labels, buckets: [(0.1, 1, nil), (1, 5, nil), (.infinity, Double(child + 5), nil)], sum: 12.5)
                }
            }
            families += [counter.family, gauge.family, histogram.family]
        }
        return families
    }

    static func render(_ format: ExpositionFormat) throws -> [UInt8] {
        Exposition.render(try makeFamilies(), as: format)
    }

    private static func measure(_ name: String, bytes: [UInt8], _ body: ([UInt8]) throws -> Void) throws -> Measurement
    {
        var best = Double.infinity
        for _ in 0..<3 {
            let start = DispatchTime.now().uptimeNanoseconds
            try body(bytes)
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start))
        }
        return Measurement(name: name, value: best / Double(bytes.count))
    }
}

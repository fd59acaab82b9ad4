import Foundation
import PrometheusClient

/// The scrape path in process: rendering a registry of 10,000 counter series, 10,000 gauge series
/// or 1,000 histograms of 11 buckets (two labels, `method` and `route`, as a web server has), in the
/// text format and OpenMetrics, with and without `_created`, into an array reused between scrapes.
/// The same registries are built by Scripts/python_benchmark.py.
enum RenderBenchmarks {
    static let buckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    static func registries() throws -> [(name: String, registry: CollectorRegistry)] {
        let counters = CollectorRegistry()
        let counter = try Counter(
            name: "http_requests", help: "Requests.", labelNames: ["method", "route"], registry: counters)
        let gauges = CollectorRegistry()
        let gauge = try Gauge(name: "temperature", help: "T.", labelNames: ["method", "route"], registry: gauges)
        for index in 0..<10_000 {
            try counter.labels("GET", "/api/item/\(index)").inc(by: Double(index))
            try gauge.labels("GET", "/api/item/\(index)").set(Double(index) * 0.37 + 0.5)
        }
        let histograms = CollectorRegistry()
        let histogram = try Histogram(
            name: "latency_seconds", help: "L.", labelNames: ["method", "route"], buckets: buckets,
            registry: histograms)
        for index in 0..<1_000 {
            let child = try histogram.labels("GET", "/api/item/\(index)")
            for observation in 0..<20 { child.observe(Double((index + observation) % 40) * 0.3) }
        }
        return [("counters", counters), ("gauges", gauges), ("histograms", histograms)]
    }

    static func run() throws -> [Measurement] {
        var results: [Measurement] = []
        var bytes: [UInt8] = []
        for (name, registry) in try registries() {
            for (formatName, format) in [
                ("text", ExpositionFormat.prometheusText004), ("openmetrics", .openMetrics100),
            ] {
                for created in [false, true] {
                    CreatedSeries.isEnabled = created
                    let label = "render_\(name)_\(formatName)\(created ? "_created" : "")_ms"
                    // RENDER_ONLY=<part of a label> runs only the matching cases (for profiling).
                    if let only = ProcessInfo.processInfo.environment["RENDER_ONLY"], !label.contains(only) { continue }
                    // ns per render, reported in ms.
                    let measurement = Measurement.run(label, iterations: 1, rounds: 15) { count in
                        for _ in 0..<count { registry.render(as: format, into: &bytes) }
                    }
                    results.append(Measurement(name: label, value: measurement.value / 1e6))
                }
            }
        }
        CreatedSeries.isEnabled = true
        return results
    }
}

import Foundation
import PrometheusClient

/// The master's merge of a multiprocess directory: a cold collection (new collector, every key
/// decoded) and warm ones (the same collector again, keys cached).
enum MergeBenchmarks {
    static func run(directory: String, label: String) throws -> [Measurement] {
        // Cold: the first collection of a new collector (the master's first scrape). The collector is
        // created and released outside the timing: a master keeps it for its whole life.
        var cold = Double.infinity
        for _ in 0..<3 {
            let fresh = try MultiProcessCollector(path: directory)
            cold = min(cold, try bestOf(1) { _ = try fresh.collect() })
        }
        let collector = try MultiProcessCollector(path: directory)
        _ = try collector.collect()
        let warmRounds = Int(ProcessInfo.processInfo.environment["MERGE_WARM_ROUNDS"] ?? "") ?? 5
        let warm = try bestOf(warmRounds) {
            _ = try collector.collect()
        }
        // A whole warm scrape as the built-in server makes it: merge, render, gzip.
        let registry = CollectorRegistry()
        try registry.register(collector)
        var rendered: [UInt8] = []
        let render = try bestOf(warmRounds) { registry.render(as: .prometheusText004, into: &rendered) }
        let scrape = try bestOf(warmRounds) {
            registry.render(as: .prometheusText004, into: &rendered)
            _ = Gzip.compress(rendered, level: .fastest)
        }
        return [
            Measurement(name: "merge_\(label)_cold_ms", value: cold * 1e3),
            Measurement(name: "merge_\(label)_warm_ms", value: warm * 1e3),
            Measurement(name: "merge_\(label)_render_ms", value: render * 1e3),
            Measurement(name: "merge_\(label)_scrape_gzip_ms", value: scrape * 1e3),
        ]
    }

    /// The fastest of `rounds` runs, in seconds.
    private static func bestOf(_ rounds: Int, _ body: () throws -> Void) throws -> Double {
        var best = Double.infinity
        for _ in 0..<rounds {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return best
    }
}

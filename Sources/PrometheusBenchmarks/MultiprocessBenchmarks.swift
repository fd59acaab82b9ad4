import Foundation
import PrometheusClient

/// The hot paths in multiprocess mode: the same updates as the core suite, on memory-mapped files.
/// Run in its own process: enabling multiprocess mode is a once-per-process decision.
enum MultiprocessBenchmarks {
    static func run(iterations: Int) throws -> [Measurement] {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("prometheus-benchmark-\(getpid())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Multiprocess.enable(directory: directory)

        let counter = try Counter(name: "bench_counter", help: "B.", labelNames: ["route"], registry: nil)
        let gauge = try Gauge(
            name: "bench_gauge", help: "B.", labelNames: ["route"], multiprocessMode: .livesum, registry: nil)
        let histogram = try Histogram(name: "bench_histogram", help: "B.", labelNames: ["route"], registry: nil)
        let counterChild = try counter.labels("/home")
        let gaugeChild = try gauge.labels("/home")
        let histogramChild = try histogram.labels("/home")
        let native = try Histogram(
            name: "bench_native", help: "B.", labelNames: ["route"], native: NativeHistogramOptions(bucketFactor: 1.1),
            registry: nil)
        let nativeChild = try native.labels("/home")
        return [
            Measurement.run("mp_counter_inc", iterations: iterations) { count in
                for _ in 0..<count { counterChild.inc() }
            },
            Measurement.run("mp_gauge_set", iterations: iterations) { count in
                for index in 0..<count { gaugeChild.set(Double(index)) }
            },
            Measurement.run("mp_histogram_observe", iterations: iterations) { count in
                for index in 0..<count { histogramChild.observe(Double(index & 1023) * 0.001) }
            },
            // The native buckets in the process's histogram_<id>.native, updated as in memory.
            Measurement.run("mp_histogram_observe_native_and_classic", iterations: iterations) { count in
                for index in 0..<count { nativeChild.observe(Double(index & 1023) * 0.001) }
            },
        ]
    }
}

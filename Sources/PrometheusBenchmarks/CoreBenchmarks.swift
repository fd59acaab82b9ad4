import CPrometheusSupport
import PrometheusClient

/// The in-process hot paths: updates on a cached child, and looking up an existing child.
enum CoreBenchmarks {
    static func run(iterations: Int) throws -> [Measurement] {
        let counter = try Counter(name: "bench_counter", help: "B.", labelNames: ["route"], registry: nil)
        let gauge = try Gauge(name: "bench_gauge", help: "B.", labelNames: ["route"], registry: nil)
        let histogram = try Histogram(name: "bench_histogram", help: "B.", labelNames: ["route"], registry: nil)
        let counterChild = try counter.labels("/home")
        let gaugeChild = try gauge.labels("/home")
        let histogramChild = try histogram.labels("/home")
        let native = try Histogram(
            name: "bench_native", help: "B.", labelNames: ["route"], native: NativeHistogramOptions(bucketFactor: 1.1),
            registry: nil)
        let nativeChild = try native.labels("/home")
        let nativeOnly = try Histogram(
            name: "bench_native_only", help: "B.", labelNames: ["route"],
            native: NativeHistogramOptions(bucketFactor: 1.1, keepsClassicBuckets: false), registry: nil)
        let nativeOnlyChild = try nativeOnly.labels("/home")
        for route in 0..<100 { _ = try counter.labels("/route/\(route)") }
        return [
            Measurement.run("counter_inc", iterations: iterations) { count in
                for _ in 0..<count { counterChild.inc() }
            },
            Measurement.run("gauge_set", iterations: iterations) { count in
                for index in 0..<count { gaugeChild.set(Double(index)) }
            },
            Measurement.run("histogram_observe", iterations: iterations) { count in
                for index in 0..<count { histogramChild.observe(Double(index & 1023) * 0.001) }
            },
            // The same values as histogram_observe: about 60 native buckets, all made in the warm-up.
            Measurement.run("histogram_observe_native_and_classic", iterations: iterations) { count in
                for index in 0..<count { nativeChild.observe(Double(index & 1023) * 0.001) }
            },
            Measurement.run("histogram_observe_native_only", iterations: iterations) { count in
                for index in 0..<count { nativeOnlyChild.observe(Double(index & 1023) * 0.001) }
            },
            Measurement.run("labels_lookup", iterations: iterations / 10) { count in
                for _ in 0..<count { _ = try? counter.labels("/route/42") }
            },
            floorOfAtomicAdd(iterations: iterations),
            floorOfIntegerAdd(iterations: iterations),
        ]
    }

    /// The machine's floor for a lock-free increment: the bare compare-and-swap loop on a double that
    /// `inc()` is built on, with nothing of this package around it. How much one locked instruction
    /// costs differs a lot between CPUs and VMs, so the report shows it next to `counter_inc`.
    /// The floor for a whole increment in process: one locked integer add (`lock xadd`), which
    /// in-process counters use for `inc()`.
    static func floorOfIntegerAdd(iterations: Int) -> Measurement {
        let slot = UnsafeMutablePointer<Int64>.allocate(capacity: 1)
        defer { slot.deallocate() }
        slot.initialize(to: 0)
        return Measurement.run("floor_atomic_integer_add", iterations: iterations) { count in
            for _ in 0..<count { prometheus_atomic_add_int64(slot, 1) }
        }
    }

    static func floorOfAtomicAdd(iterations: Int) -> Measurement {
        let slot = UnsafeMutablePointer<Double>.allocate(capacity: 1)
        defer { slot.deallocate() }
        slot.initialize(to: 0)
        return Measurement.run("floor_atomic_add", iterations: iterations) { count in
            for _ in 0..<count { prometheus_atomic_add_double(slot, 1) }
        }
    }
}

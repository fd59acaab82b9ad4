import CPrometheusSystemCalls
import Foundation
import Glibc
import PrometheusClient
import PrometheusMultiprocess
import PrometheusServing

/// The master's merge of a multiprocess directory: a cold collection (new collector, every key
/// decoded) and warm ones (the same collector again, keys cached). The merge figures judge no
/// writer (`.manual`, the same work as Python's collector); the liveness figure is a warm collection
/// that also judges every writer by its lease, each held by this process as a live worker would.
enum MergeBenchmarks {
    static func run(directory: String, label: String) throws -> [Measurement] {
        try runMerge(directory: directory, label: label) + (try runLiveness(directory: directory, label: label))
    }

    /// Warm collections with every writer judged by a held lease, against the same without judging:
    /// medians of 15 alternating rounds, the interquartile spread, and judging's share of the time.
    private static func runLiveness(directory: String, label: String) throws -> [Measurement] {
        var identities = Set<String>()
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) where name.hasSuffix(".db") {
            if let id = name.dropLast(3).split(separator: "_").last, id != "archive" { identities.insert(String(id)) }
        }
        var held: [(path: String, descriptor: Int32)] = []
        defer {
            for lease in held {
                close(lease.descriptor)
                unlink(lease.path)
            }
        }
        for identity in identities {
            let path = directory + "/writer_\(identity).lock"
            let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard descriptor >= 0, prometheus_ofd_try_lock_exclusive(descriptor) == 0 else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
            }
            held.append((path, descriptor))
        }
        // Both warm, measured alternately so that the machine's drift hits both alike.
        let judging = try MultiProcessCollector(
            path: directory, lifecycle: MultiprocessLifecycle(liveness: .leasesAndProcesses, archiving: .off))
        let plain = try MultiProcessCollector(path: directory, lifecycle: .manual)
        _ = try judging.collect()
        _ = try plain.collect()
        var judged: [Double] = []
        var unjudged: [Double] = []
        var afterEvent: [Double] = []
        // An event (a file closed after writing, as when a writer ends) makes the next collection
        // judge every writer again; without one the verdicts stand.
        let eventPath = directory + "/benchmark.event"
        defer { unlink(eventPath) }
        for _ in 0..<15 {
            judged.append(try bestOf(1) { _ = try judging.collect() })
            unjudged.append(try bestOf(1) { _ = try plain.collect() })
            close(open(eventPath, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644))
            afterEvent.append(try bestOf(1) { _ = try judging.collect() })
        }
        judged.sort()
        unjudged.sort()
        afterEvent.sort()
        let share = max(0, judged[7] - unjudged[7]) / judged[7]
        let shareAfterEvent = max(0, afterEvent[7] - unjudged[7]) / afterEvent[7]
        return [
            Measurement(name: "merge_\(label)_warm_judging_median_ms", value: judged[7] * 1e3),
            Measurement(name: "merge_\(label)_warm_not_judging_median_ms", value: unjudged[7] * 1e3),
            Measurement(name: "merge_\(label)_judging_spread_ms", value: (judged[11] - judged[3]) * 1e3),
            Measurement(name: "merge_\(label)_liveness_share_percent", value: share * 100),
            Measurement(name: "merge_\(label)_warm_judging_every_writer_median_ms", value: afterEvent[7] * 1e3),
            Measurement(name: "merge_\(label)_judging_every_writer_share_percent", value: shareAfterEvent * 100),
        ]
    }

    private static func runMerge(directory: String, label: String) throws -> [Measurement] {
        // Cold: the first collection of a new collector (the master's first scrape). The collector is
        // created and released outside the timing: a master keeps it for its whole life.
        var colds: [Double] = []
        for _ in 0..<9 {
            let fresh = try MultiProcessCollector(path: directory, lifecycle: .manual)
            colds.append(try bestOf(1) { _ = try fresh.collect() })
        }
        let collector = try MultiProcessCollector(path: directory, lifecycle: .manual)
        _ = try collector.collect()
        // 60 by default: with 15, the medians of the sub-millisecond shapes moved by a third between
        // runs minutes apart on the same machine.
        let warmRounds = Int(ProcessInfo.processInfo.environment["MERGE_WARM_ROUNDS"] ?? "") ?? 60
        let warms = try (0..<warmRounds).map { _ in try bestOf(1) { _ = try collector.collect() } }
        // A whole warm scrape as the built-in server makes it: merge, render, gzip.
        let registry = CollectorRegistry()
        try registry.register(collector)
        var rendered: [UInt8] = []
        let render = try bestOf(5) { registry.render(as: .prometheusText004, into: &rendered) }
        let scrape = try bestOf(5) {
            registry.render(as: .prometheusText004, into: &rendered)
            _ = Gzip.compress(rendered, level: .fastest)
        }
        let floor = try MergeFloor.measure(directory: directory, rounds: warmRounds)
        let otherFloors = try MappedFloors.measure(directory: directory, rounds: warmRounds)
        let http = try warmScrapesOverHTTP(registry, rounds: warmRounds)
        let (cold, warm) = (Spread(colds), Spread(warms))
        return [
            Measurement(name: "merge_\(label)_cold_median_ms", value: cold.median * 1e3),
            Measurement(name: "merge_\(label)_cold_spread_ms", value: cold.interquartile * 1e3),
            Measurement(name: "merge_\(label)_warm_median_ms", value: warm.median * 1e3),
            Measurement(name: "merge_\(label)_warm_spread_ms", value: warm.interquartile * 1e3),
            Measurement(name: "merge_\(label)_render_ms", value: render * 1e3),
            Measurement(name: "merge_\(label)_scrape_gzip_ms", value: scrape * 1e3),
            Measurement(name: "merge_\(label)_floor_pread_median_ms", value: floor.median * 1e3),
            Measurement(name: "merge_\(label)_floor_pread_spread_ms", value: floor.spread * 1e3),
            Measurement(
                name: "merge_\(label)_floor_batched_copy_median_ms", value: otherFloors.batchedCopy.median * 1e3),
            Measurement(
                name: "merge_\(label)_floor_batched_copy_spread_ms", value: otherFloors.batchedCopy.spread * 1e3),
            Measurement(name: "merge_\(label)_floor_chosen_median_ms", value: otherFloors.chosen.median * 1e3),
            Measurement(name: "merge_\(label)_floor_chosen_spread_ms", value: otherFloors.chosen.spread * 1e3),
            Measurement(name: "merge_\(label)_floor_mapped_median_ms", value: otherFloors.mapped.median * 1e3),
            Measurement(name: "merge_\(label)_floor_mapped_spread_ms", value: otherFloors.mapped.spread * 1e3),
            Measurement(name: "merge_\(label)_http_warm_median_ms", value: http.scrape.median * 1e3),
            Measurement(name: "merge_\(label)_http_warm_spread_ms", value: http.scrape.interquartile * 1e3),
            Measurement(name: "merge_\(label)_loopback_round_trip_median_ms", value: http.roundTrip.median * 1e3),
        ]
    }

    /// `rounds` warm text renders of a registry holding a collector of `directory`: the merged scrape
    /// without HTTP, for profilers. Returns the median.
    static func renderOnly(directory: String, rounds: Int) throws -> Measurement {
        let registry = CollectorRegistry()
        try registry.register(try MultiProcessCollector(path: directory, lifecycle: .manual))
        var rendered: [UInt8] = []
        registry.render(as: .prometheusText004, into: &rendered)
        let times = try (0..<max(rounds, 1)).map { _ in
            try bestOf(1) { registry.render(as: .prometheusText004, into: &rendered) }
        }
        return Measurement(name: "merge_render_median_ms", value: Spread(times).median * 1e3)
    }

    /// `rounds` cold collections of `directory`, each by a new collector (created and released
    /// outside the timing), for profilers. Returns the median.
    static func coldOnly(directory: String, rounds: Int) throws -> Measurement {
        var times: [Double] = []
        for _ in 0..<max(rounds, 1) {
            let fresh = try MultiProcessCollector(path: directory, lifecycle: .manual)
            times.append(try bestOf(1) { _ = try fresh.collect() })
        }
        return Measurement(name: "merge_cold_median_ms", value: Spread(times).median * 1e3)
    }

    /// Warm text scrapes of `registry` through the built-in server over loopback (one keep-alive
    /// connection), and round trips to a server with nothing to serve: the loopback's own cost.
    private static func warmScrapesOverHTTP(_ registry: CollectorRegistry, rounds: Int) throws -> (
        scrape: Spread, roundTrip: Spread
    ) {
        let server = try MetricsServer.start(port: 0, address: "127.0.0.1", registry: registry)
        defer { server.stop() }
        let empty = try MetricsServer.start(port: 0, address: "127.0.0.1", registry: CollectorRegistry())
        defer { empty.stop() }
        let client = try BenchmarkHTTPClient(port: server.port)
        let emptyClient = try BenchmarkHTTPClient(port: empty.port)
        _ = try client.get("/metrics")
        _ = try emptyClient.get("/metrics")
        var scrapes: [Double] = []
        var trips: [Double] = []
        for _ in 0..<rounds {
            scrapes.append(try bestOf(1) { _ = try client.get("/metrics") })
            trips.append(try bestOf(1) { _ = try emptyClient.get("/metrics") })
        }
        return (Spread(scrapes), Spread(trips))
    }

    /// The median and interquartile range of some timings.
    struct Spread {
        let median: Double
        let interquartile: Double

        init(_ values: [Double]) {
            let sorted = values.sorted()
            median = sorted[sorted.count / 2]
            interquartile = sorted[sorted.count * 3 / 4] - sorted[sorted.count / 4]
        }
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

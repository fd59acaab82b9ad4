import Dispatch
import Foundation
import PrometheusClient
import PrometheusMultiprocess
import PrometheusServing
import Synchronization

/// Concurrent scrapes of a multiprocess master (gzip asked for, as Prometheus asks): one scrape
/// alone, `scrapers` at once sharing one collection (the default), and `scrapers` at once each
/// collecting. Wall-clock milliseconds until the last response, the median of `rounds`.
enum CoalesceBenchmarks {
    static func run(directory: String, scrapers: Int = 8, rounds: Int = 7) throws -> [Measurement] {
        let registry = CollectorRegistry()
        try registry.register(MultiProcessCollector(path: directory, lifecycle: .init(archiving: .off)))
        var separate = MetricsHandlerOptions()
        separate.coalescesScrapes = false
        let shared = MetricsHandler(registry: registry)
        let apart = MetricsHandler(registry: registry, options: separate)
        _ = scrape(shared)  // the first merge decodes every key: not what a running master pays
        return [
            Measurement(name: "one_scrape_ms", value: median(rounds) { together(1, shared) }),
            Measurement(
                name: "\(scrapers)_concurrent_coalesced_ms", value: median(rounds) { together(scrapers, shared) }),
            Measurement(
                name: "\(scrapers)_concurrent_each_collecting_ms", value: median(rounds) { together(scrapers, apart) }),
        ]
    }

    private static func scrape(_ handler: MetricsHandler) -> Int {
        handler.handle(
            method: "GET", path: "/metrics", query: nil, headers: [HTTPHeader("Accept-Encoding", "gzip")]
        ).body.count
    }

    /// Milliseconds from releasing `count` threads until the last has its response.
    private static func together(_ count: Int, _ handler: MetricsHandler) -> Double {
        let ready = Atomic<Int>(0)
        let done = DispatchSemaphore(value: 0)
        let release = Atomic<Bool>(false)
        for _ in 0..<count {
            Thread {
                ready.add(1, ordering: .acquiringAndReleasing)
                while !release.load(ordering: .acquiring) { usleep(50) }
                _ = scrape(handler)
                done.signal()
            }.start()
        }
        while ready.load(ordering: .acquiring) < count { usleep(50) }
        let start = DispatchTime.now().uptimeNanoseconds
        release.store(true, ordering: .releasing)
        for _ in 0..<count { done.wait() }
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
    }

    private static func median(_ rounds: Int, _ body: () -> Double) -> Double {
        let values = (0..<rounds).map { _ in body() }.sorted()
        return values[values.count / 2]
    }
}

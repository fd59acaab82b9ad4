import Dispatch
import Foundation
import PrometheusClient
import PrometheusServing
import PrometheusTestSupport
import Synchronization
import Testing

/// Concurrent scrapes that ask for the same response share one collection; everything else collects
/// as before.
@Suite("Serving: concurrent scrapes share one collection")
struct ScrapeCoalescingTests {
    /// A collector that takes `delay` seconds and counts how often it is asked.
    final class SlowCollector: Collector {
        let calls = Atomic<Int>(0)
        let delay: Double

        init(delay: Double) { self.delay = delay }

        func collect() throws -> [MetricFamily] {
            let call = calls.add(1, ordering: .relaxed).newValue
            usleep(UInt32(delay * 1_000_000))
            return [
                MetricFamily(
                    name: "slow_calls", help: "Collections.", type: .gauge,
                    samples: [Sample(name: "slow_calls", value: Double(call))])
            ]
        }
    }

    static func registry(delay: Double) throws -> (CollectorRegistry, SlowCollector) {
        let registry = CollectorRegistry()
        let collector = SlowCollector(delay: delay)
        try registry.register(collector)
        return (registry, collector)
    }

    /// Runs `body` on `count` threads of their own, released together; returns what each returned.
    static func together<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) -> T) -> [T] {
        let results = Mutex<[Int: T]>([:])
        let ready = Atomic<Int>(0)
        let done = DispatchSemaphore(value: 0)
        for index in 0..<count {
            Thread {
                ready.add(1, ordering: .acquiringAndReleasing)
                while ready.load(ordering: .acquiring) < count { usleep(100) }
                let result = body(index)
                results.withLock { $0[index] = result }
                done.signal()
            }.start()
        }
        for _ in 0..<count { done.wait() }
        return results.withLock { results in (0..<count).map { results[$0]! } }
    }

    static func scrape(_ handler: MetricsHandler, _ headers: [HTTPHeader] = []) -> HTTPResponse {
        handler.handle(method: "GET", path: "/metrics", query: nil, headers: headers)
    }

    @Test("eight concurrent scrapes of one response cost one collection and get the same bytes")
    func concurrentScrapesShareOneCollection() throws {
        let (registry, collector) = try Self.registry(delay: 0.5)
        let handler = MetricsHandler(registry: registry)
        let bodies = Self.together(8) { _ in Self.scrape(handler).body }
        #expect(collector.calls.load(ordering: .relaxed) == 1)
        #expect(Set(bodies).count == 1)
        #expect(String(decoding: bodies[0], as: UTF8.self).contains("slow_calls 1.0"))
    }

    @Test("scrapes asking for different formats or compression collect each their own")
    func differentResponsesCollectApart() throws {
        let (registry, collector) = try Self.registry(delay: 0.5)
        let handler = MetricsHandler(registry: registry)
        let asks: [[HTTPHeader]] = [
            [], [HTTPHeader("Accept", "application/openmetrics-text; version=1.0.0")],
            [HTTPHeader("Accept-Encoding", "gzip")],
        ]
        let responses = Self.together(3) { Self.scrape(handler, asks[$0]) }
        #expect(collector.calls.load(ordering: .relaxed) == 3)
        #expect(responses[2].headers.contains(HTTPHeader("Content-Encoding", "gzip")))
    }

    @Test("a scraper alone collects at every scrape")
    func aSingleScraperCollectsEachTime() throws {
        let (registry, collector) = try Self.registry(delay: 0)
        let handler = MetricsHandler(registry: registry)
        for expected in 1...3 {
            let body = String(decoding: Self.scrape(handler).body, as: UTF8.self)
            #expect(body.contains("slow_calls \(expected).0"))
        }
        #expect(collector.calls.load(ordering: .relaxed) == 3)
    }

    @Test("a scrape whose timeout ends before the collection in flight collects on its own")
    func aScrapeWaitsNoLongerThanItsTimeout() throws {
        let (registry, collector) = try Self.registry(delay: 0.8)
        let handler = MetricsHandler(registry: registry)
        let started = Date()
        let durations = Self.together(2) { index -> Double in
            // The second one arrives a moment later, with a 50 ms timeout.
            if index == 1 { usleep(100_000) }
            let begin = Date()
            _ = Self.scrape(handler, index == 1 ? [HTTPHeader("X-Prometheus-Scrape-Timeout-Seconds", "0.05")] : [])
            return Date().timeIntervalSince(begin)
        }
        #expect(collector.calls.load(ordering: .relaxed) == 2)
        #expect(durations[1] < 0.8 + 0.5, "the late scrape waited for the whole collection in flight")
        #expect(Date().timeIntervalSince(started) < 5)
    }

    @Test("with coalescing off, every scrape collects")
    func coalescingCanBeTurnedOff() throws {
        let (registry, collector) = try Self.registry(delay: 0.3)
        var options = MetricsHandlerOptions()
        options.coalescesScrapes = false
        let handler = MetricsHandler(registry: registry, options: options)
        _ = Self.together(4) { _ in Self.scrape(handler) }
        #expect(collector.calls.load(ordering: .relaxed) == 4)
    }

    @Test("the built-in server's concurrent gzip scrapes share one collection")
    func theServerSharesCollections() throws {
        let (registry, collector) = try Self.registry(delay: 0.5)
        let server = try MetricsServer.start(port: 0, address: "127.0.0.1", registry: registry)
        defer { server.stop() }
        let port = server.port
        let bodies = Self.together(4) { _ in
            (try? RawHTTPClient.get(port: port, path: "/metrics", headers: ["Accept-Encoding": "gzip"]))?.body ?? []
        }
        #expect(collector.calls.load(ordering: .relaxed) == 1)
        #expect(Set(bodies).count == 1)
        let text = String(decoding: try Gzip.decompress(bodies[0]), as: UTF8.self)
        #expect(text.contains("slow_calls 1.0"))
    }
}

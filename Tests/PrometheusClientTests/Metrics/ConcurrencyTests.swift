import Dispatch
import PrometheusTestSupport
import Testing

@testable import PrometheusClient

@Suite struct ConcurrencyTests {
    static let threads = 8
    static let iterations = 20_000

    @Test func concurrentIncrementsGiveExactTotals() throws {
        let counter = try Counter(name: "c", help: "C.", labelNames: ["worker"], registry: nil)
        DispatchQueue.concurrentPerform(iterations: Self.threads) { index in
            let child = try! counter.labels(String(index % 2))
            for _ in 0..<Self.iterations { child.inc() }
        }
        let total = counter.collect()[0].samples.filter { $0.name == "c_total" }.map(\.value).reduce(0, +)
        #expect(total == Double(Self.threads * Self.iterations))
    }

    @Test func concurrentObservationsGiveExactCountsAndSums() throws {
        let histogram = try Histogram(name: "h", help: "H.", buckets: [1, 2], registry: nil)
        let child = histogram.single
        DispatchQueue.concurrentPerform(iterations: Self.threads) { index in
            for _ in 0..<Self.iterations { child.observe(Double(index % 3)) }
        }
        #expect(child.count == Double(Self.threads * Self.iterations))
        let expectedSum = (0..<Self.threads).map { Double($0 % 3) * Double(Self.iterations) }.reduce(0, +)
        #expect(child.sum == expectedSum)
    }

    @Test func concurrentLabelLookupsCreateOneChildPerLabelSet() throws {
        let gauge = try Gauge(name: "g", help: "G.", labelNames: ["k"], registry: nil)
        DispatchQueue.concurrentPerform(iterations: Self.threads) { _ in
            for key in 0..<100 { try! gauge.labels(String(key)).inc() }
        }
        let samples = gauge.collect()[0].samples
        #expect(samples.count == 100)
        #expect(samples.allSatisfy { $0.value == Double(Self.threads) })
    }
}

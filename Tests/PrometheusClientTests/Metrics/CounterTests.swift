import PrometheusTestSupport
import Synchronization
import Testing

@testable import PrometheusClient

@Suite struct CounterTests {
    let registry = CollectorRegistry()

    @Test func incrementsByOneAndByAmount() throws {
        let counter = try Counter(name: "jobs", help: "Jobs.", registry: registry)
        counter.inc()
        try counter.inc(by: 2.5)
        #expect(registry.sampleValue(name: "jobs_total") == 3.5)
    }

    @Test func negativeIncrementThrowsAndAddsNothing() throws {
        let counter = try Counter(name: "jobs", help: "Jobs.", registry: registry)
        #expect(throws: MetricError.invalidIncrement(metric: "jobs", amount: -1)) { try counter.inc(by: -1.0) }
        #expect(counter.value == 0)
    }

    @Test func nanIncrementThrows() throws {
        let counter = try Counter(name: "jobs", help: "Jobs.", registry: registry)
        #expect(throws: MetricError.self) { try counter.inc(by: .nan) }
        #expect(counter.value == 0)
    }

    @Test func trailingTotalIsDroppedAfterJoiningNamespace() throws {
        let counter = try Counter(name: "x_total", help: "X.", namespace: "ns", registry: registry)
        #expect(counter.name == "ns_x")
        #expect(registry.sampleValue(name: "ns_x_total") == 0)
    }

    @Test func unitIsAppendedUnlessPresent() throws {
        let latency = try Counter(name: "lat_seconds_total", help: "L.", unit: "seconds", registry: registry)
        let bytes = try Counter(name: "bytes_total", help: "B.", unit: "bytes", registry: registry)
        #expect(latency.name == "lat_seconds")
        #expect(bytes.name == "bytes_bytes")
    }

    @Test func exposesCreatedSampleAfterTotal() throws {
        let counter = try Counter(name: "jobs", help: "Jobs.", registry: nil)
        let samples = counter.collect(includingCreated: true)[0].samples
        #expect(samples.map(\.name) == ["jobs_total", "jobs_created"])
        #expect(abs(samples[1].value - WallClock.now()) < 60)
    }

    @Test func resetZeroesTheValueAndRefreshesCreated() throws {
        let counter = try Counter(name: "jobs", help: "Jobs.", registry: nil)
        counter.inc(by: 5)
        let before = counter.collect(includingCreated: true)[0].samples[1].value
        counter.reset()
        let samples = counter.collect(includingCreated: true)[0].samples
        #expect(samples[0].value == 0)
        #expect(samples[1].value >= before)
    }

    @Test func exemplarIsKeptWithItsAmount() throws {
        let counter = try Counter(name: "jobs", help: "Jobs.", registry: nil)
        try counter.inc(by: 2, exemplar: ["trace_id": "abc"])
        let exemplar = try #require(counter.collect()[0].samples[0].exemplar)
        #expect(exemplar.labels == [Label("trace_id", "abc")])
        #expect(exemplar.value == 2)
        #expect(exemplar.timestamp != nil)
    }

    @Test func exemplarLongerThan128CharactersIsRejected() throws {
        let counter = try Counter(name: "jobs", help: "Jobs.", registry: nil)
        let long = String(repeating: "x", count: 127)
        #expect(throws: MetricError.self) { try counter.inc(exemplar: ["id": long]) }
        #expect(counter.value == 0)
    }

    @Test func countExceptionsCountsOnlyTheGivenErrorType() throws {
        struct Expected: Error {}
        struct Other: Error {}
        let counter = try Counter(name: "failures", help: "F.", registry: nil)
        let child = counter.single
        #expect(throws: Expected.self) { try child.countExceptions(of: Expected.self) { throw Expected() } }
        #expect(throws: Other.self) { try child.countExceptions(of: Expected.self) { throw Other() } }
        #expect(child.countExceptions(of: Expected.self) { 7 } == 7)
        #expect(child.value == 1)
    }

    @Test func countExceptionsWorksWithAsyncBodies() async throws {
        struct Failure: Error {}
        let counter = try Counter(name: "failures", help: "F.", registry: nil)
        await #expect(throws: Failure.self) {
            try await counter.countExceptions {
                try await Task.sleep(for: .milliseconds(1))
                throw Failure()
            }
        }
        #expect(counter.value == 1)
    }

    @Test func createdSeriesCanBeSwitchedOff() throws {
        let counter = try Counter(name: "jobs", help: "Jobs.", registry: nil)
        let samples = counter.collect(includingCreated: false)[0].samples
        #expect(samples.map(\.name) == ["jobs_total"])
    }
}

import PrometheusTestSupport
import Testing

@testable import PrometheusClient

@Suite struct GaugeTests {
    @Test func setIncAndDecChangeTheValue() throws {
        let gauge = try Gauge(name: "queue", help: "Q.", registry: nil)
        gauge.set(10)
        gauge.inc(by: 5)
        gauge.dec()
        #expect(gauge.value == 14)
    }

    @Test func setToCurrentTimeUsesWallClockSeconds() throws {
        let gauge = try Gauge(name: "last", help: "L.", registry: nil)
        gauge.setToCurrentTime()
        #expect(abs(gauge.value - WallClock.now()) < 5)
    }

    @Test func trackInProgressCountsWhileRunningAndRestoresAfterThrow() throws {
        struct Failure: Error {}
        let gauge = try Gauge(name: "running", help: "R.", registry: nil)
        let inside = gauge.trackInProgress { gauge.value }
        #expect(inside == 1)
        #expect(throws: Failure.self) { try gauge.trackInProgress { throw Failure() } }
        #expect(gauge.value == 0)
    }

    @Test func trackInProgressCoversAsyncSuspensions() async throws {
        let gauge = try Gauge(name: "running", help: "R.", registry: nil)
        let inside = try await gauge.trackInProgress {
            try await Task.sleep(for: .milliseconds(5))
            return gauge.value
        }
        #expect(inside == 1)
        #expect(gauge.value == 0)
    }

    @Test func timeSetsTheGaugeToTheRealDurationOfAsyncWork() async throws {
        let gauge = try Gauge(name: "duration", help: "D.", registry: nil)
        try await gauge.time { try await Task.sleep(for: .milliseconds(50)) }
        let seconds = gauge.value
        #expect(seconds >= 0.045 && seconds < 120)
    }

    @Test func setFunctionIsEvaluatedAtCollection() throws {
        let gauge = try Gauge(name: "callback", help: "C.", registry: nil)
        gauge.setFunction { 42 }
        #expect(gauge.collect()[0].samples[0].value == 42)
    }

    @Test func mostRecentModeIncAndDecChangeTheValueAndRecordTheTime() throws {
        let gauge = try Gauge(name: "latest", help: "L.", multiprocessMode: .mostrecent, registry: nil)
        gauge.set(3)
        gauge.inc(by: 2)
        gauge.dec()
        #expect(gauge.value == 4)
        #expect(abs(gauge.single.storage.timestamp(at: 0) - WallClock.now()) < 5)
        gauge.trackInProgress { #expect(gauge.value == 5) }
        #expect(gauge.value == 4)
    }

    @Test func mostRecentModeRecordsTheTimeOfSet() throws {
        let gauge = try Gauge(name: "latest", help: "L.", multiprocessMode: .livemostrecent, registry: nil)
        gauge.set(3)
        let child = gauge.single
        #expect(abs(child.storage.timestamp(at: 0) - WallClock.now()) < 5)
    }

    @Test func invalidMultiprocessModeNameIsATypedError() {
        #expect(throws: MetricError.invalidMultiprocessMode("median")) {
            try MultiprocessMode(validating: "median")
        }
    }

    @Test func gaugeKeepsTrailingTotalInItsName() throws {
        let gauge = try Gauge(name: "x_total", help: "X.", registry: nil)
        #expect(gauge.name == "x_total")
    }
}

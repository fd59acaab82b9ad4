import Testing

@testable import PrometheusClient
@testable import PrometheusPush
@testable import PrometheusServing

@Suite struct GaugeTests {
    @Test func setIncAndDecChangeTheValue() throws {
        let gauge = try Gauge(name: "queue", help: "Q.", registry: nil)
        try gauge.set(10)
        try gauge.inc(by: 5)
        try gauge.dec()
        #expect(try gauge.value() == 14)
    }

    @Test func setToCurrentTimeUsesWallClockSeconds() throws {
        let gauge = try Gauge(name: "last", help: "L.", registry: nil)
        try gauge.setToCurrentTime()
        #expect(abs(try gauge.value() - WallClock.now()) < 5)
    }

    @Test func trackInProgressCountsWhileRunningAndRestoresAfterThrow() throws {
        struct Failure: Error {}
        let gauge = try Gauge(name: "running", help: "R.", registry: nil)
        let inside = try gauge.trackInProgress { try gauge.value() }
        #expect(inside == 1)
        #expect(throws: Failure.self) { try gauge.trackInProgress { throw Failure() } }
        #expect(try gauge.value() == 0)
    }

    @Test func trackInProgressCoversAsyncSuspensions() async throws {
        let gauge = try Gauge(name: "running", help: "R.", registry: nil)
        let inside = try await gauge.trackInProgress {
            try await Task.sleep(for: .milliseconds(5))
            return try gauge.value()
        }
        #expect(inside == 1)
        #expect(try gauge.value() == 0)
    }

    @Test func timeSetsTheGaugeToTheRealDurationOfAsyncWork() async throws {
        let gauge = try Gauge(name: "duration", help: "D.", registry: nil)
        try await gauge.time { try await Task.sleep(for: .milliseconds(50)) }
        let seconds = try gauge.value()
        #expect(seconds >= 0.045 && seconds < 120)
    }

    @Test func setFunctionIsEvaluatedAtCollection() throws {
        let gauge = try Gauge(name: "callback", help: "C.", registry: nil)
        try gauge.setFunction { 42 }
        #expect(gauge.collect()[0].samples[0].value == 42)
    }

    @Test func mostRecentModeRejectsIncAndDec() throws {
        let gauge = try Gauge(name: "latest", help: "L.", multiprocessMode: .mostrecent, registry: nil)
        #expect(throws: MetricError.self) { try gauge.inc() }
        #expect(throws: MetricError.self) { try gauge.dec() }
        try gauge.set(3)
        #expect(try gauge.value() == 3)
    }

    @Test func mostRecentModeRecordsTheTimeOfSet() throws {
        let gauge = try Gauge(name: "latest", help: "L.", multiprocessMode: .livemostrecent, registry: nil)
        try gauge.set(3)
        let child = try gauge.observableChild()
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

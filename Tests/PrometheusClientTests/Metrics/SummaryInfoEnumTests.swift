import PrometheusTestSupport
import Testing

@testable import PrometheusClient

@Suite struct SummaryTests {
    @Test func countsAndSumsObservations() throws {
        let summary = try Summary(name: "size", help: "S.", registry: nil)
        summary.observe(3)
        summary.observe(-1)
        let samples = summary.collect(includingCreated: false)[0].samples
        #expect(samples.map(\.name) == ["size_count", "size_sum"])
        #expect(samples.map(\.value) == [2, 2])
    }

    @Test func quantileIsAReservedLabelName() {
        #expect(throws: MetricError.self) {
            try Summary(name: "s", help: "S.", labelNames: ["quantile"], registry: nil)
        }
    }
}

@Suite struct InfoTests {
    @Test func exposesItsLabelsWithValueOne() throws {
        let info = try Info(name: "build", help: "B.", registry: nil)
        try info.info(["version": "1.2", "commit": "abc"])
        let sample = info.collect()[0].samples[0]
        #expect(sample.name == "build_info")
        #expect(sample.labels.dictionary == ["version": "1.2", "commit": "abc"])
        #expect(sample.value == 1)
    }

    @Test func beforeInfoItExposesOneSampleWithoutLabels() throws {
        let info = try Info(name: "build", help: "B.", registry: nil)
        #expect(info.collect()[0].samples.map(\.labels) == [[]])
    }

    @Test func keysOverlappingLabelNamesAreRejected() throws {
        let info = try Info(name: "build", help: "B.", labelNames: ["env"], registry: nil)
        #expect(throws: MetricError.self) { try info.labels("prod").info(["env": "x"]) }
    }

    @Test func unitIsNotAllowed() {
        #expect(throws: MetricError.unitNotAllowed(metric: "build", type: .info)) {
            _ = try MetricNaming.fullName(name: "build", unit: "seconds", type: .info)
        }
    }
}

@Suite struct EnumTests {
    @Test func firstStateIsInitialAndStateSwitches() throws {
        let state = try Enum(name: "phase", help: "P.", states: ["starting", "running"], registry: nil)
        #expect(state.collect()[0].samples.map(\.value) == [1, 0])
        try state.state("running")
        let samples = state.collect()[0].samples
        #expect(samples.map(\.value) == [0, 1])
        #expect(samples.map { $0.labels["phase"] } == ["starting", "running"])
    }

    @Test func unknownStateIsATypedErrorAndChangesNothing() throws {
        let state = try Enum(name: "phase", help: "P.", states: ["a", "b"], registry: nil)
        #expect(throws: MetricError.self) { try state.state("c") }
        #expect(state.single.currentState == "a")
    }

    @Test func emptyStatesAreRejectedBeforeRegistration() throws {
        let registry = CollectorRegistry()
        #expect(throws: MetricError.self) { try Enum(name: "phase", help: "P.", states: [], registry: registry) }
        _ = try Enum(name: "phase", help: "P.", states: ["a"], registry: registry)
    }

    @Test func ownNameCannotBeALabelName() {
        #expect(throws: MetricError.self) {
            try Enum(name: "phase", help: "P.", labelNames: ["phase"], states: ["a"], registry: nil)
        }
    }
}

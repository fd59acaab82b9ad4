import Foundation
import PrometheusTestSupport
import Testing

@testable import PrometheusClient

/// What the library reads from the environment is one value, parsed without touching the process's
/// environment; the process reads it once, and a bootstrap before that replaces it.
@Suite("Configuration: the environment as one value")
struct ConfigurationTests {
    @Test("an empty environment gives the defaults")
    func emptyEnvironmentGivesDefaults() {
        let configuration = PrometheusConfiguration(environment: [:])
        #expect(configuration == PrometheusConfiguration())
        #expect(configuration.multiprocessDirectory == nil)
        #expect(configuration.createdSeries)
        #expect(!configuration.legacyNameValidation)
        #expect(configuration.gaugeFunctionInterval == 1)
    }

    @Test(
        "boolean switches take true, 1 and t in any case, and nothing else",
        arguments: [
            ("true", true), ("TRUE", true), ("1", true), ("t", true), ("T", true), ("false", false),
            ("0", false), ("yes", false), ("", false),
        ])
    func booleanSwitches(value: String, isOn: Bool) {
        let configuration = PrometheusConfiguration(environment: [
            "PROMETHEUS_DISABLE_CREATED_SERIES": value, "PROMETHEUS_LEGACY_NAME_VALIDATION": value,
        ])
        #expect(configuration.createdSeries == !isOn)
        #expect(configuration.legacyNameValidation == isOn)
    }

    @Test("the upper-case directory variable wins; the lower-case one is marked deprecated")
    func directoryVariables() {
        let both = PrometheusConfiguration(environment: [
            "PROMETHEUS_MULTIPROC_DIR": "/a", "prometheus_multiproc_dir": "/b",
        ])
        #expect(both.multiprocessDirectory == "/a")
        #expect(!both.usesDeprecatedDirectoryVariable)
        let lower = PrometheusConfiguration(environment: ["prometheus_multiproc_dir": "/b"])
        #expect(lower.multiprocessDirectory == "/b")
        #expect(lower.usesDeprecatedDirectoryVariable)
        // Present but empty still selects multiprocess mode (and is rejected when used).
        #expect(PrometheusConfiguration(environment: ["PROMETHEUS_MULTIPROC_DIR": ""]).multiprocessDirectory == "")
    }

    @Test("the sampling interval never goes below 10 ms")
    func intervalFloor() {
        #expect(PrometheusConfiguration(gaugeFunctionInterval: 0).gaugeFunctionInterval == 0.01)
    }

    @Test("a bootstrap before the first metric replaces the environment; one after it changes nothing")
    func bootstrapBeforeTheFirstRead() throws {
        let directory = try MultiprocessFixtures.temporaryDirectory("bootstrap")
        defer { MultiprocessFixtures.remove(directory) }
        let worker = try TestWorker.path()
        let result = try ExternalTool.run(
            worker, ["bootstrap", directory], environment: ["PROMETHEUS_MULTIPROC_DIR": "/nonexistent-environment"])
        #expect(result.status == 0, "\(result.standardOutput)")
        #expect(result.standardOutput.contains("first=true late=false directory=\(directory)"))
        #expect(try MultiprocessFixtures.names(directory).contains { $0.hasPrefix("counter_") })
    }
}

import Foundation
import PrometheusTestSupport
import Testing

@testable import PrometheusClient
@testable import PrometheusSystem

@Suite struct BuiltInCollectorTests {
    @Test func processCollectorReadsThisProcess() throws {
        let registry = CollectorRegistry()
        _ = try ProcessCollector(registry: registry)
        let resident = try #require(registry.sampleValue(name: "process_resident_memory_bytes"))
        #expect(resident > 1_000_000)
        let start = try #require(registry.sampleValue(name: "process_start_time_seconds"))
        #expect(start <= Date().timeIntervalSince1970 && start > Date().timeIntervalSince1970 - 86_400 * 30)
        #expect((registry.sampleValue(name: "process_cpu_seconds_total") ?? -1) >= 0)
        #expect((registry.sampleValue(name: "process_open_fds") ?? 0) >= 3)
        #expect((registry.sampleValue(name: "process_max_fds") ?? 0) >= 64)
        #expect((registry.sampleValue(name: "process_threads") ?? 0) >= 1)
    }

    @Test func processCollectorUsesTheNamespace() throws {
        let registry = CollectorRegistry()
        _ = try ProcessCollector(namespace: "app", registry: registry)
        #expect(registry.sampleValue(name: "app_process_threads") != nil)
    }

    @Test func processCollectorIsEmptyWithoutProc() throws {
        let collector = try ProcessCollector(procRoot: "/nonexistent-proc")
        #expect(collector.collect().isEmpty)
    }

    @Test func processCollectorIsEmptyForAMissingProcess() throws {
        let collector = try ProcessCollector(pid: { Int32.max })
        #expect(collector.collect().isEmpty)
    }

    @Test func statParsingCopesWithParenthesesInTheCommandName() {
        let stat =
            "42 (a) b (c)) S 1 42 42 0 -1 4194560 100 0 0 0 250 150 0 0 20 0 7 0 1000 123456789 2000 "
            + "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0"
        let statistics = ProcessStatistics.parse(stat: stat, bootTime: 1_000)
        #expect(statistics?.threads == 7)
        #expect(statistics?.virtualMemoryBytes == 123_456_789)
        #expect(statistics?.cpuSeconds == 400 / Double(sysconf(Int32(_SC_CLK_TCK))))
    }

    @Test func platformCollectorExposesSwiftInfo() throws {
        let registry = CollectorRegistry()
        _ = try PlatformCollector(registry: registry)
        let family = try #require(registry.collect().families.first)
        #expect(family.type == .info)
        let labels = family.samples[0].labels.dictionary
        #expect(labels["implementation"] == "Swift")
        #expect(labels["os"] == "Linux")
        #expect(labels["version"]?.hasPrefix("6.") == true)
    }

    @Test func defaultRegistryHoldsProcessAndPlatformCollectors() {
        let names = CollectorRegistry.default.collect().families.map(\.name)
        #expect(names.contains("process_resident_memory_bytes"))
        #expect(names.contains("swift"))
    }

    static let unregisterRoleVariable = "PROMETHEUS_TEST_UNREGISTER_DEFAULTS"

    @Test func theDefaultRegistrysBuiltInCollectorsCanBeUnregistered() throws {
        // The default registry is shared by every test of this process: unregister in a child run.
        let runner = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let result = try ExternalTool.run(
            runner, ["--testing-library", "swift-testing", "--filter", "unregisterDefaultsRole"],
            environment: [Self.unregisterRoleVariable: "1"], timeout: 120)
        let output = result.standardOutput + result.standardError
        #expect(result.status == 0, "\(output.suffix(2000))")
        #expect(output.contains("Test run with 1 test"), "the child role did not run:\n\(output.suffix(2000))")
    }

    /// The child role of the test above.
    @Test(.enabled(if: ProcessInfo.processInfo.environment[unregisterRoleVariable] != nil))
    func unregisterDefaultsRole() throws {
        #expect(throws: RegistryError.self) { try CollectorRegistry.default.register(ProcessCollector.default) }
        try CollectorRegistry.default.unregister(ProcessCollector.default)
        try CollectorRegistry.default.unregister(PlatformCollector.default)
        let names = CollectorRegistry.default.collect().families.map(\.name)
        #expect(!names.contains { $0.hasPrefix("process_") || $0 == "swift" }, "\(names)")
    }
}

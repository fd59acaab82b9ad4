import Foundation
import Glibc
import PrometheusTestSupport
import Testing

@testable import PrometheusClient
@testable import PrometheusMultiprocess

/// Features across processes, continued: what a Python master makes of our workers' files.
extension CrossProcessFeatureTests {
    // MARK: - What a Python master sees

    @Test("Python's collector on our workers' files: clean families, equal to our merge")
    func pythonMasterSeesCleanFamiliesEqualToOurMerge() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let worker = try Worker(directory: directory)
        try worker.run(
            "inc mp_script_requests a 2 trace", "observe mp_script_latency 0.5 trace", "observe mp_script_latency 5",
            "summary mp_script_sum a 3", "gauge mp_script_all all a 1", "gauge mp_script_livesum livesum a 2",
            "gauge mp_script_max max a 3", "gauge mp_script_recent mostrecent a 4", "info mp_script_build 1",
            "info mp_script_build 2", "state mp_script_state b", "function mp_script_queue livesum 5")
        let pid = String(worker.pid)
        let script = """
            import sys
            from prometheus_client import CollectorRegistry
            from prometheus_client.multiprocess import MultiProcessCollector
            registry = CollectorRegistry()
            MultiProcessCollector(registry, path=sys.argv[1])
            suffixes = {"counter": ["_total", "_created"], "gauge": [""], "histogram": ["_bucket", "_count", "_sum"],
                        "summary": ["_count", "_sum"]}
            for family in registry.collect():
                for s in family.samples:
                    base = family.name[:-6] if family.type == "counter" and family.name.endswith("_total") else family.name
                    if not any(s.name == base + suffix for suffix in suffixes[family.type]):
                        print("UNCLEAN %s %s" % (family.name, s.name))
            """
        #expect(try ExternalTool.runPython(script, arguments: [directory]) == "")
        let python = try Fixtures.pythonMerge(directory)
        let ours = try Self.merged(directory)
        var oursByKey: [String: Double] = [:]
        for sample in ours.flatMap(\.samples) where !sample.name.hasSuffix("_created") {
            oursByKey[Fixtures.sampleKey(sample.name, sample.labels.sorted { $0.name < $1.name })] = sample.value
        }
        for (key, value) in python where !key.hasPrefix("prometheus_multiproc") {
            var expected: String? = key
            if key.hasPrefix("mp_script_build_info") || key.hasPrefix("mp_script_state") {
                // Python shows info and state sets as gauges per pid, replaced info sets as 0.
                expected = value == 0 && key.hasPrefix("mp_script_build") ? nil : key
            }
            guard var expected else { continue }
            for pidLabel in [#", "pid": "\#(pid)""#, #""pid": "\#(pid)", "#, #""pid": "\#(pid)""#]
            where !key.hasPrefix("mp_script_all") {
                expected = expected.replacingOccurrences(of: pidLabel, with: "")
            }
            #expect(oursByKey[expected] == value, "\(key) → \(expected)")
        }
        #expect(oursByKey[Fixtures.sampleKey("mp_script_build_info", [Label("version", "2")])] == 1)
        #expect(ours.first { $0.name == "mp_script_build" }?.type == .info)
        #expect(ours.first { $0.name == "mp_script_state" }?.type == .stateSet)
    }
}

import Foundation
import Testing

@testable import PrometheusClient

@Suite struct MultiprocessProcessCollectorTests {
    @Test func liveWorkersGetPerPidProcessMetrics() throws {
        let directory = try MultiprocessFixtures.temporaryDirectory()
        defer { MultiprocessFixtures.remove(directory) }
        let worker = Process()
        worker.executableURL = URL(fileURLWithPath: "/bin/sleep")
        worker.arguments = ["30"]
        try worker.run()
        defer { worker.terminate() }
        let key = PythonJSONKey.encode(familyName: "c", sampleName: "c_total", labels: [], help: "C.")
        for pid in [worker.processIdentifier, 999_999] {
            try Data(DBFileLayout.makeFile(entries: [(key, 1, 0)]))
                .write(to: URL(fileURLWithPath: "\(directory)/counter_\(pid).db"))
        }
        try Data(DBFileLayout.makeFile(entries: [(key, 1, 0)]))
            .write(to: URL(fileURLWithPath: "\(directory)/counter_archive.db"))
        let families = try MultiprocessProcessCollector(path: directory).collect()
        let resident = try #require(families.first { $0.name == "process_resident_memory_bytes" })
        #expect(resident.samples.map { $0.labels["pid"] } == [String(worker.processIdentifier)])
        #expect(resident.samples[0].value > 0)
        #expect(families.contains { $0.name == "process_cpu_seconds" })
    }

    @Test func anEmptyDirectoryGivesNoFamilies() throws {
        let directory = try MultiprocessFixtures.temporaryDirectory()
        defer { MultiprocessFixtures.remove(directory) }
        #expect(try MultiprocessProcessCollector(path: directory).collect().isEmpty)
    }
}

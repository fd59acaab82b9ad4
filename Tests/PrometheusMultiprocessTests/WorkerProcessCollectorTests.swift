import Foundation
import PrometheusTestSupport
import Testing

@testable import PrometheusClient
@testable import PrometheusMultiprocess
@testable import PrometheusSystem

@Suite struct WorkerProcessCollectorTests {
    @Test func liveWorkersGetPerPidProcessMetrics() throws {
        let directory = try MultiprocessFixtures.temporaryDirectory()
        defer { MultiprocessFixtures.remove(directory) }
        let worker = try WorkerProcessTests.HeldWorker(directory: directory)
        defer { worker.stop() }
        let families = try WorkerProcessCollector(path: directory).collect()
        let resident = try #require(families.first { $0.name == "process_resident_memory_bytes" })
        #expect(resident.samples.map { $0.labels["pid"] } == [String(worker.pid)])
        #expect(resident.samples[0].value > 0)
        #expect(families.contains { $0.name == "process_cpu_seconds" })
    }

    @Test func pidsInFileNamesOfProcessesThatAreNotWorkersAreIgnored() throws {
        let directory = try MultiprocessFixtures.temporaryDirectory()
        defer { MultiprocessFixtures.remove(directory) }
        // A live process that never mapped the file (as after pid reuse), init, and a pid that is gone.
        let bystander = Process()
        bystander.executableURL = URL(fileURLWithPath: "/bin/sleep")
        bystander.arguments = ["30"]
        try bystander.run()
        defer { bystander.terminate() }
        let key = DBKey.encode(familyName: "c", sampleName: "c_total", labels: [], help: "C.")
        for pid in [bystander.processIdentifier, 1, 999_999] {
            try Data(DBFileLayout.makeFile(entries: [(key, 1, 0)]))
                .write(to: URL(fileURLWithPath: "\(directory)/counter_\(pid).db"))
        }
        let worker = try WorkerProcessTests.HeldWorker(directory: directory)
        defer { worker.stop() }
        let collector = try WorkerProcessCollector(path: directory)
        #expect(collector.workerProcessIDs() == [worker.pid])
        #expect(collector.workerProcessIDs() == [worker.pid], "a verified worker stays verified")
    }

    @Test func aMapsLineMatchesByInodeAndFileName() {
        let maps = Array(
            """
            55d0c0000000-55d0c0001000 r--p 00000000 fd:01 4242 /usr/bin/app
            7f00aa000000-7f00aa010000 rw-s 00000000 fd:01 777                        /tmp/mp/counter_12.db
            """.utf8)
        #expect(ProcessMaps(bytes: maps).mapsAny(of: [("counter_12.db", 777)]))
        #expect(!ProcessMaps(bytes: maps).mapsAny(of: [("counter_12.db", 778)]))
        #expect(!ProcessMaps(bytes: maps).mapsAny(of: [("counter_13.db", 777)]))
    }

    @Test func anEmptyDirectoryGivesNoFamilies() throws {
        let directory = try MultiprocessFixtures.temporaryDirectory()
        defer { MultiprocessFixtures.remove(directory) }
        #expect(try WorkerProcessCollector(path: directory).collect().isEmpty)
    }
}

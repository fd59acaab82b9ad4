import Foundation
import Glibc
import PrometheusTestSupport
import Testing

@testable import PrometheusClient
@testable import PrometheusMultiprocess

/// The directory managing itself with real processes: writers' leases, liveness of Swift and Python
/// writers, automatic archiving, identities and generations. No test calls markProcessDead unless it
/// says so.
@Suite("Multiprocess lifecycle: liveness without hooks, identities, generations", .serialized)
struct LifecycleTests {
    typealias Fixtures = MultiprocessFixtures

    /// A worker process talking in lines: what it prints is read line by line, each line it waits for
    /// is sent on its standard input.
    final class LineSession {
        let process = Process()
        private let input = Pipe()
        private let output = Pipe()
        private var buffer: [UInt8] = []

        init(_ executable: String, _ arguments: [String]) throws {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            process.standardInput = input
            process.standardOutput = output
            try process.run()
        }

        /// The next line, or nil at end of output.
        func readLine() -> String? {
            while true {
                if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = String(decoding: buffer[..<newline], as: UTF8.self)
                    buffer.removeSubrange(...newline)
                    return line
                }
                let data = output.fileHandleForReading.availableData
                if data.isEmpty { return nil }
                buffer.append(contentsOf: data)
            }
        }

        func send(_ line: String = "") {
            input.fileHandleForWriting.write(Data((line + "\n").utf8))
        }

        func finish() {
            try? input.fileHandleForWriting.close()
            while readLine() != nil {}
            process.waitUntilExit()
        }

        func kill() {
            Glibc.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// A held worker (`PrometheusTestWorker hold DIR IDENTITY`), optionally inside new pid and mount
    /// namespaces; `pid` is the pid it reports (1 in a fresh namespace).
    final class HeldWriter {
        let session: LineSession
        let pid: Int32

        init(_ directory: String, identity: String = "pid", inNewPidNamespace: Bool = false) throws {
            let worker = try WorkerProcessTests.workerPath()
            if inNewPidNamespace {
                let unshare = try ExternalTool.require("unshare")
                session = try LineSession(
                    unshare, ["--pid", "--fork", "--mount-proc", worker, "hold", directory, identity])
            } else {
                session = try LineSession(worker, ["hold", directory, identity])
            }
            let line = session.readLine() ?? ""
            guard line.hasPrefix("ready pid="), let pid = Int32(line.dropFirst("ready pid=".count)) else {
                session.finish()
                throw HeldWriterFailure(line: line)
            }
            self.pid = pid
        }

        /// SIGKILL, from the test (which is not the writer's parent's master logic).
        func kill() { session.kill() }
        func stop() { session.finish() }
    }

    struct HeldWriterFailure: Error, CustomStringConvertible {
        var line: String
        var description: String { "the held worker printed \(line.debugDescription)" }
    }

    static func samples(_ families: [MetricFamily], _ name: String) -> [Sample] {
        families.first { $0.name == name }?.samples ?? []
    }

    static func value(_ families: [MetricFamily], _ sample: String, _ labels: [Label] = []) -> Double? {
        families.flatMap(\.samples).first { $0.name == sample && $0.labels == labels }?.value
    }

    static func dbFiles(_ directory: String) throws -> [String] {
        try Fixtures.names(directory).filter { $0.hasSuffix(".db") }
    }

    /// A directory on tmpfs where one exists (fsync is free there, as on the /dev/shm most
    /// deployments use), else the usual temporary directory.
    static func sharedMemoryDirectory() throws -> String {
        guard FileManager.default.isWritableFile(atPath: "/dev/shm") else { return try Fixtures.temporaryDirectory() }
        let path = "/dev/shm/mp-lifecycle-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func requireRoot(_ what: String) throws {
        if getuid() != 0 { try ExternalTool.unavailable("root (for \(what))") }
    }

    // MARK: - Swift writers

    @Test("a writer holds its lease while it lives, and the master sees it released the moment it is SIGKILLed")
    func leaseIsReleasedByTheKernel() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let writer = try HeldWriter(directory)
        let collector = try MultiProcessCollector(path: directory, lifecycle: .init(archiving: .off))
        let before = try #require(try collector.writerStatus().first)
        #expect(before.identity == String(writer.pid))
        #expect(before.verdict == WriterVerdict(isAlive: true, reason: "holds its lease"))
        #expect(before.files.contains("writer_\(writer.pid).lock"))
        writer.kill()
        let after = try #require(try collector.writerStatus().first)
        #expect(after.verdict.isAlive == false)
        #expect(after.verdict.reason.contains("lease was released"))
    }

    @Test("the live-mode series of a SIGKILLed writer leave the very next scrape, even with archiving off")
    func deadWritersLiveSeriesLeaveTheNextScrape() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let survivor = try HeldWriter(directory)
        defer { survivor.stop() }
        let victim = try HeldWriter(directory)
        let collector = try MultiProcessCollector(path: directory, lifecycle: .init(archiving: .off))
        var families = try collector.collect()
        #expect(Self.value(families, "mp_hold_busy") == 2)
        #expect(Self.samples(families, "mp_hold_pid").count == 2)
        victim.kill()
        families = try collector.collect()
        #expect(Self.value(families, "mp_hold_busy") == 1)
        #expect(Self.samples(families, "mp_hold_pid").map(\.labels) == [[Label("pid", String(survivor.pid))]])
        // Counters and max gauges of the dead stay (durable), and nothing was archived.
        #expect(Self.value(families, "mp_hold_total") == 2)
        #expect(Self.value(families, "mp_hold_peak") == Double(max(survivor.pid, victim.pid)))
        #expect(try Self.dbFiles(directory).contains("gauge_livesum_\(victim.pid).db"))
        #expect(Self.value(families, "prometheus_multiproc_writers", [Label("state", "dead")]) == 1)
    }

    @Test("archiving on scrape folds a dead writer's files and removes its lease, with totals unchanged")
    func archivingOnScrapeFoldsDeadWriters() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let victim = try HeldWriter(directory)
        victim.kill()
        let collector = try MultiProcessCollector(path: directory)
        let first = try collector.collect()
        #expect(Self.value(first, "mp_hold_total") == 1)
        #expect(Self.value(first, "mp_hold_busy") == nil)
        #expect(
            try Fixtures.names(directory) == ["counter_archive.db", "gauge_max_archive.db"])
        let second = try collector.collect()
        #expect(Self.value(second, "mp_hold_total") == 1)
        #expect(Self.value(second, "mp_hold_peak") == Double(victim.pid))
        #expect(Self.value(second, "prometheus_multiproc_reaped_writers_total") == 1)
        #expect(Self.value(second, "prometheus_multiproc_archive_files") == 2)
    }

    @Test("background archiving folds dead writers without any scrape")
    func backgroundArchivingNeedsNoScrape() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let victim = try HeldWriter(directory)
        victim.kill()
        let collector = try MultiProcessCollector(
            path: directory, lifecycle: .init(archiving: .background(interval: 0.05)))
        let deadline = Date().addingTimeInterval(10)
        while try Self.dbFiles(directory) != ["counter_archive.db", "gauge_max_archive.db"] && Date() < deadline {
            usleep(20_000)
        }
        #expect(try Self.dbFiles(directory) == ["counter_archive.db", "gauge_max_archive.db"])
        withExtendedLifetime(collector) {}
    }

    @Test("markProcessDead leaves a writer alone while it still holds its lease")
    func markProcessDeadTrustsTheLease() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let writer = try HeldWriter(directory)
        defer { writer.stop() }
        try markProcessDead(pid: writer.pid, path: directory)
        #expect(try Self.dbFiles(directory).contains("gauge_livesum_\(writer.pid).db"))
        #expect(try Self.dbFiles(directory).contains("counter_\(writer.pid).db"))
    }

    @Test(
        "1,000 workers SIGKILLed by a process that is not the master: no live series of the dead, bounded files, exact totals"
    )
    func thousandKilledWorkers() throws {
        let directory = try Self.sharedMemoryDirectory()
        defer { Fixtures.remove(directory) }
        let kills = 1000
        let live = 3
        let churn = try LineSession(
            try WorkerProcessTests.workerPath(), ["churn", directory, String(kills), String(live)])
        defer { churn.kill() }
        let collector = try MultiProcessCollector(path: directory)
        let liveLine = try #require(churn.readLine())
        let livePIDs = Set(liveLine.dropFirst("live ".count).split(separator: ",").map(String.init))
        #expect(livePIDs.count == live)

        func medianScrapeSeconds() throws -> Double {
            var times: [Double] = []
            for _ in 0..<9 {
                let start = Date()
                _ = try collector.collect()
                times.append(Date().timeIntervalSince(start))
            }
            return times.sorted()[4]
        }
        _ = try collector.collect()
        let freshStart = try medianScrapeSeconds()

        // Files per writer: counter, livesum, liveall, max; archives: counter, max.
        let fileBound = (live + 1) * 4 + 2
        var previousTotal = 0.0
        var problems: [String] = []
        churn.send()
        for round in 1...kills {
            guard let line = churn.readLine(), line.hasPrefix("killed ") else {
                Issue.record("the churn worker stopped after \(round - 1) kills")
                return
            }
            let dead = String(line.dropFirst("killed ".count))
            let families = try collector.collect()
            let pids = Set(Self.samples(families, "mp_hold_pid").compactMap { $0.labels["pid"] })
            let total = Self.value(families, "mp_hold_total") ?? -1
            let busy = Self.value(families, "mp_hold_busy")
            let files = try Self.dbFiles(directory).count
            if pids.contains(dead) || pids != livePIDs {
                problems.append("round \(round): liveall pids \(pids.sorted())")
            }
            if busy != Double(live) { problems.append("round \(round): livesum \(String(describing: busy))") }
            if total != Double(live + round) || total < previousTotal {
                problems.append("round \(round): total \(total) after \(previousTotal)")
            }
            if files > fileBound { problems.append("round \(round): \(files) files") }
            previousTotal = total
            if problems.count > 5 { break }
            // After the last kill the keepers must stay alive for the final measurement.
            if round < kills { churn.send() }
        }
        #expect(problems.isEmpty, "\(problems)")
        let atEnd = try medianScrapeSeconds()
        #expect(atEnd <= freshStart * 1.5 + 0.0005, "fresh start \(freshStart) s, after \(kills) kills \(atEnd) s")
        let families = try collector.collect()
        #expect(Self.value(families, "prometheus_multiproc_reaped_writers_total") == Double(kills))
    }

    @Test("forged leases (a FIFO, a directory, a dangling link) neither hang nor crash the master, and archive nothing")
    func forgedLeasesAreHarmless() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let key = DBKey.encode(familyName: "jobs", sampleName: "jobs_total", labels: [], help: "Jobs.")
        for identity in ["7", "8", "9"] {
            try Data(DBFileLayout.makeFile(entries: [(key, 1, 0)])).write(
                to: URL(fileURLWithPath: "\(directory)/counter_\(identity).db"))
        }
        #expect(mkfifo("\(directory)/writer_7.lock", 0o644) == 0)
        try FileManager.default.createDirectory(
            atPath: "\(directory)/writer_8.lock", withIntermediateDirectories: false)
        try FileManager.default.createSymbolicLink(
            atPath: "\(directory)/writer_9.lock", withDestinationPath: "/nowhere")
        let families = try #require(try HostileDirectoryTests.collectWithDeadline(directory))
        #expect(Self.value(families, "jobs_total") == 3)
        let collector = try MultiProcessCollector(path: directory)
        for writer in try collector.writerStatus() {
            #expect(writer.verdict.isAlive, "\(writer.identity): \(writer.verdict)")
        }
        #expect(try Self.dbFiles(directory) == ["counter_7.db", "counter_8.db", "counter_9.db"])
    }

    // MARK: - Identities

    @Test(
        "two processes in separate pid namespaces, both pid 1, never share a file; a third reusing pid 1 takes fresh files"
    )
    func collidingPidsAcrossNamespaces() throws {
        try Self.requireRoot("unshare --pid")
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let first = try HeldWriter(directory, inNewPidNamespace: true)
        let second = try HeldWriter(directory, inNewPidNamespace: true)
        #expect(first.pid == second.pid)
        let pid = String(first.pid)
        #expect(try Self.dbFiles(directory).contains("counter_\(pid).db"))
        #expect(try Self.dbFiles(directory).contains("counter_\(pid)-1.db"))
        first.stop()
        second.stop()
        // The earlier incarnations' files are still there (no master archived them): a new pid 1
        // must not continue them.
        let third = try HeldWriter(directory, inNewPidNamespace: true)
        #expect(third.pid == first.pid)
        #expect(try Self.dbFiles(directory).contains("counter_\(pid)-2.db"))
        let entries = try Fixtures.entries(ofFile: "\(directory)/counter_\(pid)-2.db")
        #expect(entries.last?.value == 1)
        let ours = try MultiProcessCollector(path: directory, lifecycle: .init(archiving: .off)).collect()
        #expect(Self.value(ours, "mp_hold_total") == 3)
        #expect(Self.samples(ours, "mp_hold_pid").map { $0.labels["pid"] } == ["\(pid)-2"])
        let python = try Fixtures.pythonMerge(directory)
        #expect(python[Fixtures.sampleKey("mp_hold_total")] == 3)
        third.stop()
    }

    @Test("a slot identity is claimed exclusively; a second claimant gets a typed error at start-up")
    func slotIsExclusive() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let holder = try HeldWriter(directory, identity: "slot:2")
        defer { holder.stop() }
        #expect(throws: HeldWriterFailure.self) { try HeldWriter(directory, identity: "slot:2") }
        do {
            _ = try HeldWriter(directory, identity: "slot:2")
        } catch let failure as HeldWriterFailure {
            #expect(failure.line.contains("writer identity \"slot2\" is held by another live process"))
        }
        let other = try HeldWriter(directory, identity: "free:3")
        defer { other.stop() }
        #expect(try Self.dbFiles(directory).contains("counter_slot0.db"))
    }

    @Test("the successor of a slot continues its counters but none of its gauges")
    func slotSuccessorContinuesCountersOnly() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let first = try HeldWriter(directory, identity: "slot:1")
        first.kill()
        let successor = try HeldWriter(directory, identity: "slot:1")
        defer { successor.stop() }
        // The failure self-metric's entry comes first in every counter file.
        #expect(try Fixtures.entries(ofFile: "\(directory)/counter_slot1.db").map(\.value) == [0, 2])
        #expect(try Fixtures.entries(ofFile: "\(directory)/gauge_max_slot1.db").map(\.value) == [Double(successor.pid)])
        // The predecessor's max gauge went to a retired identity, for a master to archive.
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/gauge_max_archive.db"))
        #expect(try Self.dbFiles(directory).contains { $0.hasPrefix("gauge_max_slot1-retired-") })
        let families = try MultiProcessCollector(path: directory).collect()
        #expect(Self.value(families, "mp_hold_total") == 2)
        #expect(Self.value(families, "mp_hold_busy") == 1)
        #expect(Self.samples(families, "mp_hold_pid").map(\.value) == [Double(successor.pid)])
        #expect(try Fixtures.entries(ofFile: "\(directory)/gauge_max_archive.db").map(\.value) == [Double(first.pid)])
        // Bounded: one set of files for the slot, however many successors.
        #expect(try Self.dbFiles(directory).count == 5)
    }
}

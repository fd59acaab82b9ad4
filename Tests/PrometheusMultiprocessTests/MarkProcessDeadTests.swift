import Foundation
import PrometheusTestSupport
import Synchronization
import Testing

@testable import PrometheusClient
@testable import PrometheusMultiprocess

@Suite struct MarkProcessDeadTests {
    /// The merge without live-mode gauges (which a dead process leaves by design).
    static func durableSamples(_ directory: String) throws -> [String: Double] {
        try MultiProcessCollectorTests.ourMerge(directory).filter { key, _ in
            !(key.hasPrefix("g_live"))
        }
    }

    static func files(_ directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".db") }.sorted()
    }

    static func writeCounter(pid: Int, value: Double, to directory: String) throws {
        let key = DBKey.encode(familyName: "jobs", sampleName: "jobs_total", labels: [], help: "Jobs.")
        let bytes = DBFileLayout.makeFile(entries: [(key, value, 0)])
        try Data(bytes).write(to: URL(fileURLWithPath: "\(directory)/counter_\(pid).db"))
    }

    @Test func onAFullDiskLiveFilesGoFirstNoPartialFileIsLeftAndTheFoldIsRetried() throws {
        guard let mountPoint = try MultiprocessFixtures.mountTmpfs(size: 256 * 1024) else {
            try ExternalTool.unavailable("permission to mount a small tmpfs (needed to fill a disk safely)")
        }
        defer { MultiprocessFixtures.unmount(mountPoint) }
        try Self.writeCounter(pid: 7, value: 4, to: mountPoint)
        try Self.writeCounter(pid: 8, value: 5, to: mountPoint)
        let live = DBKey.encode(familyName: "busy", sampleName: "busy", labels: [], help: "Busy.")
        try Data(DBFileLayout.makeFile(entries: [(live, 1, 0)])).write(
            to: URL(fileURLWithPath: mountPoint + "/gauge_livesum_7.db"))
        MultiprocessFixtures.fill(mountPoint)
        #expect(throws: MultiprocessError.self) { try markProcessDead(pid: 7, path: mountPoint) }
        let names = try MultiprocessFixtures.names(mountPoint)
        #expect(!names.contains("gauge_livesum_7.db"), "the live gauge must be gone first")
        #expect(!names.contains { $0.hasSuffix(".tmp") || $0.contains("journal") }, "left behind: \(names)")
        #expect(names.contains("counter_7.db"), "nothing is lost")
        #expect(try MultiProcessCollectorTests.ourMerge(mountPoint)[MultiprocessFixtures.sampleKey("jobs_total")] == 9)

        MultiprocessFixtures.unfill(mountPoint)
        // The next call, for another process, retries the failed fold.
        try markProcessDead(pid: 8, path: mountPoint)
        #expect(try MultiprocessFixtures.names(mountPoint).filter { $0.hasSuffix(".db") } == ["counter_archive.db"])
        #expect(try MultiProcessCollectorTests.ourMerge(mountPoint)[MultiprocessFixtures.sampleKey("jobs_total")] == 9)
    }

    @Test func aFailedFoldIsAlsoRetriedByTheNextCollection() throws {
        guard let mountPoint = try MultiprocessFixtures.mountTmpfs(size: 256 * 1024) else {
            try ExternalTool.unavailable("permission to mount a small tmpfs (needed to fill a disk safely)")
        }
        defer { MultiprocessFixtures.unmount(mountPoint) }
        try Self.writeCounter(pid: 7, value: 4, to: mountPoint)
        MultiprocessFixtures.fill(mountPoint)
        #expect(throws: MultiprocessError.self) { try markProcessDead(pid: 7, path: mountPoint) }
        MultiprocessFixtures.unfill(mountPoint)
        _ = try MultiProcessCollector(path: mountPoint).collect()
        #expect(try MultiprocessFixtures.names(mountPoint).filter { $0.hasSuffix(".db") } == ["counter_archive.db"])
    }

    @Test func withoutArchivingOnlyLiveFilesGoAsInPython() throws {
        let directory = try MultiprocessFixtures.temporaryDirectory()
        defer { MultiprocessFixtures.remove(directory) }
        for pid in [501, 502] { try MultiprocessFixtures.writeWithPython(pid: pid, to: directory) }
        let before = try Self.files(directory)
        try markProcessDead(pid: 501, path: directory, archiving: false)
        let after = try Self.files(directory)
        #expect(after == before.filter { !($0.hasSuffix("_501.db") && $0.hasPrefix("gauge_live")) })
        #expect(!after.contains { $0.contains("archive") })
        MultiProcessCollectorTests.expectEqual(
            try MultiProcessCollectorTests.ourMerge(directory), try MultiprocessFixtures.pythonMerge(directory))
    }

    @Test func temporaryFilesADeadWriterLeftAreRemoved() throws {
        let directory = try MultiprocessFixtures.temporaryDirectory()
        defer { MultiprocessFixtures.remove(directory) }
        for name in ["counter_9.db.9.1.tmp", "gauge_sum_9.db.9.7f3a.tmp", "counter_10.db.10.1.tmp"] {
            _ = FileManager.default.createFile(atPath: directory + "/" + name, contents: Data([1]))
        }
        try markProcessDead(pid: 9, path: directory)
        #expect(try MultiprocessFixtures.names(directory) == ["counter_10.db.10.1.tmp"])
    }

    @Test func aBadProcessIdentifierIsItsOwnError() {
        for identifier in ["", "archive", "a_b", "../x"] {
            #expect {
                try markProcessDead(processIdentifier: identifier, path: NSTemporaryDirectory())
            } throws: { error in
                if case .invalidProcessIdentifier = error as? MultiprocessError { return true }
                return false
            }
        }
    }

    @Test func totalsAreIdenticalBeforeAndAfter() throws {
        let directory = try MultiprocessFixtures.temporaryDirectory()
        defer { MultiprocessFixtures.remove(directory) }
        for pid in [201, 202, 203] { try MultiprocessFixtures.writeWithPython(pid: pid, to: directory) }
        let before = try Self.durableSamples(directory)
        try markProcessDead(pid: 202, path: directory)
        let after = try Self.durableSamples(directory)
        // The all-mode gauge of 202 keeps its pid label (its file stays, as in Python).
        MultiProcessCollectorTests.expectEqual(after, before)
    }

    @Test func liveFilesAreRemovedAndOthersArchived() throws {
        let directory = try MultiprocessFixtures.temporaryDirectory()
        defer { MultiprocessFixtures.remove(directory) }
        for pid in [301, 302] { try MultiprocessFixtures.writeWithPython(pid: pid, to: directory) }
        try markProcessDead(pid: 301, path: directory)
        let files = try Self.files(directory)
        #expect(!files.contains { $0.hasSuffix("_301.db") && $0 != "gauge_all_301.db" })
        #expect(files.contains("gauge_all_301.db"))
        for archive in [
            "counter_archive.db", "histogram_archive.db", "summary_archive.db", "gauge_min_archive.db",
            "gauge_max_archive.db", "gauge_sum_archive.db", "gauge_mostrecent_archive.db",
        ] {
            #expect(files.contains(archive), "\(archive) missing from \(files)")
        }
        let merged = try MultiProcessCollectorTests.ourMerge(directory)
        #expect(merged[MultiprocessFixtures.sampleKey("g_livesum", [Label("k", "x")])] == 453)
    }

    @Test func pythonReadsTheArchivesWithTheSameResult() throws {
        let directory = try MultiprocessFixtures.temporaryDirectory()
        defer { MultiprocessFixtures.remove(directory) }
        for pid in [401, 402, 403] { try MultiprocessFixtures.writeWithPython(pid: pid, to: directory) }
        try markProcessDead(pid: 401, path: directory)
        try markProcessDead(pid: 403, path: directory)
        MultiProcessCollectorTests.expectEqual(
            try MultiProcessCollectorTests.ourMerge(directory), try MultiprocessFixtures.pythonMerge(directory))
    }

    @Test func recycledWorkersDoNotGrowTheDirectory() throws {
        let directory = try MultiprocessFixtures.temporaryDirectory()
        defer { MultiprocessFixtures.remove(directory) }
        for pid in 1...50 {
            try Self.writeCounter(pid: pid, value: 1, to: directory)
            try markProcessDead(pid: Int32(pid), path: directory)
        }
        #expect(try Self.files(directory) == ["counter_archive.db"])
        #expect(try MultiProcessCollectorTests.ourMerge(directory)[MultiprocessFixtures.sampleKey("jobs_total")] == 50)
    }

    @Test func concurrentScrapesNeverCountTwiceOrMiss() throws {
        let directory = try MultiprocessFixtures.temporaryDirectory()
        defer { MultiprocessFixtures.remove(directory) }
        let workers = 40
        for pid in 1...workers { try Self.writeCounter(pid: pid, value: Double(pid), to: directory) }
        let expected = Double(workers * (workers + 1) / 2)
        let collector = try MultiProcessCollector(path: directory)
        let done = Atomic(false)
        let wrong = Mutex<[Double]>([])
        let scrapes = Atomic(0)
        let scraper = Thread {
            while !done.load(ordering: .acquiring) {
                let total = (try? collector.collect())?.first { $0.name == "jobs" }?.samples.first?.value ?? -1
                if total != expected { wrong.withLock { $0.append(total) } }
                scrapes.add(1, ordering: .relaxed)
            }
        }
        scraper.start()
        for pid in 1...workers { try markProcessDead(pid: Int32(pid), path: directory) }
        while scrapes.load(ordering: .relaxed) < 5 { usleep(1000) }
        done.store(true, ordering: .releasing)
        while !scraper.isFinished { usleep(1000) }
        #expect(wrong.withLock { $0 }.isEmpty)
        #expect(try Self.files(directory) == ["counter_archive.db"])
    }

    @Test func aCrashAfterTheRenameIsNotCountedTwice() throws {
        let directory = try MultiprocessFixtures.temporaryDirectory()
        defer { MultiprocessFixtures.remove(directory) }
        try Self.writeCounter(pid: 1, value: 3, to: directory)
        try Self.writeCounter(pid: 2, value: 4, to: directory)
        // Simulate a fold of pid 2 interrupted after the rename: archive holds 4, counter_2.db remains.
        let key = DBKey.encode(familyName: "jobs", sampleName: "jobs_total", labels: [], help: "Jobs.")
        let inode = try DurableFile.write(
            DBFileLayout.makeFile(entries: [(key, 4, 0)]), to: directory + "/counter_archive.db")
        try ArchiveJournal(archive: "counter_archive.db", archiveInode: inode, absorbed: "counter_2.db")
            .write(in: directory)
        #expect(try MultiProcessCollectorTests.ourMerge(directory)[MultiprocessFixtures.sampleKey("jobs_total")] == 7)
        try markProcessDead(pid: 1, path: directory)
        #expect(try Self.files(directory) == ["counter_archive.db"])
        #expect(try MultiProcessCollectorTests.ourMerge(directory)[MultiprocessFixtures.sampleKey("jobs_total")] == 7)
    }

    @Test func aCrashBeforeTheRenameIsRolledBack() throws {
        let directory = try MultiprocessFixtures.temporaryDirectory()
        defer { MultiprocessFixtures.remove(directory) }
        try Self.writeCounter(pid: 2, value: 4, to: directory)
        let key = DBKey.encode(familyName: "jobs", sampleName: "jobs_total", labels: [], help: "Jobs.")
        let inode = try DurableFile.write(
            DBFileLayout.makeFile(entries: [(key, 4, 0)]), to: directory + "/counter_archive.db.tmp")
        try ArchiveJournal(archive: "counter_archive.db", archiveInode: inode, absorbed: "counter_2.db")
            .write(in: directory)
        #expect(try MultiProcessCollectorTests.ourMerge(directory)[MultiprocessFixtures.sampleKey("jobs_total")] == 4)
        try ProcessArchiver(directory: MultiprocessDirectory(path: directory, forWriting: true))
            .recoverInterruptedFold()
        #expect(!FileManager.default.fileExists(atPath: directory + "/counter_archive.db.tmp"))
        #expect(!FileManager.default.fileExists(atPath: ArchiveJournal.path(in: directory)))
        #expect(try MultiProcessCollectorTests.ourMerge(directory)[MultiprocessFixtures.sampleKey("jobs_total")] == 4)
    }

    @Test func minMaxAndMostRecentArchivesKeepTheirRule() {
        func entry(_ value: Double, _ timestamp: Double) -> DBFileReader.Entry {
            DBFileReader.Entry(
                key: DBKey(familyName: "g", sampleName: "g", labels: [], help: ""), value: value,
                timestamp: timestamp, offset: 8)
        }
        let archive = [entry(5, 10)]
        let process = [entry(3, 20)]
        #expect(ProcessArchiver.combine(archive: archive, process: process, kind: .gauge(.min)).first?.value == 3)
        #expect(ProcessArchiver.combine(archive: archive, process: process, kind: .gauge(.max)).first?.value == 5)
        #expect(
            ProcessArchiver.combine(archive: archive, process: process, kind: .gauge(.mostrecent)).first?.value == 3)
        #expect(ProcessArchiver.combine(archive: archive, process: process, kind: .gauge(.sum)).first?.value == 8)
        #expect(ProcessArchiver.combine(archive: archive, process: process, kind: .counter).first?.value == 8)
    }
}

@Suite struct MergeMonotonicityTests {
    @Test func roundingFromArchivingNeverLowersACounter() throws {
        let directory = try MultiprocessFixtures.temporaryDirectory()
        defer { MultiprocessFixtures.remove(directory) }
        // Values whose sum depends on the order of addition in the last bit.
        let values = [0.1, 0.2, 0.3, 1e-16 * 3, 0.7]
        let key = DBKey.encode(familyName: "t", sampleName: "t_total", labels: [], help: "T.")
        for (index, value) in values.enumerated() {
            let bytes = DBFileLayout.makeFile(entries: [(key, value, 0)])
            try Data(bytes).write(to: URL(fileURLWithPath: "\(directory)/counter_\(index + 1).db"))
        }
        let collector = try MultiProcessCollector(path: directory)
        func total() throws -> Double {
            try #require(try collector.collect().first { $0.name == "t" }?.samples.first?.value)
        }
        var previous = try total()
        for pid in [3, 1, 5, 2] {
            try markProcessDead(pid: Int32(pid), path: directory)
            let current = try total()
            #expect(current >= previous)
            previous = current
        }
    }
}

import Foundation
import Glibc
import PrometheusTestSupport
import Testing

@testable import PrometheusClient
@testable import PrometheusMultiprocess

/// A multiprocess directory deleted or replaced at run time (a `/tmp` cleaner, an `rm -rf`): the
/// writers still map every count, so they make the directory and their files again with all of it;
/// the master keeps serving and says what happened. Only what the deleted archives alone held is gone.
@Suite("Multiprocess: a directory deleted at run time")
struct DirectoryLossTests {
    typealias Fixtures = MultiprocessFixtures
    typealias Worker = CrossProcessFeatureTests.Worker

    static func eventually(within seconds: Double = 15, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            usleep(20_000)
        }
        return try condition()
    }

    static func value(_ families: [MetricFamily], _ name: String, _ labels: [Label] = []) -> Double? {
        CrossProcessFeatureTests.sample(families, name, labels)?.value
    }

    static func inode(_ path: String) throws -> Int? {
        try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? Int
    }

    static func store(_ directory: String, _ identifier: String) throws -> MmapValueStore {
        MmapValueStore(
            directory: try MultiprocessDirectory(path: directory, forWriting: true), processIdentifier: identifier,
            healInterval: 0.05)
    }

    @Test("rm -rf of the directory under live workers: every live worker's totals come back, the archive's are gone")
    func aRemovedDirectoryComesBackComplete() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let collector = try MultiProcessCollector(path: directory)
        let first = try Worker(directory: directory)
        let second = try Worker(directory: directory)
        let third = try Worker(directory: directory)
        try first.run(
            "inc mp_lost_requests a 5 first-trace", "observe mp_lost_latency 0.5", "gauge mp_lost_busy livesum a 2",
            "info mp_lost_build 1.2")
        #expect(try first.output(of: "native mp_lost_native 1.1 0 yes 0") == "created\n")
        try first.run("nobserve mp_lost_native a 0.1 2 5")
        try second.run("inc mp_lost_requests a 7")
        try third.run("inc mp_lost_requests a 100")
        third.stop()
        // The dead worker's count now lives only in the archive.
        #expect(Self.value(try collector.collect(), "mp_lost_requests_total", [Label("key", "a")]) == 112)

        try FileManager.default.removeItem(atPath: directory)
        _ = try collector.collect()  // missing or already made again: either way the master serves
        try first.run("inc mp_lost_requests a 1")

        // Files are checked one by one while rm -rf runs, so they may come back in several rounds.
        var families: [MetricFamily] = []
        let healed = try Self.eventually {
            families = try collector.collect()
            return Self.value(families, "mp_lost_requests_total", [Label("key", "a")]) == 13
                && Self.value(families, "mp_lost_busy", [Label("key", "a")]) != nil
                && Self.value(families, "mp_lost_build_info", [Label("version", "1.2")]) != nil
                && NativeHistogramMergeTests.nativeSample(families, "mp_lost_native", key: "a") != nil
        }
        let names = (try? Fixtures.names(directory)) ?? []
        #expect(healed, "the live workers' totals did not come back: \(names)")
        #expect(Self.value(families, "mp_lost_latency_count") == 1)
        #expect(Self.value(families, "mp_lost_busy", [Label("key", "a")]) == 2)
        #expect(Self.value(families, "mp_lost_build_info", [Label("version", "1.2")]) == 1)
        let native = try #require(
            NativeHistogramMergeTests.nativeSample(families, "mp_lost_native", key: "a"), "native buckets lost")
        #expect(native.count == 5)
        let requests = try #require(
            CrossProcessFeatureTests.sample(families, "mp_lost_requests_total", [Label("key", "a")]))
        #expect(requests.exemplar == nil || requests.exemplar?.labels == [Label("trace_id", "first-trace")])
        #expect(Self.value(families, MultiProcessCollector.writersFamily, [Label("state", "alive")]) == 2)
        #expect(Self.value(families, MultiProcessCollector.directoryLossesFamily + "_total") == 1)
        #expect(Self.value(families, MultiProcessCollector.directoryMissingFamily) == 0)

        // Counting goes on into the new files.
        try second.run("inc mp_lost_requests a 2")
        #expect(Self.value(try collector.collect(), "mp_lost_requests_total", [Label("key", "a")]) == 15)
        #expect(
            try Fixtures.pythonMerge(directory)[Fixtures.sampleKey("mp_lost_requests_total", [Label("key", "a")])] == 15
        )
        first.stop()
        second.stop()
    }

    @Test("a directory replaced by another (moved away, made anew) gets the writer's files with every value")
    func aReplacedDirectoryGetsTheFiles() throws {
        let parent = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(parent) }
        let directory = parent + "/metrics"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        let store = try Self.store(directory, "7")
        let counter = store.makeSeries(Fixtures.counter("jobs"))
        counter.add(4, at: 0)
        try FileManager.default.moveItem(atPath: directory, toPath: parent + "/metrics.old")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        counter.add(1, at: 0)
        #expect(
            try Self.eventually { try Fixtures.pythonMerge(directory)[Fixtures.sampleKey("jobs_total")] == 5 },
            "the new directory never got the counter")
        #expect(try Fixtures.names(directory).contains("counter_7.db"))
    }

    @Test("a directory lost twice, the second time just after it was made again: every count comes back once")
    func aDirectoryLostTwiceInQuickSuccession() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let store = try Self.store(directory, "5")
        let counter = store.makeSeries(Fixtures.counter("jobs"))
        counter.add(4, at: 0)
        try FileManager.default.removeItem(atPath: directory)
        counter.add(1, at: 0)
        #expect(
            Self.eventually { FileManager.default.fileExists(atPath: directory + "/counter_5.db") },
            "the directory was not made again after the first loss")
        try FileManager.default.removeItem(atPath: directory)
        counter.add(2, at: 0)
        #expect(
            try Self.eventually { try Fixtures.pythonMerge(directory)[Fixtures.sampleKey("jobs_total")] == 7 },
            "the counts did not all come back after the second loss")
        usleep(200_000)
        #expect(try Fixtures.pythonMerge(directory)[Fixtures.sampleKey("jobs_total")] == 7)
        withExtendedLifetime(store) {}
    }

    @Test("a file deleted alone is made again with its values; the writer's other files stay as they are")
    func aDeletedFileAloneIsMadeAgain() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let store = try Self.store(directory, "8")
        let counter = store.makeSeries(Fixtures.counter("jobs"))
        let gauge = store.makeSeries(Fixtures.gauge("temperature", mode: .livesum))
        counter.add(3, at: 0)
        gauge.set(20, at: 0)
        let gaugeFile = directory + "/gauge_livesum_8.db"
        let gaugeInode = try Self.inode(gaugeFile)
        try FileManager.default.removeItem(atPath: directory + "/counter_8.db")
        #expect(
            try Self.eventually { try Fixtures.pythonMerge(directory)[Fixtures.sampleKey("jobs_total")] == 3 },
            "the counter file was not made again")
        #expect(try Self.inode(gaugeFile) == gaugeInode)
        #expect(try Fixtures.pythonMerge(directory)[Fixtures.sampleKey("temperature")] == 20)
        withExtendedLifetime(store) {}
    }

    @Test("a writer lease deleted alone is claimed again, so that masters keep judging the writer alive")
    func aDeletedLeaseIsClaimedAgain() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let store = try Self.store(directory, "6")
        store.makeSeries(Fixtures.counter("jobs")).add(1, at: 0)
        let lease = directory + "/" + WriterLease.fileName(for: "6")
        #expect(FileManager.default.fileExists(atPath: lease))
        try FileManager.default.removeItem(atPath: lease)
        #expect(Self.eventually { FileManager.default.fileExists(atPath: lease) }, "the lease was not claimed again")
        #expect(WriterLease.probe(fileName: WriterLease.fileName(for: "6"), in: directory)?.held == true)
        withExtendedLifetime(store) {}
    }

    @Test("a counter moved into a new file keeps its creation time")
    func aMovedCounterKeepsItsCreationTime() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let store = try Self.store(directory, "9")
        let counter = store.makeSeries(Fixtures.counter("jobs"))
        counter.add(1, at: 0)
        let created = counter.timestamp(at: 0)
        #expect(created > 0)
        usleep(20_000)
        try FileManager.default.removeItem(atPath: directory)
        #expect(
            Self.eventually { FileManager.default.fileExists(atPath: directory + "/counter_9.db") },
            "the directory was not made again")
        #expect(Self.eventually { counter.timestamp(at: 0) == created && store.seriesInMemory == 0 })
        let entries = try Fixtures.entries(ofFile: directory + "/counter_9.db")
        #expect(entries.first { $0.key.contains("jobs_total") }?.timestamp == created)
    }

    @Test("a master whose directory is missing serves its own metrics and says the directory is missing")
    func aMasterServesWithoutItsDirectory() throws {
        let parent = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(parent) }
        let directory = parent + "/metrics"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        let collector = try MultiProcessCollector(path: directory)
        _ = try collector.collect()
        try FileManager.default.removeItem(atPath: directory)
        let missing = try collector.collect()
        #expect(Self.value(missing, MultiProcessCollector.directoryMissingFamily) == 1)
        #expect(Self.value(missing, MultiProcessCollector.directoryLossesFamily + "_total") == 1)
        #expect(Self.value(missing, MultiProcessCollector.filesFamily) == 0)
        #expect(Self.value(try collector.collect(), MultiProcessCollector.directoryLossesFamily + "_total") == 1)

        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        let back = try collector.collect()
        #expect(Self.value(back, MultiProcessCollector.directoryMissingFamily) == 0)
        #expect(Self.value(back, MultiProcessCollector.directoryLossesFamily + "_total") == 1)
    }
}

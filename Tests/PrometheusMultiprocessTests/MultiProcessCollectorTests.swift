import Foundation
import PrometheusTestSupport
import Synchronization
import Testing

@testable import PrometheusClient
@testable import PrometheusMultiprocess

/// Python 0.25.0 workers write a directory with every type and gauge mode; our collector's merge must
/// equal Python's. Then corrupt files, caching, info/stateset files and the archive of dead processes.
@Suite struct MultiProcessCollectorTests {
    static let modes = MultiprocessMode.allCases.map(\.rawValue)

    /// Our merge in the shape of ``MultiprocessFixtures/pythonMerge(_:)``, without the self-metrics
    /// and `_created`.
    static func ourMerge(_ directory: String) throws -> [String: Double] {
        var samples: [String: Double] = [:]
        // Python's rules: every file counts (no liveness), as Python's collector reads them.
        let collector = try MultiProcessCollector(path: directory, lifecycle: .manual)
        for family in try collector.collect() where !MultiProcessCollector.selfMetricFamilies.contains(family.name) {
            // Python's merge has no _created (its workers record no creation time); ours is tested apart.
            for sample in family.samples where !(family.type.hasCreatedSeries && sample.name.hasSuffix("_created")) {
                samples[MultiprocessFixtures.sampleKey(sample.name, sample.labels)] = sample.value
            }
        }
        return samples
    }

    /// Equal keys, and values equal up to the rounding of summing in another file order (Python's
    /// order is the directory's, ours is sorted).
    static func expectEqual(
        _ ours: [String: Double], _ python: [String: Double], sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(Set(ours.keys) == Set(python.keys), sourceLocation: sourceLocation)
        for (key, value) in ours {
            guard let other = python[key] else { continue }
            #expect(
                abs(value - other) <= 1e-12 * max(1, abs(value)), "\(key): \(value) vs \(other)",
                sourceLocation: sourceLocation)
        }
    }

    static func unreadableFiles(_ directory: String) throws -> Double? {
        try MultiProcessCollector(path: directory).collect().first {
            $0.name == MultiProcessCollector.unreadableFilesFamily
        }?.samples.first?.value
    }

    @Test func mergeOfPythonWorkersEqualsPythonsMerge() throws {
        let directory = try MultiprocessFixtures.temporaryDirectory()
        defer { MultiprocessFixtures.remove(directory) }
        for pid in [101, 102, 103] { try MultiprocessFixtures.writeWithPython(pid: pid, to: directory) }
        let ours = try Self.ourMerge(directory)
        let python = try MultiprocessFixtures.pythonMerge(directory)
        Self.expectEqual(ours, python)
        #expect(ours[MultiprocessFixtures.sampleKey("requests_total", [Label("path", "/a")])] == 306)
        #expect(ours[MultiprocessFixtures.sampleKey("g_sum", [Label("k", "x")])] == 459)
        #expect(try Self.unreadableFiles(directory) == 0)
    }

    @Test func mergeIsSortedAndDeterministic() throws {
        let directory = try MultiprocessFixtures.temporaryDirectory()
        defer { MultiprocessFixtures.remove(directory) }
        for pid in [7, 8] { try MultiprocessFixtures.writeWithPython(pid: pid, to: directory) }
        let first = try MultiProcessCollector(path: directory).collect()
        let second = try MultiProcessCollector(path: directory).collect()
        #expect(first == second)
        #expect(first.map(\.name) == first.map(\.name).sorted())
        let histogram = try #require(first.first { $0.name == "latency_seconds" })
        #expect(histogram.samples.map(\.name).suffix(2) == ["latency_seconds_count", "latency_seconds_sum"])
        #expect(histogram.samples.compactMap { $0.labels["le"] } == ["0.1", "1.0", "5.0", "+Inf"])
    }

    @Test func warmCollectionSeesValuesAndEntriesAddedSince() throws {
        let directory = try MultiprocessFixtures.temporaryDirectory()
        defer { MultiprocessFixtures.remove(directory) }
        let path = directory + "/counter_1.db"
        let key = DBKey.encode(familyName: "c", sampleName: "c_total", labels: [], help: "C.")
        try Data(DBFileLayout.makeFile(entries: [(key, 1, 0)])).write(to: URL(fileURLWithPath: path))
        let collector = try MultiProcessCollector(path: directory)
        #expect(try collector.collect().first?.samples.first?.value == 1)
        let other = DBKey.encode(familyName: "d", sampleName: "d_total", labels: [], help: "D.")
        try Data(DBFileLayout.makeFile(entries: [(key, 5, 0), (other, 2, 0)])).write(to: URL(fileURLWithPath: path))
        let families = try collector.collect()
        #expect(
            families.map(\.name).filter { !MultiProcessCollector.selfMetricFamilies.contains($0) } == ["c", "d"])
        #expect(families[0].samples[0].value == 5)
        #expect(families[1].samples[0].value == 2)
    }

    @Test func warmCollectionFollowsFilesAddedRemovedAndReplacedBetweenScrapes() throws {
        let directory = try MultiprocessFixtures.temporaryDirectory()
        defer { MultiprocessFixtures.remove(directory) }
        let key = DBKey.encode(familyName: "c", sampleName: "c_total", labels: [], help: "C.")
        func write(_ pid: Int, _ value: Double) throws {
            // Written to a temporary name and renamed, so a rewrite is a new inode as an archive is.
            let path = directory + "/counter_\(pid).db"
            try Data(DBFileLayout.makeFile(entries: [(key, value, 0)])).write(to: URL(fileURLWithPath: path + ".tmp"))
            #expect(rename(path + ".tmp", path) == 0)
        }
        func total(_ collector: MultiProcessCollector) throws -> Double? {
            try collector.collect().first { $0.name == "c" }?.samples.first?.value
        }
        for pid in 1...4 { try write(pid, Double(pid)) }
        let collector = try MultiProcessCollector(path: directory)
        #expect(try total(collector) == 10)
        #expect(unlink(directory + "/counter_2.db") == 0)  // every later file moves up one place
        try write(5, 50)
        #expect(try total(collector) == 58)
        try write(3, 300)  // replaced under the same name
        #expect(try total(collector) == 355)
        #expect(try total(collector) == 355)
    }

    @Test(arguments: ["truncated", "usedBeyondSize", "badJSON", "empty", "foreignBytes"])
    func corruptFileIsSkippedAndTheRestServed(kind: String) throws {
        let directory = try MultiprocessFixtures.temporaryDirectory()
        defer { MultiprocessFixtures.remove(directory) }
        try MultiprocessFixtures.writeWithPython(pid: 5, to: directory)
        let expected = try Self.ourMerge(directory)
        let key = DBKey.encode(familyName: "requests", sampleName: "requests_total", labels: [], help: "x")
        var bytes = DBFileLayout.makeFile(entries: [(key, 100, 0)])
        let name = "counter_6.db"
        switch kind {
        case "truncated":
            bytes = Array(bytes.prefix(20))
            bytes.replaceSubrange(0..<4, with: [UInt8(40), 0, 0, 0])
        case "usedBeyondSize":
            bytes.replaceSubrange(0..<4, with: [0xFF, 0xFF, 0x01, 0])
        case "badJSON":
            let broken = Array("[\"requests\", \"requests_total\", {\"a\": }, \"x\"]".utf8)
            bytes = DBFileLayout.makeFile(entries: [(broken, 100, 0)])
        case "empty":
            bytes = []
        default:
            bytes = Array("SQLite format 3\u{0}".utf8) + Array(repeating: 0x41, count: 100)
        }
        try Data(bytes).write(to: URL(fileURLWithPath: directory + "/" + name))
        #expect(try Self.ourMerge(directory) == expected)
        #expect(try Self.unreadableFiles(directory) == 1)
    }

    @Test func foreignFileNamesAreSkippedAndCounted() throws {
        let directory = try MultiprocessFixtures.temporaryDirectory()
        defer { MultiprocessFixtures.remove(directory) }
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: directory + "/cache.db"))
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: directory + "/notes.txt"))
        #expect(try Self.unreadableFiles(directory) == 1)
    }

    @Test func fileDeletedAfterListingIsNoError() throws {
        let merger = MultiprocessMerger()
        let result = merger.merge(directory: "/nonexistent", files: [.init(fileName: "gauge_livesum_99.db", inode: 1)])
        #expect(result.families.isEmpty)
        #expect(result.unreadableFiles.isEmpty)
    }

    @Test func missingOrEmptyDirectoryIsATypedError() {
        #expect(throws: MultiprocessError.self) { try MultiProcessCollector(path: "/nonexistent/metrics") }
        #expect(throws: MultiprocessError.self) { try MultiProcessCollector(path: "") }
    }

    @Test func infoAndStateSetFilesMergeAsInfoAndStateSet() throws {
        let directory = try MultiprocessFixtures.temporaryDirectory()
        defer { MultiprocessFixtures.remove(directory) }
        func write(_ name: String, _ entries: [(DBKey, Double)]) throws {
            let bytes = DBFileLayout.makeFile(
                entries: entries.map {
                    (
                        DBKey.encode(
                            familyName: $0.0.familyName, sampleName: $0.0.sampleName, labels: $0.0.labels,
                            help: $0.0.help), $0.1, 0
                    )
                })
            try Data(bytes).write(to: URL(fileURLWithPath: directory + "/" + name))
        }
        let old = DBKey(familyName: "build", sampleName: "build_info", labels: [Label("version", "1")], help: "B.")
        let new = DBKey(familyName: "build", sampleName: "build_info", labels: [Label("version", "2")], help: "B.")
        try write("gauge_liveinfo_1.db", [(old, 0), (new, 1)])
        try write("gauge_liveinfo_2.db", [(new, 1)])
        let running = DBKey(familyName: "phase", sampleName: "phase", labels: [Label("phase", "running")], help: "P.")
        let stopped = DBKey(familyName: "phase", sampleName: "phase", labels: [Label("phase", "stopped")], help: "P.")
        try write("gauge_livestateset_1.db", [(running, 1), (stopped, 0)])
        let families = try MultiProcessCollector(path: directory).collect()
        let info = try #require(families.first { $0.name == "build" })
        #expect(info.type == .info)
        #expect(info.samples == [Sample(name: "build_info", labels: [Label("version", "2")], value: 1)])
        let phase = try #require(families.first { $0.name == "phase" })
        #expect(phase.type == .stateSet)
        #expect(phase.samples.map(\.value) == [1, 0])
        // A Python master reads the same directory without error.
        _ = try MultiprocessFixtures.pythonMerge(directory)
    }
}

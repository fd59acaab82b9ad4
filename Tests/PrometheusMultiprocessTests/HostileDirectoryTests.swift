import Dispatch
import Foundation
import Glibc
import PrometheusTestSupport
import Testing

@testable import PrometheusClient
@testable import PrometheusMultiprocess

/// Whatever lands in a multiprocess directory, the master serves the rest, says what it skipped, and
/// neither hangs, crashes nor runs out of memory; what it serves stays valid for promtool.
@Suite("Multiprocess master: hostile directories")
struct HostileDirectoryTests {
    typealias Fixtures = MultiprocessFixtures

    /// The merged families, or nil when collecting did not finish within 20 seconds.
    static func collectWithDeadline(_ directory: String) throws -> [MetricFamily]? {
        let collector = try MultiProcessCollector(path: directory)
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: [MetricFamily]?
        let thread = Thread {
            result = try? collector.collect()
            done.signal()
        }
        thread.start()
        guard done.wait(timeout: .now() + 20) == .success else { return nil }
        return result
    }

    static func selfMetric(_ families: [MetricFamily], _ name: String) -> Double? {
        families.first { $0.name == name }?.samples.first?.value
    }

    static func counterFile(_ value: Double, family: String = "jobs") -> [UInt8] {
        let key = DBKey.encode(familyName: family, sampleName: family + "_total", labels: [], help: "Jobs.")
        return DBFileLayout.makeFile(entries: [(key, value, 0)])
    }

    static func write(_ bytes: [UInt8], _ directory: String, _ name: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: directory + "/" + name))
    }

    static func jobsTotal(_ families: [MetricFamily]) -> Double? {
        families.first { $0.name == "jobs" }?.samples.first?.value
    }

    @Test("a FIFO, socket, directory or device named like a .db file is counted, never read, never blocks")
    func specialFilesAreSkippedWithoutBlocking() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        try Self.write(Self.counterFile(5), directory, "counter_1.db")
        #expect(mkfifo(directory + "/counter_2.db", 0o644) == 0)
        try FileManager.default.createDirectory(atPath: directory + "/counter_3.db", withIntermediateDirectories: false)
        try FileManager.default.createSymbolicLink(
            atPath: directory + "/counter_4.db", withDestinationPath: "/dev/urandom")
        let socketDescriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socketDescriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let socketPath = directory + "/counter_5.db"
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: socketPath.utf8.prefix(raw.count - 1))
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socketDescriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        #expect(bound == 0)
        let families = try #require(try Self.collectWithDeadline(directory), "the merge blocked")
        #expect(Self.jobsTotal(families) == 5)
        #expect(Self.selfMetric(families, MultiProcessCollector.unreadableFilesFamily) == 4)
    }

    @Test("a markProcessDead beside a FIFO finishes: the shared lock is never held by a blocked merge")
    func markProcessDeadIsNotStalledByAFIFO() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        try Self.write(Self.counterFile(5), directory, "counter_1.db")
        #expect(mkfifo(directory + "/counter_2.db", 0o644) == 0)
        _ = try #require(try Self.collectWithDeadline(directory), "the merge blocked")
        try markProcessDead(pid: 1, path: directory)
        let families = try #require(try Self.collectWithDeadline(directory))
        #expect(Self.jobsTotal(families) == 5)
    }

    @Test("a forged used header is refused before anything is allocated for it", arguments: [0xFFFF_FFFF, 0x7FFF_FFF0])
    func forgedUsedIsRefused(used: UInt32) throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        try Self.write(Self.counterFile(5), directory, "counter_1.db")
        var forged = Self.counterFile(7)
        withUnsafeBytes(of: used.littleEndian) { forged.replaceSubrange(0..<4, with: $0) }
        try Self.write(forged, directory, "counter_2.db")
        let merger = MultiprocessMerger()
        let outcome = merger.merge(
            directory: directory,
            files: try MultiprocessListing.read(directory).files.map { .init(fileName: $0.name, inode: $0.inode) })
        #expect(outcome.unreadableFiles.count == 1)
        #expect(outcome.unreadableFiles.first?.reason.contains("used") == true)
        #expect(Self.jobsTotal(outcome.families) == 5)
        #expect(merger.readBufferSize <= 1 << 17)
    }

    @Test("an impossible used header is reported with the file's real size", arguments: [0, -5])
    func impossibleUsedStatesTheRealSize(used: Int32) throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        var bytes = Self.counterFile(7) + [UInt8](repeating: 0, count: 10_000)
        withUnsafeBytes(of: used.littleEndian) { bytes.replaceSubrange(0..<4, with: $0) }
        try Self.write(bytes, directory, "counter_2.db")
        let outcome = MultiprocessMerger().merge(
            directory: directory, files: [.init(fileName: "counter_2.db", inode: 1)])
        #expect(
            outcome.unreadableFiles.first?.reason.contains("the file has \(bytes.count)") == true,
            "\(outcome.unreadableFiles)")
    }

    @Test("a sparse multi-GiB file with a valid used header is read in bounded windows")
    func sparseHugeFileIsReadInBoundedWindows() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        var bytes = Self.counterFile(7)
        let used = UInt32(0x7FFF_0000)
        withUnsafeBytes(of: used.littleEndian) { bytes.replaceSubrange(0..<4, with: $0) }
        let path = directory + "/counter_2.db"
        try Self.write(bytes, directory, "counter_2.db")
        #expect(truncate(path, 3 << 30) == 0)
        let merger = MultiprocessMerger(windowLimit: 1 << 20)
        let outcome = merger.merge(directory: directory, files: [.init(fileName: "counter_2.db", inode: 1)])
        #expect(outcome.unreadableFiles.count == 1, "zeros after the first entry are not a valid key")
        #expect(merger.readBufferSize <= 1 << 20)
    }

    @Test(
        "a 2 GiB sparse file claiming to be full, named as a dead writer's, costs each archiving scrape one small read")
    func aLyingSparseFileCostsLittleEveryScrape() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        try Self.write(Self.counterFile(5), directory, "counter_1.db")
        // Zeros after the header: the first entry has an empty key. The pid is far above pid_max.
        var header = [UInt8](repeating: 0, count: 8)
        withUnsafeBytes(of: Int32.max.littleEndian) { header.replaceSubrange(0..<4, with: $0) }
        let path = directory + "/counter_4999999.db"
        try Self.write(header, directory, "counter_4999999.db")
        #expect(truncate(path, off_t(Int32.max)) == 0)
        let collector = try MultiProcessCollector(path: directory)
        for _ in 0..<3 {
            let started = Date()
            let families = try collector.collect()
            #expect(Date().timeIntervalSince(started) < 0.5, "a scrape read what the file claims")
            #expect(Self.jobsTotal(families) == 5)
            #expect(Self.selfMetric(families, MultiProcessCollector.unreadableFilesFamily) == 1)
        }
        let inspected = DBFileInspection(path: path)
        #expect(inspected.isUnreadable)
    }

    @Test("files larger than the read window merge exactly as when read whole, and the buffer shrinks after")
    func largeFilesMergeThroughWindowsAndTheBufferShrinks() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let entries = (0..<4000).map { index in
            (
                DBKey.encode(
                    familyName: "jobs", sampleName: "jobs_total", labels: [Label("n", String(index))], help: "Jobs."),
                Double(index), 0.0
            )
        }
        try Self.write(DBFileLayout.makeFile(entries: entries), directory, "counter_1.db")
        let files = [MultiprocessMerger.ListedFile(fileName: "counter_1.db", inode: 1)]
        let whole = MultiprocessMerger().merge(directory: directory, files: files)
        let windowed = MultiprocessMerger(windowLimit: 1 << 16)
        let outcome = windowed.merge(directory: directory, files: files)
        #expect(outcome.unreadableFiles.isEmpty)
        #expect(outcome.families == whole.families)
        #expect(outcome.families.first?.samples.count == 4000)
        #expect(windowed.readBufferSize <= 1 << 16)
        #expect(windowed.merge(directory: directory, files: files).families == whole.families, "warm merge")

        let shrinking = MultiprocessMerger()
        _ = shrinking.merge(directory: directory, files: files)
        #expect(shrinking.readBufferSize > 1 << 17)
        try Self.write(Self.counterFile(1), directory, "counter_1.db")
        _ = shrinking.merge(directory: directory, files: [.init(fileName: "counter_1.db", inode: 2)])
        #expect(shrinking.readBufferSize <= 1 << 17)
    }

    @Test("a file name that is not UTF-8 and a dangling symbolic link are counted and logged")
    func invalidNamesAndDanglingLinksAreCounted() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        try Self.write(Self.counterFile(5), directory, "counter_1.db")
        let badName = directory + "/counter_\u{FF}.db"
        var bytes = Array(badName.utf8)
        // Replace the two-byte UTF-8 of U+00FF with a lone 0xFF byte.
        let index = bytes.firstIndex(of: 0xC3)!
        bytes.replaceSubrange(index...(index + 1), with: [0xFF])
        bytes.append(0)
        let descriptor = bytes.withUnsafeBufferPointer {
            open(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), O_CREAT | O_WRONLY, 0o644)
        }
        #expect(descriptor >= 0)
        close(descriptor)
        try FileManager.default.createSymbolicLink(
            atPath: directory + "/counter_3.db", withDestinationPath: directory + "/nowhere.db")
        let families = try #require(try Self.collectWithDeadline(directory))
        #expect(Self.jobsTotal(families) == 5)
        #expect(Self.selfMetric(families, MultiProcessCollector.unreadableFilesFamily) == 2)
    }

    @Test("a repeated label name in a key keeps the last value, as Python's json.loads does")
    func duplicateLabelNamesKeepTheLastValue() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let key = Array(#"["jobs", "jobs_total", {"x": "1", "x": "2"}, "Jobs."]"#.utf8)
        try Self.write(DBFileLayout.makeFile(entries: [(key, 3, 0)]), directory, "counter_1.db")
        let ours = try MultiProcessCollectorTests.ourMerge(directory)
        #expect(ours == [Fixtures.sampleKey("jobs_total", [Label("x", "2")]): 3])
        #expect(try Fixtures.pythonMerge(directory) == ours)
    }

    @Test(
        "an entry with an empty or reserved name, or a sample name its file cannot hold, is skipped alone",
        arguments: [
            ("counter_1.db", #"["", "_total", {}, "h"]"#),
            ("counter_1.db", #"["jobs", "jobs_total", {"": "v"}, "h"]"#),
            ("counter_1.db", #"["jobs", "jobs_total", {"__name__": "other"}, "h"]"#),
            ("counter_1.db", #"["jobs", "jobs_totl", {}, "h"]"#),
            ("histogram_1.db", #"["lat", "lat_bucjet", {"le": "1.0"}, "h"]"#),
            ("histogram_1.db", #"["lat", "lat_bucket", {"le": "abc"}, "h"]"#),
            ("histogram_1.db", #"["lat", "lat_bucket", {}, "h"]"#),
            ("summary_1.db", #"["s", "s_total", {}, "h"]"#),
            ("gauge_all_1.db", #"["g", "g_sum", {}, "h"]"#),
        ])
    func invalidEntriesAreSkippedAlone(fileName: String, badKey: String) throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let good: [UInt8]
        switch fileName.prefix(while: { $0 != "_" }) {
        case "histogram":
            good = DBKey.encode(familyName: "lat", sampleName: "lat_bucket", labels: [Label("le", "+Inf")], help: "h")
        case "summary": good = DBKey.encode(familyName: "s", sampleName: "s_count", labels: [], help: "h")
        case "gauge": good = DBKey.encode(familyName: "g", sampleName: "g", labels: [], help: "h")
        default: good = DBKey.encode(familyName: "jobs", sampleName: "jobs_total", labels: [], help: "h")
        }
        try Self.write(
            DBFileLayout.makeFile(entries: [(good, 2, 0), (Array(badKey.utf8), 9, 0)]), directory, fileName)
        let families = try #require(try Self.collectWithDeadline(directory))
        #expect(Self.selfMetric(families, MultiProcessCollector.unreadableEntriesFamily) == 1)
        #expect(Self.selfMetric(families, MultiProcessCollector.unreadableFilesFamily) == 0)
        let served = families.filter { !$0.name.hasPrefix("prometheus_multiproc") }
        #expect(served.count == 1)
        #expect(served.first?.samples.allSatisfy { $0.value == 2 } == true, "\(served)")
        let text = Exposition.string(families, as: .prometheusText004)
        let check = try ExternalTool.promtoolCheck(text)
        #expect(check.parses, "\(check.output)\n\(text)")
        let inspection = DBFileInspection(path: directory + "/" + fileName)
        #expect(inspection.problems.count == 1)
        #expect(!inspection.isUnreadable)
    }

    @Test("a bit flip in a histogram sample name never gives two samples of one series")
    func mangledSampleNamesNeverDuplicateASeries() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        func bucket(_ sample: String, _ le: String) -> [UInt8] {
            DBKey.encode(familyName: "lat", sampleName: sample, labels: [Label("le", le)], help: "h")
        }
        let sum = DBKey.encode(familyName: "lat", sampleName: "lat_sum", labels: [], help: "h")
        try Self.write(
            DBFileLayout.makeFile(entries: [
                (sum, 1, 0), (bucket("lat_bucket", "1.0"), 1, 0), (bucket("lat_bucket", "+Inf"), 0, 0),
            ]),
            directory, "histogram_1.db")
        try Self.write(
            DBFileLayout.makeFile(entries: [
                (sum, 1, 0), (bucket("lat_bucke\u{74}\u{00}", "1.0"), 1, 0), (bucket("lat_bucket", "+Inf"), 0, 0),
            ]),
            directory, "histogram_2.db")
        let families = try #require(try Self.collectWithDeadline(directory))
        let latency = try #require(families.first { $0.name == "lat" })
        let series = latency.samples.map { "\($0.name)\($0.labels)" }
        #expect(Set(series).count == series.count, "\(series)")
        #expect(try ExternalTool.promtoolCheck(Exposition.string(families, as: .prometheusText004)).parses)
    }

    @Test("a family that another file gives another type is skipped in the later file")
    func familiesKeepOneType() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        try Self.write(Self.counterFile(5, family: "x"), directory, "counter_1.db")
        let gauge = DBKey.encode(familyName: "x", sampleName: "x", labels: [], help: "h")
        let bucket = DBKey.encode(familyName: "x_total", sampleName: "x_total", labels: [], help: "h")
        try Self.write(DBFileLayout.makeFile(entries: [(gauge, 1, 0), (bucket, 1, 0)]), directory, "gauge_sum_1.db")
        let families = try #require(try Self.collectWithDeadline(directory))
        #expect(families.filter { $0.name.hasPrefix("x") }.map(\.type) == [.counter])
        #expect(Self.selfMetric(families, MultiProcessCollector.unreadableEntriesFamily) == 2)
        #expect(try ExternalTool.promtoolCheck(Exposition.string(families, as: .prometheusText004)).parses)
    }

    @Test("a corrupt file whose readable entries claim another family's name costs that family nothing")
    func aSkippedFileDecidesNoType() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        // Its first entry is a valid counter of the histogram's name; then the file breaks.
        let claim = DBKey.encode(familyName: "lat", sampleName: "lat_total", labels: [], help: "h")
        var corrupt = DBFileLayout.makeFile(entries: [(claim, 1, 0), (claim, 1, 0)])
        let second = 8 + DBFileLayout.entrySize(forKeyLength: claim.count)
        corrupt.replaceSubrange(second..<(second + 4), with: [0xFF, 0xFF, 0, 0])
        try Self.write(corrupt, directory, "counter_1.db")
        let sum = DBKey.encode(familyName: "lat", sampleName: "lat_sum", labels: [], help: "h")
        let bucket = DBKey.encode(familyName: "lat", sampleName: "lat_bucket", labels: [Label("le", "+Inf")], help: "h")
        try Self.write(DBFileLayout.makeFile(entries: [(sum, 2, 0), (bucket, 3, 0)]), directory, "histogram_2.db")
        let collector = try MultiProcessCollector(path: directory, lifecycle: .manual)
        for _ in 0..<2 {
            let families = try collector.collect()
            let latency = try #require(families.first { $0.name == "lat" })
            #expect(latency.type == .histogram)
            #expect(latency.samples.filter { $0.name == "lat_bucket" }.map(\.value) == [3])
            #expect(Self.selfMetric(families, MultiProcessCollector.unreadableFilesFamily) == 1)
            #expect(Self.selfMetric(families, MultiProcessCollector.unreadableEntriesFamily) == 0)
        }
    }

    @Test("inspect and merge agree on what is corrupt, entry by entry and file by file")
    func inspectionAgreesWithTheMerge() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let bucket = DBKey.encode(
            familyName: "lat", sampleName: "lat_bucket", labels: [Label("le", "abc")], help: "h")
        try Self.write(DBFileLayout.makeFile(entries: [(bucket, 1, 0)]), directory, "histogram_1.db")
        var truncated = Self.counterFile(1)
        truncated = Array(truncated.prefix(20))
        truncated.replaceSubrange(0..<4, with: [40, 0, 0, 0])
        try Self.write(truncated, directory, "counter_2.db")
        let families = try #require(try Self.collectWithDeadline(directory))
        let histogram = DBFileInspection(path: directory + "/histogram_1.db")
        let counter = DBFileInspection(path: directory + "/counter_2.db")
        #expect(histogram.problems.count == 1 && !histogram.isUnreadable)
        #expect(counter.isUnreadable)
        #expect(Self.selfMetric(families, MultiProcessCollector.unreadableEntriesFamily) == 1)
        #expect(Self.selfMetric(families, MultiProcessCollector.unreadableFilesFamily) == 1)
    }
}

import Foundation
import PrometheusTestSupport
import Testing

@testable import PrometheusClient
@testable import PrometheusMultiprocess

/// The `prometheus-multiproc` command, run as a separate process on directories written by Python.
@Suite struct MultiprocToolTests {
    static func run(_ arguments: [String]) throws -> ExternalTool.Output {
        let tool = try DemoProcess.builtExecutable("prometheus-multiproc")
        return try ExternalTool.run(tool.path, arguments)
    }

    @Test func mergePrintsWhatTheCollectorServes() throws {
        let directory = try MultiprocessFixtures.temporaryDirectory()
        defer { MultiprocessFixtures.remove(directory) }
        for pid in [11, 12] { try MultiprocessFixtures.writeWithPython(pid: pid, to: directory) }
        let output = try Self.run(["merge", directory])
        #expect(output.status == 0)
        // The tool never changes the directory: compare with a collector that does not archive either.
        let collector = try MultiProcessCollector(path: directory, lifecycle: .init(archiving: .off))
        let expected = Exposition.string(try collector.collect(), as: .prometheusText004)
        #expect(output.standardOutput == expected)
        #expect(try ExternalTool.promtoolCheck(output.standardOutput).parses)
    }

    @Test func mergeLeavesTheDirectoryAsItWas() throws {
        let directory = try MultiprocessFixtures.temporaryDirectory()
        defer { MultiprocessFixtures.remove(directory) }
        try MultiprocessFixtures.writeWithPython(pid: 14, to: directory)
        let before = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        #expect(try Self.run(["merge", directory]).status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == before)
        #expect(!before.contains(DirectoryLock.fileName))
    }

    @Test func mergeWritesOpenMetricsOnRequest() throws {
        let directory = try MultiprocessFixtures.temporaryDirectory()
        defer { MultiprocessFixtures.remove(directory) }
        try MultiprocessFixtures.writeWithPython(pid: 13, to: directory)
        let output = try Self.run(["merge", directory, "--format", "openmetrics"])
        #expect(output.status == 0)
        #expect(output.standardOutput.hasSuffix("# EOF\n"))
        try ExternalTool.parseOpenMetricsWithPython(output.standardOutput)
    }

    @Test func inspectListsEntriesAndFlagsCorruption() throws {
        let directory = try MultiprocessFixtures.temporaryDirectory()
        defer { MultiprocessFixtures.remove(directory) }
        let key = DBKey.encode(familyName: "jobs", sampleName: "jobs_total", labels: [], help: "Jobs.")
        var bytes = DBFileLayout.makeFile(entries: [(key, 3, 0), (key, 4, 0)])
        let path = directory + "/counter_1.db"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let good = try Self.run(["inspect", path])
        #expect(good.status == 0)
        #expect(good.standardOutput.contains("8\tjobs\tjobs_total{}\t3.0"))
        #expect(good.standardOutput.contains("2 entries"))
        bytes[DBFileLayout.entrySize(forKeyLength: key.count) + 8] = 0xFF  // second key length: huge
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let corrupt = try Self.run(["inspect", path])
        #expect(corrupt.status == 1)
        #expect(corrupt.standardOutput.contains("1 entries"))
        #expect(corrupt.standardError.contains("offset \(DBFileLayout.entrySize(forKeyLength: key.count) + 8)"))
    }

    @Test func markDeadFoldsTheProcess() throws {
        let directory = try MultiprocessFixtures.temporaryDirectory()
        defer { MultiprocessFixtures.remove(directory) }
        for pid in [21, 22] { try MultiprocessFixtures.writeWithPython(pid: pid, to: directory) }
        let output = try Self.run(["mark-dead", directory, "21"])
        #expect(output.status == 0, "\(output.standardError)")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory)
        #expect(!files.contains("counter_21.db"))
        #expect(files.contains("counter_archive.db"))
    }

    @Test func inspectReportsEntriesTheMergeSkips() throws {
        let directory = try MultiprocessFixtures.temporaryDirectory()
        defer { MultiprocessFixtures.remove(directory) }
        let good = DBKey.encode(familyName: "lat", sampleName: "lat_bucket", labels: [Label("le", "1.0")], help: "h")
        let bad = DBKey.encode(familyName: "lat", sampleName: "lat_bucket", labels: [Label("le", "abc")], help: "h")
        let path = directory + "/histogram_1.db"
        try Data(DBFileLayout.makeFile(entries: [(good, 1, 0), (bad, 2, 0)])).write(to: URL(fileURLWithPath: path))
        let output = try Self.run(["inspect", path])
        #expect(output.status == 1)
        #expect(output.standardOutput.contains("2 entries"))
        #expect(output.standardError.contains("bucket bound \"abc\" is not a number"), "\(output.standardError)")
        #expect(output.standardError.contains("skips 1 entries"))
    }

    @Test func markDeadWithoutArchivingKeepsTheDurableFiles() throws {
        let directory = try MultiprocessFixtures.temporaryDirectory()
        defer { MultiprocessFixtures.remove(directory) }
        for pid in [23, 24] { try MultiprocessFixtures.writeWithPython(pid: pid, to: directory) }
        let output = try Self.run(["mark-dead", "--no-archive", directory, "23"])
        #expect(output.status == 0, "\(output.standardError)")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory)
        #expect(files.contains("counter_23.db"))
        #expect(!files.contains("gauge_livesum_23.db"))
        #expect(!files.contains { $0.contains("archive") })
    }

    @Test func inspectNamesItsColumnsAndCallsAMissingFileMissing() throws {
        let directory = try MultiprocessFixtures.temporaryDirectory()
        defer { MultiprocessFixtures.remove(directory) }
        try MultiprocessFixtures.writeWithPython(pid: 25, to: directory)
        let listed = try Self.run(["inspect", directory + "/counter_25.db"])
        #expect(listed.standardOutput.hasPrefix("offset\tfamily\tsample{labels}\tvalue\ttimestamp\thelp\n"))
        let missing = try Self.run(["inspect", directory + "/counter_26.db"])
        #expect(missing.status == 1)
        #expect(missing.standardError.contains("counter_26.db does not exist"), "\(missing.standardError)")
        #expect(!missing.standardError.contains("corrupt"))
    }

    @Test func markDeadRefusingALiveWriterExitsWithAnError() throws {
        let directory = try MultiprocessFixtures.temporaryDirectory()
        defer { MultiprocessFixtures.remove(directory) }
        let worker = try CrossProcessFeatureTests.Worker(directory: directory)
        try worker.run("inc mp_tool_live a 1")
        let output = try Self.run(["mark-dead", directory, String(worker.pid)])
        #expect(output.status == 1)
        #expect(output.standardError.contains("still holds its writer lease"), "\(output.standardError)")
        #expect(FileManager.default.fileExists(atPath: directory + "/counter_\(worker.pid).db"))
        worker.stop()
    }

    @Test func badUsageExitsWithAMessage() throws {
        let output = try Self.run(["merge"])
        #expect(output.status == 2)
        #expect(output.standardError.contains("merge needs a directory"))
        let missing = try Self.run(["merge", "/nonexistent/dir"])
        #expect(missing.status == 1)
        #expect(missing.standardError.contains("does not exist"))
    }
}

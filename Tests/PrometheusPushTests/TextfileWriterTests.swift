import Foundation
import PrometheusTestSupport
import Synchronization
import Testing

@testable import PrometheusClient
@testable import PrometheusPush

@Suite("Atomic textfile writer")
struct TextfileWriterTests {
    /// A fresh directory under the system temporary directory, removed by the caller.
    static func makeDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("textfile-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        return path
    }

    static func entries(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }

    @Test("the file holds exactly the bytes written, and no temporary file remains")
    func writesBytes() throws {
        let directory = try Self.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/app.prom"
        try TextfileWriter.write(Array("a 1.0\n".utf8), to: path)
        try TextfileWriter.write(Array("b 2.0\n".utf8), to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "b 2.0\n")
        #expect(Self.entries(directory) == ["app.prom"])
    }

    @Test("a reader polling in a tight loop never sees a partial file")
    func readerNeverSeesPartialFile() throws {
        let directory = try Self.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/app.prom"
        // Two large, different contents: a torn read would match neither.
        let first = Array(String(repeating: "first_metric{shard=\"x\"} 1.0\n", count: 20_000).utf8)
        let second = Array(String(repeating: "second_metric 2.0\n", count: 30_000).utf8)
        try TextfileWriter.write(first, to: path)
        let writing = Atomic<Bool>(true)
        let failures = Mutex<[String]>([])
        let writer = Thread {
            for round in 0..<150 {
                do {
                    try TextfileWriter.write(round % 2 == 0 ? second : first, to: path)
                } catch {
                    failures.withLock { $0.append("write: \(error)") }
                }
            }
            writing.store(false, ordering: .releasing)
        }
        writer.start()
        var reads = 0
        var torn = 0
        let deadline = ContinuousClock.now + .seconds(60)
        while writing.load(ordering: .acquiring) && ContinuousClock.now < deadline {
            guard let data = FileManager.default.contents(atPath: path) else {
                torn += 1
                continue
            }
            let bytes = Array(data)
            if bytes != first && bytes != second {
                torn += 1
            }
            reads += 1
        }
        let writerFinished = !writing.load(ordering: .acquiring)
        #expect(writerFinished, "the writer finished within the time limit")
        #expect(failures.withLock { $0 } == [])
        #expect(reads > 10, "the reader ran concurrently with the writer")
        #expect(torn == 0)
        #expect(Self.entries(directory) == ["app.prom"])
    }

    @Test("a missing directory is a typed error")
    func missingDirectory() throws {
        let directory = try Self.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(throws: TextfileError.directoryMissing(directory + "/nope")) {
            try TextfileWriter.write([1], to: directory + "/nope/app.prom")
        }
        #expect(Self.entries(directory) == [])
    }

    @Test("a path below a regular file is a typed error")
    func pathBelowRegularFile() throws {
        let directory = try Self.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try #require(FileManager.default.createFile(atPath: directory + "/file", contents: Data("x".utf8)))
        #expect(throws: TextfileError.notADirectory(directory + "/file")) {
            try TextfileWriter.write([1], to: directory + "/file/app.prom")
        }
        #expect(Self.entries(directory) == ["file"])
    }

    @Test("a directory as target is a typed error and stays as it was")
    func directoryAsTarget() throws {
        let directory = try Self.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory + "/app.prom", withIntermediateDirectories: false)
        #expect(throws: TextfileError.targetIsADirectory(directory + "/app.prom")) {
            try TextfileWriter.write([1], to: directory + "/app.prom")
        }
        #expect(Self.entries(directory) == ["app.prom"])
    }

    @Test("a directory the process may not write to is a typed error, even for root")
    func permissionDenied() throws {
        // sysfs refuses new files to every user, root included (EACCES, or EROFS when read-only).
        var info = stat()
        try #require(stat("/sys", &info) == 0, "this test needs /sys (Linux)")
        do {
            try TextfileWriter.write([1], to: "/sys/app.prom")
            Issue.record("writing into /sys should fail")
        } catch {
            guard case .permissionDenied(let path, _) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(path.hasPrefix("/sys/app.prom."))
        }
    }

    @Test("a failure after the temporary file exists removes it and keeps the old file")
    func failedRenameCleansUp() throws {
        // A temporary directory on another file system makes the final rename fail (EXDEV) after
        // the temporary file was written.
        let directory = try Self.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let other = "/dev/shm/textfile-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: other) }
        var here = stat()
        var there = stat()
        try #require(stat(directory, &here) == 0 && stat(other, &there) == 0)
        try #require(here.st_dev != there.st_dev, "the test needs \(other) on another file system than \(directory)")
        let path = directory + "/app.prom"
        try TextfileWriter.write(Array("old 1.0\n".utf8), to: path)
        do {
            try TextfileWriter.write(Array("new 2.0\n".utf8), to: path, temporaryDirectory: other)
            Issue.record("the rename across file systems should fail")
        } catch {
            guard case .crossDevice(let temporary, let target) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(temporary.hasPrefix(other + "/app.prom.") && temporary.hasSuffix(".tmp"))
            #expect(target == path)
        }
        #expect(Self.entries(other) == [])
        #expect(Self.entries(directory) == ["app.prom"])
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "old 1.0\n")
    }

    @Test("the temporary name does not match the collector's *.prom pattern")
    func temporaryNameIsIgnoredByCollector() {
        let suffix = TextfileWriter.temporarySuffix()
        #expect(suffix.hasPrefix(".\(getpid())."))
        #expect(!("app.prom" + suffix).hasSuffix(".prom"))
    }
}

@Suite struct TextfileRegistryTests {
    @Test func writesTheRegistryInTheTextFormat() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("textfile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let registry = CollectorRegistry()
        try Gauge(name: "backup_last_success_seconds", help: "Last backup.", registry: registry).set(1_700_000_000)
        let path = directory.appendingPathComponent("backup.prom").path
        try TextfileWriter.write(registry: registry, to: path)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains("backup_last_success_seconds 1.7e+09\n"))
        #expect(try ExternalTool.promtoolCheck(text).parses)
    }

    @Test func aFailingCollectorLeavesTheOldFile() throws {
        final class Broken: Collector {
            struct Failure: Error {}
            func collect() throws -> [MetricFamily] { throw Failure() }
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("textfile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("x.prom").path
        try "old\n".write(toFile: path, atomically: true, encoding: .utf8)
        let registry = CollectorRegistry()
        try registry.register(Broken())
        #expect(throws: TextfileError.self) { try TextfileWriter.write(registry: registry, to: path) }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "old\n")
    }
}

import Foundation
import Glibc
import PrometheusTestSupport
import Synchronization
import Testing

/// The pre-fork demo under load while its storage fails and heals: a real tmpfs filled and freed, a
/// real `rm -rf` of the directory, real SIGKILLed workers. What the client was answered is what the
/// master finally serves, per worker.
@Suite("Pre-fork demo: storage that heals", .serialized)
struct PreforkDemoHealingTests {
    typealias Fixtures = MultiprocessFixtures
    static let requests = "demo_http_requests_total"

    /// The requests each worker answered, by pid, as the client saw them.
    final class Answers {
        private(set) var byWorker: [Int32: Int] = [:]
        var total: Int { byWorker.values.reduce(0, +) }

        func send(_ count: Int, _ path: String, to demo: DemoProcess) throws {
            for _ in 0..<count {
                byWorker[try demo.request(path), default: 0] += 1
            }
        }
    }

    /// The requests a worker's own counter file holds.
    static func countedInFile(of pid: Int32, in directory: String) throws -> Double {
        let path = directory + "/counter_\(pid).db"
        // A worker that has answered nothing yet (a fresh replacement) may have no counter file.
        guard FileManager.default.fileExists(atPath: path) else { return 0 }
        return try Fixtures.entries(ofFile: path)
            .filter { $0.key.contains("\"\(requests)\"") }
            .reduce(0) { $0 + $1.value }
    }

    /// SIGKILLs `victim` and waits until the master has a replacement serving.
    static func killAndReplace(_ victim: Int32, in demo: DemoProcess) throws {
        let servingBefore = demo.log.components(separatedBy: " serving (pid ").count - 1
        kill(victim, SIGKILL)
        _ = try demo.waitForLine(containing: " serving (pid ", skipping: servingBefore, timeout: 30)
    }

    @Test("the disk fills and frees twice under load: merged totals equal the requests answered, per worker")
    func aDiskThatFillsAndFreesTwice() throws {
        guard let mountPoint = try Fixtures.mountTmpfs(size: 16 << 20) else {
            try ExternalTool.unavailable("permission to mount a small tmpfs (needed to fill a disk safely)")
        }
        defer { Fixtures.unmount(mountPoint) }
        let directory = mountPoint + "/metrics"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        let demo = try DemoProcess(workers: 2, directory: directory)
        defer { demo.stop() }
        _ = try demo.waitForLine(containing: "serving", skipping: 1, timeout: 30)
        let originals = demo.livingWorkerPIDs().sorted()
        #expect(originals.count == 2)
        let answers = Answers()
        try answers.send(40, "/", to: demo)

        var deferredFolds = 0
        for cycle in 0..<2 {
            Fixtures.fill(mountPoint)
            // A worker dies on the full disk: its files cannot be folded yet, and its replacement
            // starts without room for a single file.
            try Self.killAndReplace(originals[cycle], in: demo)
            try answers.send(60, "/status/20\(cycle + 1)", to: demo)
            // markProcessDead deletes the dead worker's live-gauge files first, which may free enough
            // for its folds; when not, they wait for space (the self-metric below must reach 0).
            let full = ExpositionSamples(try demo.scrape())
            if (full.sum("prometheus_multiproc_pending_folds") ?? 0) > 0 { deferredFolds += 1 }
            Fixtures.unfill(mountPoint)
            try answers.send(40, "/", to: demo)
            let healed = try demo.scrapeUntil(timeout: 40) { samples in
                samples.sum("prometheus_multiproc_series_in_memory") == 0
                    && samples.sum("prometheus_multiproc_pending_folds") == 0
                    && samples.sum("demo_worker_processes") == 2
                    && samples.sum(Self.requests) == Double(answers.total)
            }
            #expect(healed.sum("prometheus_multiproc_pending_folds") == 0, "cycle \(cycle)")
            #expect(healed.sum("prometheus_multiproc_series_in_memory") == 0, "cycle \(cycle)")
            #expect(healed.sum("demo_worker_processes") == 2, "cycle \(cycle): a worker stayed invisible")
            #expect(healed.sum(Self.requests) == Double(answers.total), "cycle \(cycle)")
        }
        #expect((ExpositionSamples(try demo.scrape()).sum("prometheus_multiproc_storage_failures_total") ?? 0) > 0)
        // The second death finds the archives there already, and what it frees is not enough.
        #expect(deferredFolds >= 1, "no fold ever waited for space: markProcessDead's retry went untested")
        for pid in demo.livingWorkerPIDs() {
            #expect(
                try Self.countedInFile(of: pid, in: directory) == Double(answers.byWorker[pid] ?? 0), "worker \(pid)")
        }
    }

    @Test(
        "the directory removed mid-load (moved away, then rm -rf): every live worker's totals come back; only the archive's are gone"
    )
    func aDirectoryRemovedMidLoad() throws {
        let parent = try Fixtures.temporaryDirectory("prefork-rm")
        defer { Fixtures.remove(parent) }
        let directory = parent + "/metrics"
        let demo = try DemoProcess(workers: 2, directory: directory)
        defer { demo.stop() }
        _ = try demo.waitForLine(containing: "serving", skipping: 1, timeout: 30)
        let answers = Answers()
        try answers.send(30, "/", to: demo)
        // A dead worker's counts end up in the archive, which rm -rf takes with it.
        let victim = try #require(demo.livingWorkerPIDs().min())
        try Self.killAndReplace(victim, in: demo)
        _ = try demo.scrapeUntil(timeout: 40) { ($0.sum("prometheus_multiproc_archive_files") ?? 0) > 0 }
        try answers.send(30, "/", to: demo)

        // The directory goes while the requests keep coming.
        let rm = try ExternalTool.require("rm")
        let removal = Mutex<String?>(nil)
        let remover = Thread {
            usleep(100_000)
            // Moved away first, so that the directory leaves its path in one step and is lost once:
            // rm -rf in place races with workers making files in it (its final rmdir then fails) and
            // can lose it twice, which is not what this test is about.
            let doomed = directory + ".removed"
            let moved = rename(directory, doomed) == 0
            let result = moved ? try? ExternalTool.run(rm, ["-rf", doomed], timeout: 30) : nil
            removal.withLock { $0 = result.map { "\($0.status) \($0.standardError)" } ?? "did not run" }
        }
        remover.start()
        try answers.send(200, "/", to: demo)
        while removal.withLock({ $0 }) == nil { usleep(20_000) }
        #expect(removal.withLock { $0 } == "0 ", "rm -rf failed")
        #expect(!FileManager.default.fileExists(atPath: directory + "/counter_archive.db"))
        try answers.send(20, "/", to: demo)

        let live = demo.livingWorkerPIDs()
        let expected = live.reduce(0) { $0 + (answers.byWorker[$1] ?? 0) }
        // Each worker heals at its next slow path or sampling round, file by file: its counter file
        // can be back while its gauge file is not yet, so the check waits for both.
        let healed = try demo.scrapeUntil(timeout: 40) { samples in
            samples.sum(Self.requests) == Double(expected) && samples.sum("demo_worker_processes") == 2
        }
        #expect(healed.sum(Self.requests) == Double(expected), "answered by live workers: \(answers.byWorker)")
        #expect(healed.sum("prometheus_multiproc_directory_losses_total") == 1)
        #expect(healed.sum("demo_worker_processes") == 2)
        for pid in live {
            #expect(
                try Self.countedInFile(of: pid, in: directory) == Double(answers.byWorker[pid] ?? 0), "worker \(pid)")
        }
    }
}

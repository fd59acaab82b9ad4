import Foundation
import Glibc
import PrometheusTestSupport
import Testing

@testable import PrometheusClient
@testable import PrometheusMultiprocess

@Suite("Multiprocess writer: full disk and file-size limits")
struct MmapStorageFailureTests {
    typealias Fixtures = MultiprocessFixtures

    static let childDirectoryVariable = "PROMETHEUS_TEST_FSIZE_CHILD_DIR"
    static let fileSizeLimit = 100_000

    @Test("a full disk keeps series counting in memory, counts the failure in the file, and never crashes")
    func fullDiskFallsBackToMemory() throws {
        // 64 KiB for the counter file, a page for the writer's lease, 64 KiB for the gauge file, and
        // less than the 64 KiB its growth needs.
        guard let mountPoint = try Fixtures.mountTmpfs(size: 192 * 1024) else {
            try ExternalTool.unavailable("permission to mount a small tmpfs (needed to fill a disk safely)")
        }
        // The store outlives the test: it holds its series in memory until the disk has room, which
        // this one never gets. Unmounted at once (lazily), and without healing, so that its files
        // are never made again in the directory underneath.
        defer { Fixtures.unmount(mountPoint, storeOutlivesTest: true) }
        let store = MmapValueStore(
            directory: try MultiprocessDirectory(path: mountPoint, forWriting: true), processIdentifier: "1",
            healInterval: 3600)
        var series: [SeriesStorage] = []
        let padding = String(repeating: "x", count: 60)
        for index in 0..<1500 {
            let child = store.makeSeries(Fixtures.gauge("fill", mode: .sum, labels: [Label("i", "\(padding)\(index)")]))
            child.set(Double(index), at: 0)
            series.append(child)
        }
        // The file stopped growing at 64 KiB (the counter file holds the other half of the disk).
        #expect(store.storageFailureCount > 0)
        #expect(store.storageFailureCount < 1500)
        for (index, child) in series.enumerated() {
            #expect(child.value(at: 0) == Double(index))
        }
        series[1499].add(1, at: 0)
        #expect(series[1499].value(at: 0) == 1500)

        let merged = try Fixtures.pythonMerge(mountPoint)
        #expect(
            merged[Fixtures.sampleKey("prometheus_multiproc_storage_failures_total")]
                == Double(store.storageFailureCount))
        let inFile = try Fixtures.entries(ofFile: "\(mountPoint)/gauge_sum_1.db")
        #expect(inFile.count == 1500 - store.storageFailureCount)
        #expect(inFile.last?.value == Double(inFile.count - 1))
    }

    @Test("a worker that cannot create even its counter file still shows its failures to the master")
    func aWorkerWithoutAnyFileCountsItsFailuresInAMarker() throws {
        guard let mountPoint = try Fixtures.mountTmpfs(size: 256 * 1024) else {
            try ExternalTool.unavailable("permission to mount a small tmpfs (needed to fill a disk safely)")
        }
        defer { Fixtures.unmount(mountPoint) }
        Fixtures.fill(mountPoint)
        // No healing during the test: the store stands for a writer that stopped (its lease is
        // given up below), whose files markProcessDead must find as it left them.
        let store = MmapValueStore(
            directory: try MultiprocessDirectory(path: mountPoint, forWriting: true), processIdentifier: "7",
            healInterval: 3600)
        let series = (0..<5).map { index in
            store.makeSeries(Fixtures.counter("jobs", labels: [Label("i", String(index))]))
        }
        series[4].add(3, at: 0)
        #expect(series[4].value(at: 0) == 3)
        #expect(store.storageFailureCount == 5)
        let names = try Fixtures.names(mountPoint)
        #expect(names.contains { $0.hasPrefix("storage_failures_7_") && $0.hasSuffix("_5.marker") }, "\(names)")
        let failures = { () throws -> Double? in
            try MultiProcessCollector(path: mountPoint).collect().first {
                $0.name == StorageFailureMarker.counterFamilyName
            }?.samples.first?.value
        }
        #expect(try failures() == 5)

        // Still full: the marker cannot be folded, and keeps counting. (The store's lease is given up
        // first: a writer that holds its lease is alive, and markProcessDead leaves it alone.)
        store.releaseLease()
        // A process another test spawns at this instant holds the lease's open file description
        // between its fork and its exec (close-on-exec): wait until it is gone.
        for _ in 0..<200 where WriterLease.probe(fileName: WriterLease.fileName(for: "7"), in: mountPoint)?.held == true
        {
            usleep(10_000)
        }
        #expect(throws: MultiprocessError.self) { try markProcessDead(processIdentifier: "7", path: mountPoint) }
        #expect(try failures() == 5)
        let pendingFolds = { () throws -> Double? in
            try MultiProcessCollector(path: mountPoint, lifecycle: .manual).collect().first {
                $0.name == MultiProcessCollector.pendingFoldsFamily
            }?.samples.first?.value
        }
        #expect(try pendingFolds() == 1)
        Fixtures.unfill(mountPoint)
        try markProcessDead(processIdentifier: "7", path: mountPoint)
        #expect(try Fixtures.names(mountPoint) == ["counter_archive.db"])
        #expect(try failures() == 5)
        #expect(try pendingFolds() == 0)
    }

    @Test("an exhausted RLIMIT_FSIZE neither kills the worker with SIGXFSZ nor loses counts (child process)")
    func fileSizeLimitInChildProcess() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let result = try ExternalTool.run(
            try Self.testRunnerPath(),
            ["--testing-library", "swift-testing", "--filter", "fileSizeLimitChildRole"],
            environment: [Self.childDirectoryVariable: directory], timeout: 300)
        #expect(
            result.status == 0,
            "child output:\n\(result.standardOutput.suffix(3000))\n\(result.standardError.suffix(3000))")
        let childOutput = result.standardOutput + result.standardError
        #expect(
            childOutput.contains("Test run with 1 test"), "the child role did not run:\n\(childOutput.suffix(2000))")
        let logLines = childOutput.split(separator: "\n").filter {
            $0.contains("keeps metric values in memory")
        }
        #expect(logLines.count == 1, "expected one log line per file and cause, got \(logLines)")
        #expect(logLines.first?.contains("RLIMIT_FSIZE") == true)

        let merged = try Fixtures.pythonMerge(directory)
        let failures = merged[Fixtures.sampleKey("prometheus_multiproc_storage_failures_total")] ?? 0
        #expect(failures > 0)
        for name in try FileManager.default.contentsOfDirectory(atPath: directory)
        where !name.hasPrefix("writer_") && name != DirectoryLock.fileName {
            #expect(name.hasSuffix(".db"), "left behind: \(name)")
            let size = try FileManager.default.attributesOfItem(atPath: "\(directory)/\(name)")[.size] as? Int ?? 0
            #expect(size <= Self.fileSizeLimit)
        }
    }

    /// The role the test above starts in a separate process: lowers RLIMIT_FSIZE for that process only
    /// and writes until the counter file would have to grow past it.
    @Test(.enabled(if: ProcessInfo.processInfo.environment[childDirectoryVariable] != nil))
    func fileSizeLimitChildRole() throws {
        let directory = try #require(ProcessInfo.processInfo.environment[Self.childDirectoryVariable])
        var limit = rlimit(rlim_cur: rlim_t(Self.fileSizeLimit), rlim_max: rlim_t(Self.fileSizeLimit))
        #expect(setrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &limit) == 0)
        let store = MmapValueStore(directory: try MultiprocessDirectory(path: directory, forWriting: true))
        var series: [SeriesStorage] = []
        for index in 0..<2000 {
            let child = store.makeSeries(Fixtures.counter("limited", labels: [Label("series", "number-\(index)")]))
            child.add(1, at: 0)
            child.add(Double(index), at: 0)
            series.append(child)
        }
        #expect(store.storageFailureCount > 0)
        #expect(series.enumerated().allSatisfy { $0.element.value(at: 0) == Double($0.offset + 1) })
    }

    static func testRunnerPath() throws -> String {
        try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    }
}

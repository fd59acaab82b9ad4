import Foundation
import Glibc
import PrometheusTestSupport
import Synchronization
import Testing

@testable import PrometheusClient
@testable import PrometheusMultiprocess

/// A worker that had to keep series in memory (a full disk) moves them back into its files once
/// space returns: every count reaches the master, none twice.
@Suite("Multiprocess writer: storage that heals", .serialized)
struct StorageHealingTests {
    typealias Fixtures = MultiprocessFixtures

    /// A small tmpfs, or a loud skip (a failure in CI) where mounting is not allowed.
    static func smallDisk() throws -> String {
        guard let mountPoint = try Fixtures.mountTmpfs(size: 8 << 20) else {
            try ExternalTool.unavailable("permission to mount a small tmpfs (needed to fill a disk safely)")
        }
        return mountPoint
    }

    /// Waits (at most `seconds`) until `condition` holds.
    static func eventually(within seconds: Double = 10, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(20_000)
        }
        return condition()
    }

    static func merged(_ directory: String) throws -> [String: Double] {
        try Fixtures.pythonMerge(directory)
    }

    @Test("values kept in memory on a full disk return to the files once space returns, each counted once")
    func valuesReturnToTheFiles() throws {
        let mountPoint = try Self.smallDisk()
        defer { Fixtures.unmount(mountPoint) }
        Fixtures.fill(mountPoint)
        let store = MmapValueStore(
            directory: try MultiprocessDirectory(path: mountPoint, forWriting: true), processIdentifier: "3",
            healInterval: 0.05)
        let counter = store.makeSeries(Fixtures.counter("jobs"))
        let gauge = store.makeSeries(Fixtures.gauge("temperature", mode: .livesum))
        let histogram = store.makeSeries(
            Fixtures.descriptor(
                .histogram, "latency", slots: [("latency_sum", nil), ("latency_bucket", Label("le", "+Inf"))]))
        counter.add(5, at: 0)
        gauge.set(21.5, at: 0)
        histogram.add(0.5, at: 0)
        histogram.add(1, at: 1)
        #expect(store.seriesInMemory == 3)
        #expect(try Self.merged(mountPoint)[Fixtures.sampleKey("jobs_total")] == nil)

        Fixtures.unfill(mountPoint)
        counter.add(2, at: 0)
        #expect(Self.eventually { store.seriesInMemory == 0 })
        counter.add(1, at: 0)
        let merged = try Self.merged(mountPoint)
        #expect(merged[Fixtures.sampleKey("jobs_total")] == 8)
        #expect(merged[Fixtures.sampleKey("temperature")] == 21.5)
        #expect(merged[Fixtures.sampleKey("latency_sum")] == 0.5)
        #expect(merged[Fixtures.sampleKey("latency_bucket", [Label("le", "+Inf")])] == 1)
        #expect(merged[Fixtures.sampleKey("prometheus_multiproc_series_in_memory")] == 0)
        #expect(counter.value(at: 0) == 8)
    }

    @Test("counted from many threads while the disk fills and frees, every increment reaches the files once")
    func hammeringWhileSpaceComesAndGoes() throws {
        let mountPoint = try Self.smallDisk()
        defer { Fixtures.unmount(mountPoint) }
        let store = MmapValueStore(
            directory: try MultiprocessDirectory(path: mountPoint, forWriting: true), processIdentifier: "4",
            healInterval: 0.01)
        let threads = 4
        let rounds = 300
        let perRound = 250
        let done = Atomic<Int>(0)
        // The children keep their series, as a metric's children do.
        let kept = Mutex<[SeriesStorage]>([])
        // Long keys: the file must grow several times while the disk is full.
        let padding = String(repeating: "p", count: 1000)
        Fixtures.fill(mountPoint)
        DispatchQueue.concurrentPerform(iterations: threads + 1) { worker in
            guard worker < threads else {
                // The disk is full most of the time and frees now and then while the others count.
                var cycles = 0
                while done.load(ordering: .acquiring) < threads && cycles < 400 {
                    usleep(15_000)
                    Fixtures.unfill(mountPoint)
                    usleep(15_000)
                    Fixtures.fill(mountPoint)
                    cycles += 1
                }
                return
            }
            for round in 0..<rounds {
                // A new series every round: some are made while the disk is full.
                let series = store.makeSeries(
                    Fixtures.counter("hammered", labels: [Label("series", "\(padding)-\(worker)-\(round)")]))
                kept.withLock { $0.append(series) }
                for _ in 0..<perRound { series.add(1, at: 0) }
                usleep(1_000)
            }
            done.add(1, ordering: .releasing)
        }
        let movedDuringLoad = store.storageFailureCount - store.seriesInMemory
        Fixtures.unfill(mountPoint)
        #expect(store.storageFailureCount > 0, "the disk never filled while series were made")
        #expect(movedDuringLoad > 0, "no series moved back while the threads were counting")
        #expect(Self.eventually { store.seriesInMemory == 0 })
        // Late writes through moved memory slots are added for a while after each move.
        usleep(UInt32(StrandedSeries.drainPeriod * 1_000_000) + 200_000)
        let merged = try Self.merged(mountPoint)
        let total = merged.filter { $0.key.hasPrefix("hammered_total") }.values.reduce(0, +)
        #expect(total == Double(threads * rounds * perRound))
        #expect(merged.filter { $0.key.hasPrefix("hammered_total") }.count == threads * rounds)
    }

    @Test("a worker whose first files fail on a full disk appears to the master once space returns")
    func aWorkerStartedOnAFullDiskAppears() throws {
        let mountPoint = try Self.smallDisk()
        defer { Fixtures.unmount(mountPoint) }
        Fixtures.fill(mountPoint)
        let store = MmapValueStore(
            directory: try MultiprocessDirectory(path: mountPoint, forWriting: true), processIdentifier: "5",
            healInterval: 0.05)
        let info = store.makeSeries(
            Fixtures.descriptor(.info, "worker", labels: [Label("id", "5")], slots: [("worker_info", nil)]))
        info.set(1, at: 0)
        #expect(try MultiProcessCollector(path: mountPoint).collect().first { $0.name == "worker" } == nil)
        Fixtures.unfill(mountPoint)
        #expect(Self.eventually { store.seriesInMemory == 0 })
        let families = try MultiProcessCollector(path: mountPoint).collect()
        #expect(families.first { $0.name == "worker" }?.samples.first?.value == 1)
    }
}

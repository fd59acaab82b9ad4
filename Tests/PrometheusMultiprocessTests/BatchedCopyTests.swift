import Foundation
import Glibc
import PrometheusTestSupport
import Testing

@testable import PrometheusClient
@testable import PrometheusMultiprocess

/// A warm merge copies small files out of mappings in batches instead of reading each with `pread`
/// (``DBFileCache/addToBatch(_:)``): what it merges must be exactly what a fresh merger reads, and a
/// file truncated under its mapping must never bring the master down.
@Suite("Multiprocess merge: small files copied in batches")
struct BatchedCopyTests {
    typealias Fixtures = MultiprocessFixtures

    /// Three writers, each with `series` counter series and a sum gauge.
    final class Writers {
        let stores: [MmapValueStore]
        var counters: [[SeriesStorage]]
        let gauges: [SeriesStorage]

        init(directory: String, series: Int) throws {
            stores = try (1...3).map { identity in
                MmapValueStore(
                    directory: try MultiprocessDirectory(path: directory, forWriting: true),
                    processIdentifier: "\(identity)")
            }
            counters = stores.map { store in
                (0..<series).map { store.makeSeries(Fixtures.counter("jobs", labels: [Label("i", "\($0)")])) }
            }
            gauges = stores.map { $0.makeSeries(Fixtures.gauge("queue", mode: .sum)) }
        }

        func count(_ round: Int) {
            for (writer, series) in counters.enumerated() {
                for (index, counter) in series.enumerated() { counter.add(Double(round + index + writer), at: 0) }
                gauges[writer].set(Double(round * 10 + writer), at: 0)
            }
        }

        /// More series for the second writer: its counter file outgrows its mapping.
        func grow(by extra: Int) {
            let start = counters[1].count
            counters[1] += (start..<(start + extra)).map {
                stores[1].makeSeries(Fixtures.counter("jobs", labels: [Label("i", "\($0)")]))
            }
        }
    }

    static func listed(_ directory: String) throws -> [MultiprocessMerger.ListedFile] {
        try MultiprocessListing.read(directory).files.map {
            .init(fileName: $0.name, inode: $0.inode, listedAsRegular: $0.isRegular)
        }
    }

    /// What a merger that has never read the directory, and so reads every file with `pread`, merges.
    static func freshMerge(_ directory: String) throws -> MultiprocessMerger.Outcome {
        MultiprocessMerger().merge(directory: directory, files: try listed(directory))
    }

    @Test("warm merges from batched copies equal a fresh merger's while values change, series come and a file grows")
    func batchedMergesEqualFreshOnes() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let writers = try Writers(directory: directory, series: 20)
        let merger = MultiprocessMerger()
        var batched: [Int] = []
        for round in 0..<6 {
            writers.count(round)
            if round == 3 { writers.grow(by: 60) }
            let warm = merger.merge(directory: directory, files: try Self.listed(directory))
            batched.append(merger.filesCopiedInBatches)
            let fresh = try Self.freshMerge(directory)
            #expect(warm.families == fresh.families, "round \(round)")
            #expect(warm.unreadableFiles.isEmpty && fresh.unreadableFiles.isEmpty)
        }
        // Read cold, then read again and mapped, then copied in batches. The grown file's new bytes
        // are read with pread, and it is mapped anew: the next merge copies it whole.
        let files = try Self.listed(directory).count
        #expect(batched == [0, 0, files, files, files, files])
    }

    @Test(
        "a file truncated under its mapping is read as a fresh merger reads it, with no signal",
        arguments: ["counter_1.db", "counter_2.db"], [0, 8, 4096])
    func truncatedUnderItsMapping(victimName: String, size: Int) throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        // The counter files span two pages: a cut at 4,096 leaves the second past the end, a cut at 8
        // leaves the first page's bytes past it reading as zeros in the mapping.
        let writers = try Writers(directory: directory, series: 80)
        writers.count(1)
        let merger = MultiprocessMerger()
        for _ in 0..<3 { _ = merger.merge(directory: directory, files: try Self.listed(directory)) }
        #expect(merger.filesCopiedInBatches == (try Self.listed(directory)).count)

        // The first file of the batch (the copy then fails at once) or one inside it (it returns short).
        let victim = directory + "/" + victimName
        let used = try Data(contentsOf: URL(fileURLWithPath: victim)).prefix(4).withUnsafeBytes {
            Int($0.loadUnaligned(as: UInt32.self))
        }
        #expect(used > 4096 && used <= BatchedCopyPolicy.fileLimit)
        #expect(truncate(victim, off_t(size)) == 0)
        let warm = merger.merge(directory: directory, files: try Self.listed(directory))
        let fresh = try Self.freshMerge(directory)
        #expect(warm.families == fresh.families)
        #expect(warm.unreadableFiles.map(\.reason) == fresh.unreadableFiles.map(\.reason))
        #expect(warm.unreadableFiles.count == 1, "\(warm.unreadableFiles)")
        // A page past a file's end does not turn the batched copy off: the other files go on in it.
        _ = merger.merge(directory: directory, files: try Self.listed(directory))
        #expect(merger.filesCopiedInBatches == (try Self.listed(directory)).count - 1)
    }

    @Test("a master whose seccomp profile forbids the batched copy reads every file with pread instead")
    func aForbiddenCopyFallsBackToPread() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let writers = try Writers(directory: directory, series: 20)
        writers.count(2)
        let result = try ExternalTool.run(try TestWorker.path(), ["forbidden-copy", directory, "4"], timeout: 60)
        #expect(result.status == 0, "\(result.standardError)")
        let lines = result.standardOutput.split(separator: "\n")
        #expect(lines.first == "refused=EPERM", "the filter did not refuse the call: \(lines.first ?? "")")
        let registry = CollectorRegistry()
        try registry.register(try MultiProcessCollector(path: directory, lifecycle: .manual))
        var text: [UInt8] = []
        for _ in 0..<4 { registry.render(as: .prometheusText004, into: &text) }
        let jobs = { (lines: [Substring]) in lines.filter { $0.hasPrefix("jobs_total{") || $0.hasPrefix("queue ") } }
        let expected = jobs(String(decoding: text, as: UTF8.self).split(separator: "\n"))
        #expect(expected.count == 21)
        #expect(jobs(lines) == expected)
    }
}

import Foundation
import Glibc
import PrometheusTestSupport
import Testing

@testable import PrometheusClient

/// What a lying file costs a live master, measured in a master process of its own
/// (`PrometheusTestWorker scrapecost`), scrape by scrape, against the same directory without it.
@Suite("Multiprocess master: the cost of a lying file")
struct HostileFileCostTests {
    typealias Fixtures = MultiprocessFixtures

    struct Scrape {
        var seconds: Double
        var peakKiB: Int
    }

    /// Runs a master of `directory` for `count` scrapes (archiving on scrape, the default); also
    /// returns what it logged.
    static func scrapes(_ directory: String, count: Int) throws -> (scrapes: [Scrape], log: String) {
        let result = try ExternalTool.run(
            try TestWorker.path(), ["scrapecost", directory, String(count)], timeout: 120)
        guard result.status == 0 else {
            throw ExternalTool.MissingTool(name: "a scraping PrometheusTestWorker (\(result.standardError))")
        }
        let scrapes = result.standardOutput.split(separator: "\n").compactMap { line -> Scrape? in
            var fields: [Substring: Substring] = [:]
            for field in line.split(separator: " ") {
                let parts = field.split(separator: "=", maxSplits: 1)
                if parts.count == 2 { fields[parts[0]] = parts[1] }
            }
            guard let seconds = fields["seconds"].flatMap({ Double($0) }),
                let peak = fields["peak"].flatMap({ Int($0) })
            else { return nil }
            return Scrape(seconds: seconds, peakKiB: peak)
        }
        return (scrapes, result.standardError)
    }

    /// A 2 GiB sparse file whose header claims every byte is in use; zeros after the header.
    static func writeLyingFile(_ path: String) throws {
        var header = [UInt8](repeating: 0, count: 8)
        withUnsafeBytes(of: Int32.max.littleEndian) { header.replaceSubrange(0..<4, with: $0) }
        try Data(header).write(to: URL(fileURLWithPath: path))
        #expect(truncate(path, off_t(Int32.max)) == 0)
    }

    @Test(
        "2 GiB sparse files claiming to be full, named as a live and a dead writer's: ≤ 50 ms and ≤ 16 MiB more, every scrape"
    )
    func lyingFilesCostLittleEveryScrape() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let entries = (0..<200).map { index in
            (
                DBKey.encode(
                    familyName: "jobs", sampleName: "jobs_total", labels: [Label("n", String(index))], help: "Jobs."),
                Double(index), 0.0
            )
        }
        // This test runner's pid: a live writer, never archived.
        let live = getpid()
        try Data(DBFileLayout.makeFile(entries: entries)).write(
            to: URL(fileURLWithPath: directory + "/counter_\(live).db"))
        let baseline = try Self.scrapes(directory, count: 5).scrapes
        try #require(baseline.count == 5)

        try Self.writeLyingFile(directory + "/histogram_\(live).db")
        // Far above pid_max: a dead writer's, archived at every scrape until it can be.
        try Self.writeLyingFile(directory + "/counter_4999999.db")
        let (hostile, log) = try Self.scrapes(directory, count: 5)
        try #require(hostile.count == 5)
        // Met at every scrape, said once.
        #expect(log.components(separatedBy: "not archiving").count - 1 == 1, "\(log)")

        let slowestBaseline = baseline.map(\.seconds).max() ?? 0
        let baselinePeak = baseline.map(\.peakKiB).max() ?? 0
        for (index, scrape) in hostile.enumerated() {
            #expect(scrape.seconds <= slowestBaseline + 0.05, "scrape \(index): \(scrape.seconds) s")
            #expect(scrape.peakKiB <= baselinePeak + 16 * 1024, "scrape \(index): peak \(scrape.peakKiB) KiB")
        }
        // Neither was archived nor deleted: they are still there, counted unreadable.
        #expect(FileManager.default.fileExists(atPath: directory + "/counter_4999999.db"))
        #expect(FileManager.default.fileExists(atPath: directory + "/histogram_\(live).db"))
    }
}

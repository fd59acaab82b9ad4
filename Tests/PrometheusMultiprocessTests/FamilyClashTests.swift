import Foundation
import PrometheusTestSupport
import Testing

@testable import PrometheusClient
@testable import PrometheusMultiprocess

/// Files that disagree on a family (one name, two types; or a name another family derives) are
/// judged at every scrape from the files present: the loser's entries are counted and reported, and
/// a file deleted or mended stops mattering at once, in a collector that keeps running.
@Suite("Multiprocess master: families files disagree on")
struct FamilyClashTests {
    typealias Fixtures = MultiprocessFixtures

    static func write(_ entries: [(key: [UInt8], value: Double)], _ directory: String, _ name: String) throws {
        let file = DBFileLayout.makeFile(entries: entries.map { ($0.key, $0.value, 0) })
        // Atomically, as a new file: a file mended in place keeps its inode and size.
        try Data(file).write(to: URL(fileURLWithPath: directory + "/" + name), options: .atomic)
    }

    static func counter(_ family: String, _ labels: [Label] = []) -> [UInt8] {
        DBKey.encode(familyName: family, sampleName: family + "_total", labels: labels, help: "h")
    }

    static func gauge(_ family: String, _ labels: [Label] = []) -> [UInt8] {
        DBKey.encode(familyName: family, sampleName: family, labels: labels, help: "h")
    }

    static func family(_ families: [MetricFamily], _ name: String) -> MetricFamily? {
        families.first { $0.name == name }
    }

    static func unreadableEntries(_ families: [MetricFamily]) -> Double? {
        family(families, MultiProcessCollector.unreadableEntriesFamily)?.samples.first?.value
    }

    @Test("a type clash is judged at every scrape: the file that disagreed, once deleted, stops mattering")
    func aDeletedFileStopsMattering() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        try Self.write(
            [(Self.gauge("x", [Label("k", "a")]), 1), (Self.gauge("x", [Label("k", "b")]), 2)], directory,
            "gauge_sum_2.db")
        let collector = try MultiProcessCollector(path: directory, lifecycle: .manual)
        #expect(Self.family(try collector.collect(), "x")?.type == .gauge)
        // A counter file that disagrees comes later: it loses, and is reported.
        try Self.write([(Self.counter("x"), 5)], directory, "counter_1.db")
        var families = try collector.collect()
        #expect(Self.family(families, "x")?.type == .gauge)
        #expect(Self.family(families, "x")?.samples.map(\.value) == [1, 2])
        #expect(Self.unreadableEntries(families) == 1)
        #expect(try ExternalTool.promtoolCheck(Exposition.string(families, as: .prometheusText004)).parses)

        try FileManager.default.removeItem(atPath: directory + "/gauge_sum_2.db")
        families = try collector.collect()
        #expect(Self.family(families, "x")?.type == .counter)
        #expect(Self.family(families, "x")?.samples.first?.value == 5)
        #expect(Self.unreadableEntries(families) == 0)
    }

    @Test("the family shown keeps its type while its files are there, and a mended file is shown beside it")
    func theShownTypeDoesNotFlip() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        try Self.write([(Self.counter("x"), 5)], directory, "counter_1.db")
        let collector = try MultiProcessCollector(path: directory, lifecycle: .manual)
        #expect(Self.family(try collector.collect(), "x")?.type == .counter)
        try Self.write(
            [(Self.gauge("x", [Label("k", "a")]), 1), (Self.gauge("x", [Label("k", "b")]), 2)], directory,
            "gauge_sum_2.db")
        for _ in 0..<2 {
            let families = try collector.collect()
            #expect(Self.family(families, "x")?.type == .counter)
            #expect(Self.unreadableEntries(families) == 2)
        }
        // Mended: the gauge file now names its family apart.
        try Self.write(
            [(Self.gauge("y", [Label("k", "a")]), 1), (Self.gauge("y", [Label("k", "b")]), 2)], directory,
            "gauge_sum_2.db")
        let mended = try collector.collect()
        #expect(Self.family(mended, "x")?.type == .counter)
        #expect(Self.family(mended, "y")?.samples.count == 2)
        #expect(Self.unreadableEntries(mended) == 0)
    }

    @Test("a counter named like a histogram's buckets, come later, costs the histogram nothing until it goes")
    func aNameAnotherFamilyDerivesIsJudgedPerScrape() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let sum = DBKey.encode(familyName: "lat", sampleName: "lat_sum", labels: [], help: "h")
        let bucket = DBKey.encode(familyName: "lat", sampleName: "lat_bucket", labels: [Label("le", "+Inf")], help: "h")
        try Self.write([(sum, 2), (bucket, 3)], directory, "histogram_2.db")
        let collector = try MultiProcessCollector(path: directory, lifecycle: .manual)
        _ = try collector.collect()
        try Self.write([(Self.counter("lat_bucket"), 7)], directory, "counter_1.db")
        let families = try collector.collect()
        #expect(Self.family(families, "lat")?.type == .histogram)
        #expect(Self.family(families, "lat_bucket") == nil)
        #expect(Self.unreadableEntries(families) == 1)
        #expect(try ExternalTool.promtoolCheck(Exposition.string(families, as: .prometheusText004)).parses)
        try FileManager.default.removeItem(atPath: directory + "/histogram_2.db")
        #expect(Self.family(try collector.collect(), "lat_bucket")?.samples.first?.value == 7)
    }
}

import Foundation
import Glibc
import PrometheusTestSupport
import Testing

@testable import PrometheusClient
@testable import PrometheusMultiprocess

/// A merge with many files to open (a cold one) has a helper thread open them ahead of it
/// (``OpenAhead``): what it merges and reports must be exactly what a merge that opens each file
/// itself merges and reports.
@Suite("Multiprocess merge: files opened ahead on a helper thread")
struct OpenAheadTests {
    typealias Fixtures = MultiprocessFixtures
    typealias Hostile = HostileDirectoryTests

    /// `writers` counter files, each with a distinct `jobs` total; every tenth also has 100 `items`
    /// series, so that its used bytes run past the helper's first read of a page.
    static func directory(writers: Int) throws -> String {
        let directory = try Fixtures.temporaryDirectory()
        let jobs = DBKey.encode(familyName: "jobs", sampleName: "jobs_total", labels: [], help: "Jobs.")
        let items = (0..<100).map { item in
            DBKey.encode(
                familyName: "items", sampleName: "items_total", labels: [Label("item", "\(item)")], help: "Items.")
        }
        for writer in 1...writers {
            var entries = [(key: jobs, value: Double(writer), timestamp: 0.0)]
            if writer % 10 == 0 {
                entries += items.enumerated().map { (key: $1, value: Double($0), timestamp: 0.0) }
            }
            try Hostile.write(DBFileLayout.makeFile(entries: entries), directory, "counter_\(writer).db")
        }
        return directory
    }

    static func listed(_ directory: String) throws -> [MultiprocessMerger.ListedFile] {
        try MultiprocessListing.read(directory).files.map {
            .init(fileName: $0.name, inode: $0.inode, listedAsRegular: $0.isRegular)
        }
    }

    static func problems(_ outcome: MultiprocessMerger.Outcome) -> [String] {
        outcome.unreadableFiles.map { $0.path + ": " + $0.reason }.sorted()
    }

    @Test("a cold merge of many files opens them ahead and merges what a merge opening each itself does")
    func openedAheadEqualsOpenedInline() throws {
        let directory = try Self.directory(writers: 150)
        defer { Fixtures.remove(directory) }
        let files = try Self.listed(directory)
        let ahead = MultiprocessMerger(openAheadThreshold: 1)
        let inline = MultiprocessMerger(openAheadThreshold: .max)
        let aheadOutcome = ahead.merge(directory: directory, files: files)
        let inlineOutcome = inline.merge(directory: directory, files: files)
        // The first file is opened by the merge itself: it is what shows there are files to open.
        #expect(ahead.filesOpenedAhead == 149)
        #expect(inline.filesOpenedAhead == 0)
        #expect(aheadOutcome.families == inlineOutcome.families)
        #expect(Hostile.jobsTotal(aheadOutcome.families) == Double(150 * 151 / 2))
        let items = try #require(aheadOutcome.families.first { $0.name == "items" })
        #expect(items.samples.map(\.value).sorted() == (0..<100).map { Double($0 * 15) })
        #expect(aheadOutcome.unreadableFiles.isEmpty)
        // Warm, every file is known: nothing to open, no helper.
        _ = ahead.merge(directory: directory, files: files)
        #expect(ahead.filesOpenedAhead == 0)
    }

    @Test("only merges with at least the threshold of files to open start a helper")
    func fewFilesToOpenAreOpenedInline() throws {
        let directory = try Self.directory(writers: 20)
        defer { Fixtures.remove(directory) }
        let merger = MultiprocessMerger(openAheadThreshold: 20)
        let outcome = merger.merge(directory: directory, files: try Self.listed(directory))
        #expect(merger.filesOpenedAhead == 0)
        #expect(Hostile.jobsTotal(outcome.families) == Double(20 * 21 / 2))
        #expect(MultiprocessMerger().openAheadThreshold == 64)
    }

    @Test("files that cannot be read are reported the same when opened ahead, and new files join a warm merge")
    func problemsOpenedAheadAreReportedAlike() throws {
        let directory = try Self.directory(writers: 80)
        defer { Fixtures.remove(directory) }
        #expect(mkfifo(directory + "/counter_901.db", 0o644) == 0)
        try FileManager.default.createDirectory(
            atPath: directory + "/counter_902.db", withIntermediateDirectories: false)
        try FileManager.default.createSymbolicLink(
            atPath: directory + "/counter_903.db", withDestinationPath: directory + "/nowhere.db")
        try Hostile.write(Hostile.counterFile(1), directory, "unknown_904.db")
        try Hostile.write([1, 2, 3], directory, "counter_905.db")
        // Listed, then gone before the merge: a writer's file removed meanwhile is no problem.
        try Hostile.write(Hostile.counterFile(1), directory, "counter_906.db")
        let files = try Self.listed(directory)
        #expect(unlink(directory + "/counter_906.db") == 0)

        let ahead = MultiprocessMerger(openAheadThreshold: 1)
        let aheadOutcome = ahead.merge(directory: directory, files: files)
        let inlineOutcome = MultiprocessMerger(openAheadThreshold: .max).merge(directory: directory, files: files)
        // Every name that parses is opened ahead (the foreign one is refused without opening), also
        // those that turn out special, dangling, short or gone.
        #expect(ahead.filesOpenedAhead == 84)
        #expect(Self.problems(aheadOutcome) == Self.problems(inlineOutcome))
        #expect(Self.problems(aheadOutcome).count == 5, "\(Self.problems(aheadOutcome))")
        #expect(aheadOutcome.families == inlineOutcome.families)
        #expect(Hostile.jobsTotal(aheadOutcome.families) == Double(80 * 81 / 2))

        // A warm merge opens again the four files that failed, and the new one: the first itself.
        try Hostile.write(Hostile.counterFile(1000), directory, "counter_907.db")
        let warm = ahead.merge(directory: directory, files: try Self.listed(directory))
        #expect(ahead.filesOpenedAhead == 4)
        #expect(Hostile.jobsTotal(warm.families) == Double(80 * 81 / 2 + 1000))
    }
}

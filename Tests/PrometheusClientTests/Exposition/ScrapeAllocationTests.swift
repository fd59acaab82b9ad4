import Foundation
import PrometheusTestSupport
import Testing

/// A scrape of a registry whose output array is reused allocates the same small number of times
/// whatever the number of series: counted by the test worker, whose malloc counts its calls. The
/// worker is the release build (Scripts/test.sh builds it): unoptimised code allocates closure
/// contexts that optimised code keeps on the stack.
@Suite struct ScrapeAllocationTests {
    static func releaseWorkerPath() throws -> String {
        let debugWorker = URL(fileURLWithPath: try TestWorker.path())
        let path = debugWorker.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("release").appendingPathComponent("PrometheusTestWorker").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            try ExternalTool.unavailable(
                "the release PrometheusTestWorker (swift build -c release --product PrometheusTestWorker)")
        }
        return path
    }

    static func allocations(series: Int) throws -> [String: Int] {
        let result = try ExternalTool.run(try releaseWorkerPath(), ["allocations", String(series)], timeout: 120)
        #expect(result.status == 0, "\(result.standardError)")
        var counts: [String: Int] = [:]
        for line in result.standardOutput.split(separator: "\n") {
            let fields = line.split(separator: " ")
            let parts = fields[0].split(separator: "=")
            if parts.count == 2, let count = Int(parts[1]) { counts[String(parts[0])] = count }
        }
        return counts
    }

    @Test func aWarmScrapeAllocatesTheSameWhateverTheNumberOfSeries() throws {
        let small = try Self.allocations(series: 100)
        let large = try Self.allocations(series: 10_000)
        #expect(small.count == 2)
        #expect(small == large, "allocations per scrape: \(small) with 300 series, \(large) with 30,000")
        for (format, count) in large {
            // Per family: names, a label layout, a snapshot; nothing per series.
            #expect(count < 60, "\(format): \(count) allocations")
        }
    }
}

import Foundation
import PrometheusTestSupport
import Testing

@testable import PrometheusClient

/// A master keeps files open between scrapes within a budget of descriptors; a process that runs
/// short of descriptors (other collectors, connections, the application) must still merge every
/// file. Measured in a master process of its own (`PrometheusTestWorker descriptors`), which lowers
/// its own limit.
@Suite("Multiprocess master: short of descriptors")
struct DescriptorPressureTests {
    @Test func aMasterWithNoDescriptorLeftGivesBackTheOnesItKeptAndMergesEveryFile() throws {
        let directory = try MultiprocessFixtures.temporaryDirectory("descriptors")
        defer { MultiprocessFixtures.remove(directory) }
        let key = DBKey.encode(familyName: "pressure", sampleName: "pressure_total", labels: [], help: "h")
        for process in 1...200 {
            let bytes = DBFileLayout.makeFile(entries: [(key, 1, 0)])
            try Data(bytes).write(to: URL(fileURLWithPath: "\(directory)/counter_\(process).db"))
        }
        // A limit of 256 keeps 128 files open; the other 72 are opened at every scrape.
        let result = try ExternalTool.run(try TestWorker.path(), ["descriptors", directory, "256"], timeout: 60)
        #expect(result.status == 0, "\(result.standardError)")
        let fields = Dictionary(
            uniqueKeysWithValues: result.standardOutput.split(whereSeparator: \.isWhitespace).compactMap { field in
                let parts = field.split(separator: "=", maxSplits: 1)
                return parts.count == 2 ? (String(parts[0]), String(parts[1])) : nil
            })
        #expect((Int(fields["taken"] ?? "") ?? 0) > 0, "the worker took no descriptor: \(result.standardOutput)")
        #expect(fields["before"] == "200.0")
        #expect(fields["pressed"] == "200.0", "files were lost with no descriptor left: \(result.standardError)")
        #expect(fields["after"] == "200.0")
    }
}

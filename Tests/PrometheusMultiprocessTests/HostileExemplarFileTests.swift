import Foundation
import Glibc
import PrometheusTestSupport
import Testing

@testable import PrometheusClient
@testable import PrometheusMultiprocess

/// Exemplar files as anybody with access to the directory could write them.
@Suite("Multiprocess: hostile exemplar files")
struct HostileExemplarFileTests {
    @Test("random and mutated exemplar files never crash the reader")
    func mutatedExemplarFilesNeverCrash() throws {
        let key = DBKey.encode(familyName: "c", sampleName: "c_total", labels: [Label("a", "b")], help: "h")
        let valid = ExemplarFileLayout.makeFile(entries: [
            (key, Exemplar(labels: [Label("trace_id", "abc")], value: 1, timestamp: Timestamp(unixSeconds: 5)))
        ])
        var generator = SystemRandomNumberGenerator()
        for round in 0..<2000 {
            var bytes = Array(valid.prefix(512))
            let flips = 1 + round % 8
            for _ in 0..<flips {
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            // Keep the header's used within the copy, as the reader checks it against the file size.
            let used = min(bytes.count, Int(UInt32(littleEndian: bytes.withUnsafeBytes { $0.load(as: UInt32.self) })))
            _ = try? ExemplarFileLayout.latestExemplars(in: Array(bytes.prefix(max(8, used))))
        }
        let used = Int(UInt32(littleEndian: valid.withUnsafeBytes { $0.load(as: UInt32.self) }))
        #expect(
            try ExemplarFileLayout.latestExemplars(in: Array(valid.prefix(used))).map(\.exemplar.labels) == [
                [Label("trace_id", "abc")]
            ])
    }

    @Test("a forged exemplar file is skipped and counted; the values and other exemplars are served")
    func forgedExemplarFileIsSkippedAndCounted() throws {
        let directory = try MultiprocessFixtures.temporaryDirectory()
        defer { MultiprocessFixtures.remove(directory) }
        let key = DBKey.encode(familyName: "c", sampleName: "c_total", labels: [], help: "h")
        try Data(DBFileLayout.makeFile(entries: [(key, 4, 0)])).write(
            to: URL(fileURLWithPath: directory + "/counter_7.db"))
        try Data(
            ExemplarFileLayout.makeFile(entries: [
                (key, Exemplar(labels: [Label("trace_id", "good")], value: 1, timestamp: Timestamp(unixSeconds: 5)))
            ])
        ).write(to: URL(fileURLWithPath: directory + "/counter_7.exemplars"))
        var forged = [UInt8](repeating: 0xFF, count: 4096)
        forged.replaceSubrange(0..<8, with: [0, 16, 0, 0, 0, 0, 0, 0])
        try Data(forged).write(to: URL(fileURLWithPath: directory + "/counter_8.exemplars"))
        let families = try MultiProcessCollector(path: directory, lifecycle: .manual).collect()
        let total = families.flatMap(\.samples).first { $0.name == "c_total" }
        #expect(total?.value == 4)
        #expect(total?.exemplar?.labels == [Label("trace_id", "good")])
        let unreadable = families.first { $0.name == "prometheus_multiproc_unreadable_files" }?.samples.first?.value
        #expect(unreadable == 1)
    }
}

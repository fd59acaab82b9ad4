import Foundation
import Glibc
import PrometheusTestSupport
import Testing

@testable import PrometheusClient
@testable import PrometheusMultiprocess

/// The native histogram file (``NativeBucketFileLayout``) and the addition of native bucket tables
/// (``NativeBucketTotal``), on bytes and values in memory; and a worker SIGKILLed while appending
/// tables, on real files.
@Suite("Multiprocess: native bucket files and their addition")
struct NativeBucketFileTests {
    typealias Fixtures = MultiprocessFixtures
    typealias Table = (schema: Int32, threshold: Double, zero: Int64, buckets: [(key: Int64, count: Int64)])

    static func total(_ tables: [Table]) -> NativeBucketTotal {
        var total = NativeBucketTotal()
        for table in tables {
            total.add(
                schema: table.schema, zeroThreshold: table.threshold, zeroCount: table.zero, buckets: table.buckets)
        }
        return total
    }

    static func positive(_ total: NativeBucketTotal) -> [Int: Int64] {
        Dictionary(uniqueKeysWithValues: total.bucketsBySide.positive.map { ($0.index, $0.count) })
    }

    @Test("tables at several schemas add up at the lowest, bucket i falling into ceil(i / 2^steps)")
    func tablesAddUpAtTheLowestSchema() {
        // Schema 2: buckets 1...8 (keys 2i); schema 0: bucket 1 and 2.
        let fine: Table = (2, 0, 0, (1...8).map { (Int64($0) * 2, 1) })
        let coarse: Table = (0, 0, 0, [(2, 10), (4, 20)])
        let total = Self.total([fine, coarse])
        #expect(total.schema == 0)
        #expect(Self.positive(total) == [1: 14, 2: 24])
    }

    @Test("the total does not depend on the order tables are added in")
    func additionIsOrderIndependent() {
        let tables: [Table] = [
            (3, 0x1p-128, 2, [(10, 3), (-7, 4), (40, 1)]),
            (1, 0.01, 1, [(-14, 2), (6, 5), (7, 1)]),
            (0, 0x1p-128, 0, [(2, 1), (-13, 9)]),
        ]
        let reference = Self.total(tables)
        for order in [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]] {
            let total = Self.total(order.map { tables[$0] })
            #expect(total.schema == reference.schema && total.zeroThreshold == reference.zeroThreshold)
            #expect(total.zeroCount == reference.zeroCount)
            #expect(total.bucketsBySide.positive.map(\.count) == reference.bucketsBySide.positive.map(\.count))
            #expect(total.bucketsBySide.negative.map(\.index) == reference.bucketsBySide.negative.map(\.index))
        }
    }

    @Test("a wider zero threshold swallows the buckets below it and grows to the top of one it cuts")
    func widerThresholdSwallowsAndGrowsToABucketBound() {
        // Schema 0 buckets: -6 is (1/128, 1/64], which 0.01 cuts; -8 lies wholly below; 1 above.
        let narrow: Table = (0, 0x1p-128, 0, [(-16, 2), (-12, 3), (2, 4)])
        let wide: Table = (0, 0.01, 5, [])
        let total = Self.total([narrow, wide])
        #expect(total.zeroThreshold == 0x1p-6)
        #expect(total.zeroCount == 10)
        #expect(Self.positive(total) == [1: 4])
        // Without a bucket cut by it, the threshold stays as it is.
        let untouched = Self.total([(0, 0x1p-128, 0, [(2, 4)]), wide])
        #expect(untouched.zeroThreshold == 0.01 && untouched.zeroCount == 5)
    }

    @Test("a file of tables reads back table by table, removed ones marked")
    func fileRoundTrips() throws {
        var total = NativeBucketTotal()
        total.add(schema: 3, zeroThreshold: 0.5, zeroCount: 7, buckets: [(key: 16, count: 2), (key: -3, count: 1)])
        let key = DBKey.encode(familyName: "h", sampleName: "h", labels: [Label("a", "ü")], help: "H.")
        var bytes = NativeBucketFileLayout.makeFile(entries: [
            (key, NativeBucketFileLayout.keepsClassicBucketsFlag, total)
        ])
        bytes = Array(bytes.prefix(Int(bytes.withUnsafeBytes { $0.load(as: UInt32.self) })))
        let tables = try NativeBucketFileLayout.tables(in: bytes)
        #expect(tables.count == 1 && tables[0].key == key)
        #expect(tables[0].table.schema == 3 && tables[0].table.zeroCount == 7 && tables[0].table.zeroThreshold == 0.5)
        #expect(tables[0].table.keepsClassicBuckets && !tables[0].table.isRemoved)
        #expect(Set(tables[0].table.buckets.map(\.key)) == [16, -3])
        bytes.withUnsafeMutableBytes { raw in
            let location = try! NativeBucketFileLayout.entry(at: 8, in: UnsafeRawBufferPointer(raw), used: raw.count)
            NativeBucketFileLayout.markRemoved(raw.baseAddress! + location.tableOffset)
        }
        #expect(try NativeBucketFileLayout.tables(in: bytes)[0].table.isRemoved)
        #expect(NativeBucketMerger.totals(of: try NativeBucketFileLayout.tables(in: bytes)).isEmpty)
    }

    @Test("impossible tables are refused with a typed error naming the entry")
    func impossibleTablesAreRefused() throws {
        var total = NativeBucketTotal()
        total.add(schema: 0, zeroThreshold: 0, zeroCount: 1, buckets: [(key: 2, count: 1)])
        let key = Array(#"["h","h",{},"H."]"#.utf8)
        let good = NativeBucketFileLayout.makeFile(entries: [(key, 0, total)])
        let used = Int(good.withUnsafeBytes { $0.load(as: UInt32.self) })
        let table = 8 + 4 + key.count + DBFileLayout.paddingLength(forKeyLength: key.count)
        func corrupted(at offset: Int, _ bytes: [UInt8]) -> [UInt8] {
            var copy = Array(good.prefix(used))
            copy.replaceSubrange(offset..<(offset + bytes.count), with: bytes)
            return copy
        }
        let cases: [(String, [UInt8])] = [
            ("schema", corrupted(at: table + 8, [9, 0, 0, 0])),
            ("threshold", corrupted(at: table + 16, withUnsafeBytes(of: Double.nan.bitPattern, Array.init))),
            ("zero count", corrupted(at: table + 24, withUnsafeBytes(of: Int64(-1), Array.init))),
            ("capacity", corrupted(at: table, [0, 0, 0, 0])),
            ("count", corrupted(at: table + 32 + 8, withUnsafeBytes(of: Int64(-5), Array.init))),
        ]
        for (what, bytes) in cases {
            #expect(throws: DBFileError.self, "\(what)") { try NativeBucketFileLayout.tables(in: bytes) }
        }
    }

    @Test("2,000 mutated native files are read or refused, never a crash")
    func mutatedFilesNeverCrash() {
        var total = NativeBucketTotal()
        total.add(schema: 2, zeroThreshold: 0.001, zeroCount: 3, buckets: (0..<40).map { (Int64($0) - 20, 1) })
        let key = DBKey.encode(familyName: "h", sampleName: "h", labels: [Label("k", "v")], help: "H.")
        let original = NativeBucketFileLayout.makeFile(entries: [(key, 1, total), (key, 0, total)])
        let used = Int(original.withUnsafeBytes { $0.load(as: UInt32.self) })
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            var bytes = Array(original.prefix(used))
            for _ in 0..<Int.random(in: 1...8, using: &generator) {
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            if Bool.random(using: &generator) { bytes.removeLast(Int.random(in: 0..<bytes.count, using: &generator)) }
            if let tables = try? NativeBucketFileLayout.tables(in: bytes) {
                for entry in NativeBucketMerger.totals(of: tables) { _ = entry.total.histogram(sum: 0) }
            }
        }
    }

    @Test("a worker SIGKILLed while appending native tables leaves a file every read parses; counts never go back")
    func killedWhileAppendingLeavesParsableFiles() throws {
        for delay in [0.02, 0.15, 0.4] {
            let directory = try Fixtures.temporaryDirectory()
            defer { Fixtures.remove(directory) }
            let process = try TestWorker.start(["nativegrow", directory])
            defer { TestWorker.stop(process) }
            let path = "\(directory)/histogram_\(process.processIdentifier).native"
            var lastCounts: [[UInt8]: Double] = [:]
            func check() throws {
                let bytes = try #require(try DBFileReader.snapshot(path: path)?.bytes)
                for entry in NativeBucketMerger.totals(of: try NativeBucketFileLayout.tables(in: bytes)) {
                    let count = entry.total.histogram(sum: 0).count
                    #expect(count >= lastCounts[entry.key] ?? 0, "a native count went back")
                    lastCounts[entry.key] = count
                }
            }
            var reads = 0
            let deadline = Date().addingTimeInterval(delay)
            while Date() < deadline || reads == 0 {
                if FileManager.default.fileExists(atPath: path) {
                    try check()
                    reads += 1
                } else {
                    usleep(1000)
                }
            }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            try check()
            #expect(!lastCounts.isEmpty)
            let families = try MultiProcessCollector(path: directory, lifecycle: .manual).collect()
            #expect(families.first { $0.name == "prometheus_multiproc_unreadable_files" }?.samples.first?.value == 0)
            #expect(
                families.first { $0.name == "mp_native_grow" }?.samples.contains { $0.nativeHistogram != nil } == true)
        }
    }
}

import Foundation
import Glibc
import PrometheusTestSupport
import Testing

@testable import PrometheusClient
@testable import PrometheusMultiprocess

/// Native histograms across real worker processes (`PrometheusTestWorker script`): each worker
/// records its native buckets into `histogram_<id>.native` at its own resolution, and the master's
/// merge must equal the closed form of all observations at the lowest schema and the widest zero
/// threshold; the buckets survive a killed worker's archiving, removal and `fork()`.
@Suite("Multiprocess: native histograms across processes")
struct NativeHistogramMergeTests {
    typealias Fixtures = MultiprocessFixtures
    typealias Worker = CrossProcessFeatureTests.Worker

    /// The values `nobserve` observes: start, start·ratio, ... (computed the same way).
    static func series(start: Double, ratio: Double, count: Int) -> [Double] {
        var values: [Double] = []
        var value = start
        for _ in 0..<count {
            values.append(value)
            value *= ratio
        }
        return values
    }

    /// The native histogram of `values` at `schema` with zero threshold `threshold`, from the
    /// definition: bucket `i` holds `2^((i-1)/2^s) < |v| <= 2^(i/2^s)`.
    static func closedForm(_ values: [Double], schema: Int32, threshold: Double) -> (
        zero: Int64, positive: [Int: Int64], negative: [Int: Int64]
    ) {
        var zero: Int64 = 0
        var positive: [Int: Int64] = [:]
        var negative: [Int: Int64] = [:]
        for value in values {
            if Swift.abs(value) <= threshold {
                zero += 1
                continue
            }
            let index = Int((log2(Swift.abs(value)) * exp2(Double(schema))).rounded(.up))
            if value > 0 { positive[index, default: 0] += 1 } else { negative[index, default: 0] += 1 }
        }
        return (zero, positive, negative)
    }

    static func buckets(_ spans: [NativeHistogram.BucketSpan], _ deltas: [Int64]) -> [Int: Int64] {
        var result: [Int: Int64] = [:]
        for bucket in NativeBucketMath.buckets(spans: spans, deltas: deltas) where bucket.count != 0 {
            result[bucket.index] = bucket.count
        }
        return result
    }

    static func nativeSample(_ families: [MetricFamily], _ name: String, key: String) -> NativeHistogram? {
        families.first { $0.name == name }?.samples.first {
            $0.nativeHistogram != nil && $0.labels == [Label("key", key)]
        }?.nativeHistogram
    }

    static func schema(of worker: Worker, _ name: String, key: String) throws -> Int32 {
        let answer = try worker.output(of: "nschema \(name) \(key)")
        guard let schema = Int32(answer.trimmingCharacters(in: .whitespacesAndNewlines).dropFirst("schema=".count))
        else { throw CrossProcessFeatureTests.WorkerFailure(command: "nschema", answer: answer) }
        return schema
    }

    @Test("workers at three resolutions merge at the lowest schema and widest zero threshold, as the closed form says")
    func workersAtDifferentResolutionsMergeToTheClosedForm() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let fine = try Worker(directory: directory)
        let limited = try Worker(directory: directory)
        let wide = try Worker(directory: directory)
        // Schema 3 without a bucket limit; schema 6 with 20 buckets at most (it must reduce); schema 0
        // with a zero threshold of 0.01, negative values and exact zeros.
        #expect(try fine.output(of: "native mp_native 1.1 0 yes 0") == "created\n")
        #expect(try limited.output(of: "native mp_native 1.01 20 yes 0") == "created\n")
        #expect(try wide.output(of: "native mp_native 2 160 yes 0.01") == "created\n")
        try fine.run("nobserve mp_native a 0.001 1.05 200")
        try limited.run("nobserve mp_native a 0.002 1.07 150")
        try wide.run(
            "nobserve mp_native a -0.003 1.3 40", "nobserve mp_native a 0 1 5", "nobserve mp_native a 0.02 1.5 10")
        let values =
            Self.series(start: 0.001, ratio: 1.05, count: 200) + Self.series(start: 0.002, ratio: 1.07, count: 150)
            + Self.series(start: -0.003, ratio: 1.3, count: 40) + Array(repeating: 0, count: 5)
            + Self.series(start: 0.02, ratio: 1.5, count: 10)
        let schemas = [
            try Self.schema(of: fine, "mp_native", key: "a"), try Self.schema(of: limited, "mp_native", key: "a"),
            try Self.schema(of: wide, "mp_native", key: "a"),
        ]
        #expect(schemas[0] == 3 && schemas[2] == 0)
        #expect(schemas[1] < 6, "the limited worker never reduced its resolution")
        let lowest = schemas.min()!
        // The widest threshold, 0.01, lies inside a populated bucket, so it grows to that bucket's top.
        let threshold = exp2((log2(0.01) * exp2(Double(lowest))).rounded(.up) * exp2(-Double(lowest)))
        let expected = Self.closedForm(values, schema: lowest, threshold: threshold)

        let families = try CrossProcessFeatureTests.merged(directory, lifecycle: .manual)
        let merged = try #require(Self.nativeSample(families, "mp_native", key: "a"))
        #expect(merged.schema == lowest)
        #expect(merged.zeroThreshold == threshold)
        #expect(merged.zeroCount == Double(expected.zero))
        #expect(Self.buckets(merged.positiveSpans, merged.positiveDeltas) == expected.positive)
        #expect(Self.buckets(merged.negativeSpans, merged.negativeDeltas) == expected.negative)
        #expect(merged.count == Double(values.count))
        #expect(Swift.abs(merged.sum - values.reduce(0, +)) < 1e-9)
        // The classic part is merged beside it, as Python merges it.
        let count = CrossProcessFeatureTests.sample(families, "mp_native_count", [Label("key", "a")])
        #expect(count?.value == Double(values.count))

        // The protobuf exposition carries the same native histogram.
        let registry = CollectorRegistry()
        try registry.register(MultiProcessCollector(path: directory, lifecycle: .manual))
        var bytes: [UInt8] = []
        registry.render(as: .prometheusProtobuf, into: &bytes)
        let parsed = try ProtobufParser.parse(bytes)
        let decoded = try #require(Self.nativeSample(parsed, "mp_native", key: "a"))
        #expect(decoded.schema == merged.schema && decoded.zeroCount == merged.zeroCount)
        #expect(decoded.positiveDeltas == merged.positiveDeltas && decoded.negativeSpans == merged.negativeSpans)
        for worker in [fine, limited, wide] { worker.stop() }
    }

    @Test("a killed worker's native buckets are archived, and the merge does not change")
    func killedWorkersBucketsSurviveArchiving() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let survivor = try Worker(directory: directory)
        let victim = try Worker(directory: directory)
        #expect(try survivor.output(of: "native mp_native 1.1 160 yes 0") == "created\n")
        #expect(try victim.output(of: "native mp_native 1.01 12 no 0") == "created\n")
        try survivor.run("nobserve mp_native a 0.01 1.1 50")
        try victim.run("nobserve mp_native a 0.05 1.2 60")
        let before = try #require(
            Self.nativeSample(try CrossProcessFeatureTests.merged(directory, lifecycle: .manual), "mp_native", key: "a")
        )
        kill(victim.pid, SIGKILL)
        victim.process.waitUntilExit()
        // The default lifecycle judges the killed writer dead and archives it at this scrape.
        _ = try CrossProcessFeatureTests.merged(directory)
        let names = try Fixtures.names(directory)
        #expect(names.contains("histogram_archive.native"), "\(names)")
        #expect(!names.contains { $0.hasSuffix(".native") && $0.contains(String(victim.pid)) }, "\(names)")
        let after = try #require(
            Self.nativeSample(try CrossProcessFeatureTests.merged(directory, lifecycle: .manual), "mp_native", key: "a")
        )
        #expect(after == before)
        #expect(after.count == 110)
        survivor.stop()
    }

    @Test("a removed native series leaves the merge; made again it starts from zero")
    func removedSeriesLeavesTheMerge() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let worker = try Worker(directory: directory)
        #expect(try worker.output(of: "native mp_native 1.1 160 yes 0") == "created\n")
        try worker.run("nobserve mp_native a 0.5 1.1 10", "nobserve mp_native b 0.5 1.1 4", "nremove mp_native a")
        var families = try CrossProcessFeatureTests.merged(directory, lifecycle: .manual)
        #expect(Self.nativeSample(families, "mp_native", key: "a") == nil)
        #expect(Self.nativeSample(families, "mp_native", key: "b")?.count == 4)
        try worker.run("nobserve mp_native a 2 1 3")
        families = try CrossProcessFeatureTests.merged(directory, lifecycle: .manual)
        let again = try #require(Self.nativeSample(families, "mp_native", key: "a"))
        #expect(again.count == 3 && again.zeroCount == 0)
        #expect(Self.buckets(again.positiveSpans, again.positiveDeltas) == [8: 3])
        worker.stop()
    }

    @Test("a child forked after native observations records into its own file, from zero")
    func forkedChildStartsItsOwnTable() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let worker = try Worker(directory: directory)
        #expect(try worker.output(of: "native mp_native 2 160 no 0") == "created\n")
        try worker.run("nobserve mp_native a 3 1 4")
        let answer = try worker.output(of: "nforkobserve mp_native a 0.75")
        #expect(answer.hasPrefix("child="), "\(answer)")
        var merged: NativeHistogram?
        for _ in 0..<100 {
            merged = Self.nativeSample(
                try CrossProcessFeatureTests.merged(directory, lifecycle: .manual), "mp_native", key: "a")
            if merged?.count == 5 { break }
            usleep(20_000)
        }
        // The parent's four observations of 3 (bucket 2 at schema 0), the child's one of 0.75 (bucket 0).
        #expect(merged?.count == 5)
        #expect(merged.map { Self.buckets($0.positiveSpans, $0.positiveDeltas) } == [0: 1, 2: 4])
        let natives = try Fixtures.names(directory).filter { $0.hasSuffix(".native") }
        #expect(natives.count == 2, "\(natives)")
        worker.stop()
    }

    @Test("a native-only histogram merges to its native sample and _created, without classic buckets")
    func nativeOnlyMergesWithoutClassicBuckets() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let worker = try Worker(directory: directory)
        #expect(try worker.output(of: "native mp_native 1.1 160 no 0") == "created\n")
        try worker.run("nobserve mp_native a 0.25 2 3")
        let families = try CrossProcessFeatureTests.merged(directory, lifecycle: .manual)
        let family = try #require(families.first { $0.name == "mp_native" })
        #expect(family.samples.map(\.name) == ["mp_native", "mp_native_created"])
        #expect(family.samples[0].nativeHistogram?.count == 3)
        #expect(family.samples[0].nativeHistogram?.sum == 1.75)
        worker.stop()
    }

    @Test("native resets are refused in multiprocess mode with a typed error")
    func nativeResetsAreRefusedInWorkers() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let worker = try Worker(directory: directory)
        let answer = try worker.output(of: "native mp_native 1.1 160 yes 0 60")
        #expect(answer.hasPrefix("refused ") && answer.contains("minimumResetDuration"), "\(answer)")
        worker.stop()
    }

    @Test("a forged native file is skipped and counted; the rest is served")
    func forgedNativeFileIsSkipped() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let worker = try Worker(directory: directory)
        #expect(try worker.output(of: "native mp_native 1.1 160 yes 0") == "created\n")
        try worker.run("nobserve mp_native a 1 1 2")
        // A header claiming more than the file holds, and a table of impossible size.
        var forged = [UInt8](repeating: 0, count: 64)
        forged[0] = 200
        try Data(forged).write(to: URL(fileURLWithPath: directory + "/histogram_77777.native"))
        let key = Array(#"["mp_native","mp_native",{"key":"a"},"h"]"#.utf8)
        var impossible = [UInt8](repeating: 0, count: 8) + Self.entryBytes(key: key, capacity: UInt32.max)
        impossible[0] = UInt8(impossible.count)
        try Data(impossible).write(to: URL(fileURLWithPath: directory + "/histogram_77778.native"))
        let families = try CrossProcessFeatureTests.merged(directory, lifecycle: .manual)
        #expect(Self.nativeSample(families, "mp_native", key: "a")?.count == 2)
        #expect(CrossProcessFeatureTests.sample(families, "prometheus_multiproc_unreadable_files")?.value == 2)
        worker.stop()
    }

    static func entryBytes(key: [UInt8], capacity: UInt32) -> [UInt8] {
        var bytes = withUnsafeBytes(of: UInt32(key.count).littleEndian, Array.init) + key
        bytes += Array(repeating: 0x20, count: DBFileLayout.paddingLength(forKeyLength: key.count))
        bytes += withUnsafeBytes(of: capacity.littleEndian, Array.init)
        bytes += Array(repeating: 0, count: 28)
        return bytes
    }
}

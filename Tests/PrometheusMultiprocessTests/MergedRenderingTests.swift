import Foundation
import PrometheusTestSupport
import Testing

@testable import PrometheusClient
@testable import PrometheusMultiprocess

/// Merged families reach the bytes through the line writer the metric types use, from label blocks
/// and names their layout keeps; what they write must be exactly what the sample writers write for
/// the same families, in every format, escaping scheme and `_created` setting.
@Suite("One output pipeline: merged families")
struct MergedRenderingTests {
    typealias Fixtures = MultiprocessFixtures

    /// A directory with every kind of file: Swift-written series with hostile labels, exemplars,
    /// negative buckets, every gauge mode, info, state sets and a UTF-8 family name; a Python
    /// worker's files; native buckets from a worker process; a storage-failure marker.
    static func populatedDirectory() throws -> String {
        let directory = try Fixtures.temporaryDirectory()
        let store = MmapValueStore(
            directory: try MultiprocessDirectory(path: directory, forWriting: true), processIdentifier: "1")
        let hostile = [Label("path", "ü/😀 \"q\"\n\\ end"), Label("route.name", "a=b,c")]
        let counter = store.makeSeries(MultiprocessFixtures.counter("requests", labels: hostile))
        counter.add(3, at: 0)
        counter.recordExemplar(Exemplar(labels: [Label("trace_id", "abc")], value: 1, timestamp: nil), at: 0)
        store.makeSeries(MultiprocessFixtures.counter("temp\u{e9}rature", labels: [Label("k", "v")])).add(2, at: 0)
        let histogram = store.makeSeries(
            MultiprocessFixtures.descriptor(
                .histogram, "latency", labels: [Label("zone", "b")],
                slots: [
                    ("latency_sum", nil), ("latency_bucket", Label("le", "0.5")),
                    ("latency_bucket", Label("le", "+Inf")),
                ]))
        histogram.add(1.25, at: 0)
        histogram.add(2, at: 1)
        histogram.add(1, at: 2)
        histogram.recordExemplar(Exemplar(labels: [Label("id", "7")], value: 0.4, timestamp: nil), at: 1)
        let negative = store.makeSeries(
            MultiprocessFixtures.descriptor(
                .histogram, "offset",
                slots: [
                    ("offset_sum", nil), ("offset_bucket", Label("le", "-1")), ("offset_bucket", Label("le", "+Inf")),
                ]))
        negative.add(-4, at: 0)
        negative.add(1, at: 1)
        store.makeSeries(
            MultiprocessFixtures.descriptor(.summary, "size", slots: [("size_count", nil), ("size_sum", nil)])
        ).add(5, at: 0)
        for mode in MultiprocessMode.allCases {
            store.makeSeries(MultiprocessFixtures.gauge("g_" + mode.rawValue, mode: mode, labels: [Label("k", "x")]))
                .set(1.5, timestamp: 1_700_000_000, at: 0)
        }
        store.makeSeries(
            MultiprocessFixtures.descriptor(
                .info, "build", labels: [Label("version", "1.0")], slots: [("build_info", nil)])
        ).set(1, at: 0)
        store.makeSeries(
            MultiprocessFixtures.descriptor(
                .stateSet, "phase", labels: [Label("phase", "run")], slots: [("phase", nil)])
        ).set(1, at: 0)
        let marker = StorageFailureMarker(processIdentifier: "9", incarnation: "abc", count: 3)
        #expect(FileManager.default.createFile(atPath: directory + "/" + marker.fileName, contents: nil))
        try MultiprocessFixtures.writeWithPython(pid: 2, to: directory)
        let worker = try CrossProcessFeatureTests.Worker(directory: directory)
        #expect(try worker.output(of: "native mp_native 1.1 0 yes 0") == "created\n")
        try worker.run("nobserve mp_native a 0.001 1.05 20")
        return directory
    }

    /// The prepared families of one merge of `directory`.
    static func prepared(_ directory: String, created: Bool) throws -> MergedFamilies {
        let collector = try MultiProcessCollector(path: directory, lifecycle: .manual, createdSeries: created)
        return try #require(try collector.prepareFamilies() as? MergedFamilies)
    }

    @Test("every merged family is written as the sample writers write it, in every format and scheme")
    func everyFamilyMatchesTheSampleWriters() throws {
        let directory = try Self.populatedDirectory()
        defer { Fixtures.remove(directory) }
        for created in [true, false] {
            let families = try Self.prepared(directory, created: created)
            #expect(families.familyNames.contains("mp_native"))
            #expect(families.familyNames.contains("temp\u{e9}rature"))
            for format in ExpositionFormat.allCases {
                for escaping in NameEscapingScheme.allCases {
                    for index in families.familyNames.indices {
                        var written = ExpositionBuffer(reservingCapacity: 0)
                        families.writeFamily(at: index, as: format, escaping: escaping, to: &written)
                        var expected = ExpositionBuffer(reservingCapacity: 0)
                        Exposition.write(families.family(at: index), as: format, escaping: escaping, to: &expected)
                        let (ours, theirs) = (written.takeBytes(), expected.takeBytes())
                        #expect(
                            ours == theirs,
                            "\(families.familyNames[index]) \(format) \(escaping) created \(created):\n\(String(decoding: ours, as: UTF8.self))\nvs\n\(String(decoding: theirs, as: UTF8.self))"
                        )
                    }
                }
            }
        }
    }

    @Test("a registry writes the merge as the sample writers write its collected families")
    func theRegistryRendersWhatItCollects() throws {
        let directory = try Self.populatedDirectory()
        defer { Fixtures.remove(directory) }
        let registry = CollectorRegistry()
        try registry.register(MultiProcessCollector(path: directory, lifecycle: .manual))
        for format in [ExpositionFormat.prometheusText004, .openMetrics100] {
            var rendered: [UInt8] = []
            registry.render(as: format, into: &rendered)
            let collected = Exposition.render(registry.collect().families, as: format)
            // The merge's own duration differs from one collection to the next.
            let stable = { (bytes: [UInt8]) in
                String(decoding: bytes, as: UTF8.self).split(separator: "\n")
                    .filter { !$0.hasPrefix(MultiProcessCollector.mergeDurationFamily) }
            }
            #expect(stable(rendered) == stable(collected))
            #expect(String(decoding: rendered, as: UTF8.self).contains("prometheus_multiproc_storage_failures_total 3"))
        }
    }

    @Test("a warm scrape keeps the layout and its escaped texts; new series lay it out again")
    func theLayoutIsKeptUntilSeriesAreAdded() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let store = MmapValueStore(
            directory: try MultiprocessDirectory(path: directory, forWriting: true), processIdentifier: "1")
        store.makeSeries(MultiprocessFixtures.counter("jobs", labels: [Label("k", "a")])).add(1, at: 0)
        let collector = try MultiProcessCollector(path: directory, lifecycle: .manual)
        let first = try #require(try collector.prepareFamilies() as? MergedFamilies)
        let second = try #require(try collector.prepareFamilies() as? MergedFamilies)
        #expect(first.scrape.layout === second.scrape.layout)
        #expect(first.scrape.layout.texts(for: .underscores) === second.scrape.layout.texts(for: .underscores))
        store.makeSeries(MultiprocessFixtures.counter("jobs", labels: [Label("k", "b")])).add(1, at: 0)
        let third = try #require(try collector.prepareFamilies() as? MergedFamilies)
        #expect(third.scrape.layout !== second.scrape.layout)
        let jobs = third.family(at: try #require(third.familyNames.firstIndex(of: "jobs")))
        #expect(jobs.samples.filter { $0.name == "jobs_total" }.count == 2)
    }
}

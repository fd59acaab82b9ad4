import Foundation
import PrometheusTestSupport
import Testing

@testable import PrometheusClient
@testable import PrometheusMultiprocess

/// Names and label values are identified by their UTF-8 bytes, as Prometheus and the Python client do:
/// Swift's `String` equality would merge canonically equivalent spellings into one series.
@Suite("Identity is bytes")
struct ByteIdentityTests {
    /// Pairs that Swift's `==` calls equal and whose bytes differ.
    static let lookAlikes: [(String, String)] = [("e\u{301}", "\u{e9}"), ("\u{212B}", "\u{C5}")]

    @Test func theLookAlikesAreEqualStringsWithDifferentBytes() {
        for (first, second) in Self.lookAlikes {
            #expect(first == second)
            #expect(!ByteIdentity.equal(first, second))
            #expect(Label("v", first) != Label("v", second))
            #expect(Set([Label("v", first), Label("v", second)]).count == 2)
        }
    }

    @Test func labelValuesThatOnlyLookAlikeAreTwoChildren() throws {
        for (first, second) in Self.lookAlikes {
            let counter = try Counter(name: "hits", help: "Hits.", labelNames: ["v"], registry: nil)
            try counter.labels(first).inc()
            try counter.labels(second).inc(by: 2)
            #expect(try counter.labels(first) !== counter.labels(second))
            let totals = counter.collect()[0].samples.filter { $0.name == "hits_total" }.map(\.value)
            #expect(totals == [1, 2])
        }
    }

    @Test func removingAChildLeavesItsLookAlike() throws {
        let gauge = try Gauge(name: "g", help: "G.", labelNames: ["v"], registry: nil)
        try gauge.labels("e\u{301}").set(1)
        try gauge.labels("\u{e9}").set(2)
        try gauge.remove("e\u{301}")
        #expect(gauge.collect()[0].samples.map(\.value) == [2])
        try gauge.remove(matching: ["v": "\u{e9}"])
        #expect(gauge.collect()[0].samples.isEmpty)
    }

    @Test func labelNamesMatchByBytes() throws {
        let counter = try Counter(name: "c", help: "C.", labelNames: ["\u{e9}"], registry: nil)
        #expect(throws: MetricError.self) { try counter.labels(["e\u{301}": "x"]) }
        #expect(try counter.labels(["\u{e9}": "x"]) === counter.labels("x"))
        _ = try Gauge(name: "two", help: "Two.", labelNames: ["e\u{301}", "\u{e9}"], registry: nil)
    }

    @Test func metricNamesThatOnlyLookAlikeDoNotClashInARegistry() throws {
        let registry = CollectorRegistry()
        _ = try Gauge(name: "temp_\u{e9}", help: "NFC.", registry: registry)
        _ = try Gauge(name: "temp_e\u{301}", help: "NFD.", registry: registry)
        #expect(registry.collect().families.count == 2)
        #expect(throws: RegistryError.self) { try Gauge(name: "temp_\u{e9}", help: "Again.", registry: registry) }
    }

    @Test func aRestrictedRegistryFiltersByBytes() throws {
        let registry = CollectorRegistry()
        _ = try Gauge(name: "temp_\u{e9}", help: "NFC.", registry: registry)
        _ = try Gauge(name: "temp_e\u{301}", help: "NFD.", registry: registry)
        let families = registry.restricted(toSampleNames: ["temp_\u{e9}"]).collect().families
        #expect(families.map { Array($0.name.utf8) } == [Array("temp_\u{e9}".utf8)])
    }

    @Test func ourFilesKeepLookAlikesApartThroughMergeAndArchive() throws {
        let directory = try MultiprocessFixtures.temporaryDirectory()
        defer { MultiprocessFixtures.remove(directory) }
        for (index, identifier) in ["1", "2"].enumerated() {
            let store = MmapValueStore(
                directory: try MultiprocessDirectory(path: directory, forWriting: true), processIdentifier: identifier)
            for (offset, value) in ["e\u{301}", "\u{e9}"].enumerated() {
                store.makeSeries(MultiprocessFixtures.counter("hits", labels: [Label("v", value)]))
                    .add(Double(10 * index + offset + 1), at: 0)
            }
        }
        let expected = [
            MultiprocessFixtures.sampleKey("hits_total", [Label("v", "e\u{301}")]): 12.0,
            MultiprocessFixtures.sampleKey("hits_total", [Label("v", "\u{e9}")]): 14.0,
            MultiprocessFixtures.sampleKey("prometheus_multiproc_storage_failures_total"): 0.0,
        ]
        let merged = try MultiProcessCollectorTests.ourMerge(directory)
        #expect(merged == expected, "\(merged)")
        #expect(try MultiprocessFixtures.pythonMerge(directory) == expected)
        try markProcessDead(processIdentifier: "1", path: directory)
        try markProcessDead(processIdentifier: "2", path: directory)
        #expect(try MultiProcessCollectorTests.ourMerge(directory) == expected)
        #expect(try MultiprocessFixtures.pythonMerge(directory) == expected)
    }

    @Test func pythonFilesWithLookAlikesMergeAsPythonMergesThem() throws {
        let directory = try MultiprocessFixtures.temporaryDirectory()
        defer { MultiprocessFixtures.remove(directory) }
        let script = """
            import os, sys
            from prometheus_client import values
            values.ValueClass = values.MultiProcessValue(lambda: '5')
            from prometheus_client import Counter
            c = Counter('hits', 'Hits.', ['v'])
            c.labels('e\\u0301').inc(1)
            c.labels('\\u00e9').inc(2)
            """
        _ = try ExternalTool.runPython(script, environment: ["PROMETHEUS_MULTIPROC_DIR": directory])
        let ours = try MultiProcessCollectorTests.ourMerge(directory)
        #expect(ours.count == 2)
        #expect(ours == (try MultiprocessFixtures.pythonMerge(directory)))
    }
}

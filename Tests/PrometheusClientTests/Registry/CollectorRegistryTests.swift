import PrometheusTestSupport
import Testing

@testable import PrometheusClient

@Suite struct CollectorRegistryTests {
    final class ThrowingCollector: Collector {
        struct Broken: Error {}
        func describe() -> [MetricFamily]? { [] }
        func collect() throws -> [MetricFamily] { throw Broken() }
    }

    final class StaticCollector: Collector {
        let families: [MetricFamily]
        init(_ families: [MetricFamily]) { self.families = families }
        func collect() -> [MetricFamily] { families }
    }

    @Test func duplicateNameIsRejected() throws {
        let registry = CollectorRegistry()
        _ = try Counter(name: "requests", help: "R.", registry: registry)
        #expect(throws: RegistryError.self) { try Counter(name: "requests", help: "R.", registry: registry) }
    }

    @Test(arguments: [
        ("x_total", "x"), ("x_created", "x"), ("hh_bucket", "hh"), ("ss_sum", "ss"), ("ss_count", "ss"),
    ])
    func suffixClashesAreRejected(gaugeName: String, counterOrHistogram: String) throws {
        let registry = CollectorRegistry()
        if gaugeName.hasPrefix("hh") {
            _ = try Histogram(name: counterOrHistogram, help: "H.", registry: registry)
        } else if gaugeName.hasPrefix("ss") {
            _ = try Summary(name: counterOrHistogram, help: "S.", registry: registry)
        } else {
            _ = try Counter(name: counterOrHistogram, help: "C.", registry: registry)
        }
        #expect(throws: RegistryError.duplicateTimeseries(names: [gaugeName])) {
            try Gauge(name: gaugeName, help: "G.", registry: registry)
        }
    }

    @Test func infoSuffixClashIsRejected() throws {
        let registry = CollectorRegistry()
        _ = try Info(name: "build", help: "B.", registry: registry)
        #expect(throws: RegistryError.self) { try Gauge(name: "build_info", help: "G.", registry: registry) }
    }

    @Test func failedConstructionLeavesNothingRegistered() throws {
        let registry = CollectorRegistry()
        #expect(throws: MetricError.self) { try Histogram(name: "h", help: "H.", buckets: [3, 1], registry: registry) }
        _ = try Histogram(name: "h", help: "H.", registry: registry)
    }

    @Test func unregisterFreesTheNames() throws {
        let registry = CollectorRegistry()
        let counter = try Counter(name: "requests", help: "R.", registry: registry)
        try registry.unregister(counter)
        _ = try Counter(name: "requests", help: "R.", registry: registry)
        #expect(throws: RegistryError.self) { try registry.unregister(counter) }
    }

    @Test func registeringTheSameCollectorTwiceIsRejected() throws {
        let registry = CollectorRegistry()
        let counter = try Counter(name: "requests", help: "R.", registry: registry)
        #expect(throws: RegistryError.self) { try registry.register(counter) }
    }

    @Test func aThrowingCollectorDoesNotHideTheOthers() throws {
        let registry = CollectorRegistry()
        try registry.register(ThrowingCollector())
        let counter = try Counter(name: "requests", help: "R.", registry: registry)
        counter.inc()
        let result = registry.collect()
        #expect(result.families.map(\.name) == ["requests"])
        #expect(result.failures.count == 1)
        #expect(result.failures[0].collector.contains("ThrowingCollector"))
    }

    @Test func autoDescribeUsesCollectToFindNames() throws {
        let registry = CollectorRegistry(autoDescribe: true)
        try registry.register(StaticCollector([MetricFamily(name: "custom", help: "C.", type: .counter)]))
        #expect(throws: RegistryError.self) { try Gauge(name: "custom_total", help: "G.", registry: registry) }
    }

    @Test func withoutAutoDescribeNamelessCollectorsAreNotChecked() throws {
        let registry = CollectorRegistry()
        try registry.register(StaticCollector([MetricFamily(name: "custom", help: "C.", type: .gauge)]))
        _ = try Gauge(name: "custom", help: "G.", registry: registry)
    }

    @Test func targetInfoComesFirstAsAnInfoFamily() throws {
        let registry = CollectorRegistry(targetInfo: ["service": "api"])
        _ = try Gauge(name: "a", help: "A.", registry: registry)
        let families = registry.collect().families
        #expect(families.map(\.name) == ["target", "a"])
        #expect(families[0].type == .info)
        #expect(families[0].samples == [Sample(name: "target_info", labels: [Label("service", "api")], value: 1)])
    }

    @Test func targetInfoReservesItsName() throws {
        let registry = CollectorRegistry()
        try registry.setTargetInfo(["service": "api"])
        #expect(throws: RegistryError.self) { try Gauge(name: "target_info", help: "G.", registry: registry) }
        try registry.setTargetInfo(nil)
        #expect(registry.targetInfo == nil)
        _ = try Gauge(name: "target_info", help: "G.", registry: registry)
        #expect(throws: RegistryError.targetInfoConflict) { try registry.setTargetInfo(["a": "b"]) }
    }

    @Test func restrictedRegistryFiltersOnSampleNamesAndKeepsUnits() throws {
        let registry = CollectorRegistry()
        let counter = try Counter(name: "requests", help: "R.", unit: "bytes", registry: registry)
        _ = try Gauge(name: "other", help: "O.", registry: registry)
        counter.inc()
        let families = registry.restricted(toSampleNames: ["requests_bytes_total"]).collect().families
        #expect(families.count == 1)
        #expect(families[0].unit == "bytes")
        #expect(families[0].samples.map(\.name) == ["requests_bytes_total"])
        #expect(registry.restricted(toSampleNames: ["requests_bytes"]).collect().families.isEmpty)
    }

    @Test func restrictedRegistryIncludesNamelessCollectors() throws {
        let registry = CollectorRegistry()
        try registry.register(
            StaticCollector([
                MetricFamily(
                    name: "merged", help: "M.", type: .gauge, samples: [Sample(name: "merged", value: 1)])
            ]))
        let families = registry.restricted(toSampleNames: ["merged"]).collect().families
        #expect(families.map(\.name) == ["merged"])
    }

    @Test func restrictedRegistryIncludesTargetInfoOnlyWhenAsked() throws {
        let registry = CollectorRegistry(targetInfo: ["a": "b"])
        #expect(registry.restricted(toSampleNames: ["x"]).collect().families.isEmpty)
        #expect(registry.restricted(toSampleNames: ["target_info"]).collect().families.count == 1)
    }

    @Test func sampleValueFindsExactLabelMatches() throws {
        let registry = CollectorRegistry()
        let gauge = try Gauge(name: "g", help: "G.", labelNames: ["a"], registry: registry)
        try gauge.labels("x").set(4)
        #expect(registry.sampleValue(name: "g", labels: ["a": "x"]) == 4)
        #expect(registry.sampleValue(name: "g", labels: ["a": "y"]) == nil)
        #expect(registry.sampleValue(name: "g") == nil)
    }
}

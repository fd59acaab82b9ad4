import PrometheusTestSupport
import Testing

@testable import PrometheusClient

/// The fixes of the Python client 0.26.0 that concern a registry and its metrics, held here as they
/// behave in this package (where it was already stricter, the stricter rule stays).
@Suite("Python 0.26 parity: registry and metrics")
struct PythonParityTests {
    final class NamelessCollector: Collector {
        func collect() -> [MetricFamily] { [MetricFamily(name: "nameless", help: "N.", type: .gauge)] }
    }

    @Test("a clash is the typed duplicate-series error naming every clashing name (0.26's DuplicateTimeseries)")
    func duplicatesAreATypedErrorWithTheirNames() throws {
        let registry = CollectorRegistry(autoDescribe: true)
        _ = try Histogram(name: "latency", help: "L.", registry: registry)
        var clash = try CounterMetricFamily(name: "latency_count", help: "C.")
        try clash.addMetric([], value: 1)
        #expect(throws: RegistryError.duplicateTimeseries(names: ["latency_count"])) {
            try registry.register(FixedFamilies([clash.family]))
        }
    }

    @Test("a collector that declares no names unregisters and is no longer collected")
    func namelessCollectorsUnregister() throws {
        let registry = CollectorRegistry(autoDescribe: false)
        let collector = NamelessCollector()
        try registry.register(collector)
        #expect(registry.collect().families.map(\.name) == ["nameless"])
        try registry.unregister(collector)
        #expect(registry.collect().families.isEmpty)
        try registry.register(collector)
    }

    @Test("an Enum with no states or a label named after it is refused before it takes its name")
    func invalidEnumsNeverRegister() throws {
        let registry = CollectorRegistry()
        #expect(throws: MetricError.self) { try Enum(name: "phase", help: "P.", states: [], registry: registry) }
        #expect(throws: MetricError.self) {
            try Enum(name: "phase", help: "P.", labelNames: ["phase"], states: ["a"], registry: registry)
        }
        _ = try Enum(name: "phase", help: "P.", states: ["a"], registry: registry)
    }

    @Test("clear() on a metric without labels does nothing")
    func clearWithoutLabelsDoesNothing() throws {
        let registry = CollectorRegistry()
        let gauge = try Gauge(name: "level", help: "L.", registry: registry)
        gauge.set(4)
        gauge.clear()
        #expect(registry.collect().families.first?.samples.map(\.value) == [4])
    }
}

import PrometheusTestSupport
import Testing

@testable import PrometheusClient

@Suite struct LabelsTests {
    @Test func sameValuesReturnTheSameCachedChild() throws {
        let counter = try Counter(name: "requests", help: "R.", labelNames: ["method", "code"], registry: nil)
        let first = try counter.labels("GET", "200")
        let second = try counter.labels(["code": "200", "method": "GET"])
        #expect(first === second)
    }

    @Test func wrongLabelCountIsATypedError() throws {
        let counter = try Counter(name: "requests", help: "R.", labelNames: ["method", "code"], registry: nil)
        #expect(throws: MetricError.labelCountMismatch(metric: "requests", expected: ["method", "code"], got: 1)) {
            try counter.labels("GET")
        }
    }

    @Test func wrongLabelNamesAreATypedError() throws {
        let counter = try Counter(name: "requests", help: "R.", labelNames: ["method"], registry: nil)
        #expect(throws: MetricError.self) { try counter.labels(["verb": "GET"]) }
    }

    @Test func labelsOnAMetricWithoutLabelNamesIsATypedError() throws {
        let counter = try Counter(name: "requests", help: "R.", registry: nil)
        #expect(throws: MetricError.noLabelNames(metric: "requests")) { try counter.labels("x") }
    }

    @Test func labelsWithoutValuesReturnsTheSingleChildOfAnUnlabelledMetric() throws {
        let counter = try Counter(name: "requests", help: "R.", registry: nil)
        try counter.labels().inc()
        #expect(counter.value == 1)
        let labelled = try Counter(name: "labelled", help: "L.", labelNames: ["a"], registry: nil)
        #expect(throws: MetricError.self) { try labelled.labels() }
    }

    @Test func childrenAreCollectedInCreationOrderWithLabelsFirst() throws {
        let histogram = try Histogram(name: "h", help: "H.", labelNames: ["path"], buckets: [1], registry: nil)
        try histogram.labels("/b").observe(1)
        try histogram.labels("/a").observe(1)
        let samples = histogram.collect()[0].samples
        #expect(samples.first?.labels == [Label("path", "/b"), Label("le", "1.0")])
        #expect(samples.last?.labels == [Label("path", "/a")])
    }

    @Test func removeDropsOneChildAndIgnoresUnknownOnes() throws {
        let gauge = try Gauge(name: "g", help: "G.", labelNames: ["a"], registry: nil)
        try gauge.labels("x").set(1)
        try gauge.labels("y").set(2)
        try gauge.remove("x")
        try gauge.remove("never")
        #expect(gauge.collect()[0].samples.map(\.value) == [2])
    }

    @Test func removeMatchingDropsEveryChildWithThoseLabels() throws {
        let gauge = try Gauge(name: "g", help: "G.", labelNames: ["a", "b"], registry: nil)
        try gauge.labels("1", "x").set(1)
        try gauge.labels("1", "y").set(2)
        try gauge.labels("2", "x").set(3)
        try gauge.remove(matching: ["a": "1"])
        #expect(gauge.collect()[0].samples.map(\.value) == [3])
        #expect(throws: MetricError.self) { try gauge.remove(matching: ["c": "1"]) }
    }

    @Test func clearRemovesAllChildrenAndIsANoOpWithoutLabels() throws {
        let gauge = try Gauge(name: "g", help: "G.", labelNames: ["a"], registry: nil)
        try gauge.labels("x").set(1)
        gauge.clear()
        #expect(gauge.collect()[0].samples.isEmpty)
        let plain = try Gauge(name: "p", help: "P.", registry: nil)
        plain.clear()
        #expect(plain.collect()[0].samples.count == 1)
    }

    @Test func reservedDoubleUnderscoreLabelIsRejected() {
        #expect(throws: MetricError.self) { try Counter(name: "c", help: "C.", labelNames: ["__x"], registry: nil) }
    }

    @Test func duplicateLabelNamesAreRejected() {
        #expect(throws: MetricError.duplicateLabelName("a", metric: "c")) {
            try Counter(name: "c", help: "C.", labelNames: ["a", "a"], registry: nil)
        }
    }

    @Test func emptyNameIsRejected() {
        #expect(throws: MetricError.self) { try Counter(name: "", help: "C.", registry: nil) }
        #expect(throws: MetricError.self) { try Counter(name: "_total", help: "C.", registry: nil) }
    }

    @Test func utf8NamesAreAcceptedByDefault() throws {
        let gauge = try Gauge(name: "my.metric-ü", help: "U.", labelNames: ["label.with.dots"], registry: nil)
        #expect(gauge.name == "my.metric-ü")
    }
}

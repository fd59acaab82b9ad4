import PrometheusTestSupport
import Testing

@testable import PrometheusClient

/// The registry's scrape path writes the metric types' lines straight from their children; these
/// tests pin it to the bytes of the sample path (`collect()` rendered by `Exposition`) on a fixed
/// registry holding every kind of series the writers treat differently.
@Suite struct RegistryRenderingTests {
    /// A collector with two families whose names sort around the metrics', to check the ordering.
    final class TwoFamilies: Collector {
        func collect() throws -> [MetricFamily] {
            var zeta = try GaugeMetricFamily(name: "zeta_custom", help: "Z.", labelNames: ["k"])
            try zeta.addMetric(["v"], value: 2)
            let alpha = try CounterMetricFamily(name: "alpha_custom", help: "A.", value: 7)
            return [zeta.family, alpha.family]
        }
    }

    final class Failing: Collector {
        struct Failure: Error {}
        func collect() throws -> [MetricFamily] { throw Failure() }
    }

    static func fixedRegistry() throws -> CollectorRegistry {
        let registry = CollectorRegistry(targetInfo: ["service": "api"])
        let jobs = try Counter(name: "jobs", help: "Jobs \"run\".\nSecond line \\ here.", registry: registry)
        jobs.inc()
        try jobs.inc(by: 2.5)
        let requests = try Counter(
            name: "http_requests", help: "Requests.", labelNames: ["route", "code", "a"], registry: registry)
        try requests.labels("/", "200", "x").inc(by: 1_234_567)
        try requests.labels("/a \"quoted\" \\ value\nline", "500", "").inc(by: 0.1 + 0.2)
        try requests.labels("e\u{301}", "200", "\u{e9}").inc(by: 3, exemplar: ["trace_id": "abc"])
        try requests.labels("\u{e9}", "200", "e\u{301}").inc()
        let temperature = try Gauge(
            name: "temperature", help: "T.", labelNames: ["room"], unit: "celsius", registry: registry)
        try temperature.labels("kitchen").set(21.5)
        try temperature.labels("cellar").set(-1e-7)
        try temperature.labels("attic").set(Double.nan)
        try temperature.labels("oven").set(Double.infinity)
        try temperature.labels("sun").set(5_778_000_000)
        try temperature.labels("callback").setFunction { 42 }
        let latest = try Gauge(name: "latest", help: "L.", multiprocessMode: .mostrecent, registry: registry)
        latest.set(1_700_000_000.123456)
        let latency = try Histogram(
            name: "latency_seconds", help: "Latency.", labelNames: ["method", "zone", "a"],
            buckets: [0.005, 0.1, 1, 2.5], registry: registry)
        for value in [0.001, 0.05, 0.5, 2, 7] { try latency.labels("GET", "eu", "1").observe(value) }
        try latency.labels("POST", "us", "2").observe(0.2, exemplar: ["trace_id": "t\"1"])
        let wait = try Histogram(name: "wait_seconds", help: "W.", buckets: [-1, 0, 1], registry: registry)
        wait.observe(-0.5)
        let onlyZone = try Histogram(
            name: "zone_seconds", help: "Z.", labelNames: ["zone"], buckets: [1], registry: registry)
        try onlyZone.labels("a").observe(0.5)
        let size = try Summary(
            name: "size_bytes", help: "Sizes.", labelNames: ["kind"], unit: "bytes", registry: registry)
        try size.labels("body").observe(512)
        try size.labels("head").observe(1.5)
        _ = try Counter(name: "unused", help: "No children yet.", labelNames: ["x"], registry: registry)
        let build = try Info(name: "build", help: "Build.", registry: registry)
        try build.info(["version": "1.2.3"])
        let state = try Enum(name: "phase", help: "Phase.", states: ["starting", "running"], registry: registry)
        try state.state("running")
        let dotted = try Gauge(name: "my.dotted", help: "UTF-8 name.", labelNames: ["label.name"], registry: registry)
        try dotted.labels("v").set(1)
        try registry.register(TwoFamilies())
        return registry
    }

    static let formats: [ExpositionFormat] = [.prometheusText004, .prometheusText100, .openMetrics100, .openMetrics200]

    @Test(arguments: [true, false])
    func renderingEqualsTheSamplePathInEveryFormatAndEscaping(created: Bool) throws {
        let registry = try Self.fixedRegistry()
        do {
            for format in Self.formats {
                for escaping in NameEscapingScheme.allCases {
                    let expected = Exposition.render(
                        registry.collect(createdSeries: created).families, as: format, escaping: escaping)
                    var bytes: [UInt8] = []
                    let failures = registry.render(as: format, escaping: escaping, createdSeries: created, into: &bytes)
                    #expect(failures.isEmpty)
                    #expect(
                        String(decoding: bytes, as: UTF8.self) == String(decoding: expected, as: UTF8.self),
                        "\(format) \(escaping)")
                    try #require(bytes == expected)
                }
            }
        }
    }

    /// Children are written in chunks of room reserved at once; exemplars around and on the chunk
    /// boundaries take the line-by-line path.
    static func largeRegistry() throws -> CollectorRegistry {
        let registry = CollectorRegistry()
        let requests = try Counter(name: "requests", help: "R.", labelNames: ["route", "code"], registry: registry)
        let latency = try Histogram(
            name: "latency_seconds", help: "L.", labelNames: ["zone", "b_route"], buckets: [0.1, 1], registry: registry)
        let depth = try Gauge(name: "depth", help: "D.", labelNames: ["queue"], registry: registry)
        for index in 0..<700 {
            let child = try requests.labels("/r/\(index)", index % 2 == 0 ? "200" : "5\"0\"0")
            if [0, 255, 256, 257, 511, 512, 699].contains(index) {
                try child.inc(by: Double(index), exemplar: ["trace_id": "t\(index)"])
            } else {
                try child.inc(by: Double(index) + 0.5)
            }
            let histogram = try latency.labels("zone \(index % 3)", "/r/\(index)")
            if index % 256 == 0 {
                try histogram.observe(0.5, exemplar: ["trace_id": "h\(index)"])
            } else {
                histogram.observe(Double(index) / 100)
            }
            try depth.labels("q\n\(index)").set(Double(index) * 0.37)
        }
        return registry
    }

    @Test func familiesOfManyChildrenRenderAsTheSamplePath() throws {
        let registry = try Self.largeRegistry()
        do {
            for format in Self.formats {
                for escaping in [NameEscapingScheme.underscores, .dots] {
                    var bytes: [UInt8] = []
                    registry.render(as: format, escaping: escaping, createdSeries: true, into: &bytes)
                    try #require(
                        bytes
                            == Exposition.render(
                                registry.collect(createdSeries: true).families, as: format, escaping: escaping),
                        "\(format) \(escaping)")
                }
            }
        }
    }

    @Test func childrenRemovedAndAddedAgainRenderAsTheSamplePath() throws {
        let registry = CollectorRegistry()
        let requests = try Counter(name: "requests", help: "R.", labelNames: ["route"], registry: registry)
        for index in 0..<300 { try requests.labels("/r/\(index)").inc(by: Double(index)) }
        try requests.remove("/r/7")
        try requests.remove(matching: ["route": "/r/250"])
        try requests.labels("/r/7").inc()
        var bytes: [UInt8] = []
        do {
            registry.render(as: .openMetrics100, createdSeries: true, into: &bytes)
            try #require(
                bytes == Exposition.render(registry.collect(createdSeries: true).families, as: .openMetrics100))
        }
        requests.clear()
        try requests.labels("again").inc()
        do {
            registry.render(as: .prometheusText004, createdSeries: true, into: &bytes)
            #expect(bytes == Exposition.render(registry.collect(createdSeries: true).families, as: .prometheusText004))
        }
    }

    @Test func renderingReplacesTheContentsOfAReusedArray() throws {
        let registry = try Self.fixedRegistry()
        do {
            let expected = Exposition.render(registry.collect(createdSeries: true).families, as: .openMetrics100)
            var bytes = [UInt8](repeating: UInt8(ascii: "x"), count: 100_000)
            registry.render(as: .openMetrics100, createdSeries: true, into: &bytes)
            #expect(bytes == expected)
            let capacity = bytes.capacity
            registry.render(as: .openMetrics100, createdSeries: true, into: &bytes)
            #expect(bytes == expected)
            #expect(bytes.capacity == capacity)
        }
    }

    @Test func aReusedArrayThatHoldsTheExpositionKeepsItsStorage() throws {
        let registry = try Self.fixedRegistry()
        var bytes: [UInt8] = []
        registry.render(as: .prometheusText004, createdSeries: true, into: &bytes)
        let storage = bytes.withUnsafeBytes { $0.baseAddress }
        for _ in 0..<3 {
            registry.render(as: .prometheusText004, createdSeries: true, into: &bytes)
            #expect(bytes.withUnsafeBytes { $0.baseAddress } == storage)
        }
    }

    @Test func aCollectorThatThrowsIsReportedAndTheOthersServed() throws {
        let registry = CollectorRegistry()
        let jobs = try Counter(name: "jobs", help: "Jobs.", registry: registry)
        jobs.inc()
        try registry.register(Failing())
        var bytes: [UInt8] = []
        let failures = registry.render(as: .prometheusText004, createdSeries: false, into: &bytes)
        #expect(failures.count == 1)
        #expect(
            String(decoding: bytes, as: UTF8.self)
                == "# HELP jobs_total Jobs.\n# TYPE jobs_total counter\njobs_total 1.0\n")
    }

    @Test func labelledLinesAreWrittenWithLabelsInByteOrder() throws {
        let registry = CollectorRegistry()
        let latency = try Histogram(
            name: "latency_seconds", help: "L.", labelNames: ["zone", "a"], buckets: [1], registry: registry)
        try latency.labels("eu", "x").observe(0.5)
        var bytes: [UInt8] = []
        _ = registry.render(as: .prometheusText004, createdSeries: false, into: &bytes)
        #expect(
            String(decoding: bytes, as: UTF8.self) == """
                # HELP latency_seconds L.
                # TYPE latency_seconds histogram
                latency_seconds_bucket{a="x",le="1.0",zone="eu"} 1.0
                latency_seconds_bucket{a="x",le="+Inf",zone="eu"} 1.0
                latency_seconds_count{a="x",zone="eu"} 1.0
                latency_seconds_sum{a="x",zone="eu"} 0.5

                """)
    }
}

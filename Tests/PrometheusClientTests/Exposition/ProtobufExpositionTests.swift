import Foundation
import PrometheusTestSupport
import Testing

@testable import PrometheusClient

/// The Prometheus protobuf exposition: the wire format on known bytes, the round trip through our
/// decoder for every type, hostile bytes, negotiation with the Accept headers Prometheus sends (a
/// real Prometheus ingesting what we write is in PrometheusServingTests).
@Suite("Protobuf exposition")
struct ProtobufExpositionTests {
    static let created = Timestamp(seconds: 1_700_000_000, nanoseconds: 250_000_000)

    static func everyType() -> [MetricFamily] {
        let exemplar = Exemplar(
            labels: [Label("trace_id", "abc")], value: 0.3, timestamp: Timestamp(seconds: 1_700_000_100, nanoseconds: 5)
        )
        let native = NativeHistogram(
            count: 6, sum: -0.5, schema: 3, zeroThreshold: 1e-128, zeroCount: 1,
            positiveSpans: [.init(offset: -2, length: 2), .init(offset: 3, length: 1)],
            negativeSpans: [.init(offset: 1, length: 1)], positiveDeltas: [1, 1, -1], negativeDeltas: [1],
            exemplars: [exemplar])
        return [
            MetricFamily(
                name: "requests", help: "Requests.", type: .counter,
                samples: [
                    Sample(name: "requests_total", labels: [Label("code", "200")], value: 7, exemplar: exemplar),
                    Sample(name: "requests_created", labels: [Label("code", "200")], value: created.unixSeconds),
                    Sample(name: "requests_total", labels: [Label("code", "500")], value: 1),
                ]),
            MetricFamily(
                name: "temperature", help: "T.", type: .gauge, unit: "celsius",
                samples: [
                    Sample(
                        name: "temperature", labels: [Label("room", "a \"b\"\n")], value: -3.5,
                        timestamp: Timestamp(seconds: 1_700_000_000, nanoseconds: 123_000_000))
                ]),
            MetricFamily(
                name: "rpc", help: "", type: .summary,
                samples: [
                    Sample(name: "rpc", labels: [Label("quantile", "0.5")], value: 0.2),
                    Sample(name: "rpc", labels: [Label("quantile", "0.99")], value: 0.9),
                    Sample(name: "rpc_count", value: 10),
                    Sample(name: "rpc_sum", value: 3),
                    Sample(name: "rpc_created", value: created.unixSeconds),
                ]),
            MetricFamily(
                name: "latency", help: "L.", type: .histogram,
                samples: [
                    Sample(name: "latency", labels: [Label("route", "/")], value: 0, nativeHistogram: native),
                    Sample(
                        name: "latency_bucket", labels: [Label("route", "/"), Label("le", "0.5")], value: 4,
                        exemplar: exemplar),
                    Sample(name: "latency_bucket", labels: [Label("route", "/"), Label("le", "+Inf")], value: 6),
                    Sample(name: "latency_count", labels: [Label("route", "/")], value: 6),
                    Sample(name: "latency_sum", labels: [Label("route", "/")], value: -0.5),
                    Sample(name: "latency_created", labels: [Label("route", "/")], value: created.unixSeconds),
                ]),
            MetricFamily(
                name: "queue", help: "Q.", type: .gaugeHistogram,
                samples: [
                    Sample(name: "queue_bucket", labels: [Label("le", "1.0")], value: 1.5),
                    Sample(name: "queue_bucket", labels: [Label("le", "+Inf")], value: 2.5),
                    Sample(name: "queue_gcount", value: 2.5),
                    Sample(name: "queue_gsum", value: 4),
                ]),
            MetricFamily(name: "mystery", help: "?", type: .unknown, samples: [Sample(name: "mystery", value: 42)]),
        ]
    }

    @Test("varints, zig-zag and a whole gauge family are the bytes the format defines")
    func wireBytesAreTheFormats() throws {
        var writer = ProtobufWire.Writer()
        writer.appendVarint(300)
        #expect(writer.bytes == [0xAC, 0x02])
        #expect(ProtobufWire.zigZag(-1) == 1 && ProtobufWire.zigZag(1) == 2 && ProtobufWire.zigZag(-64) == 127)
        #expect(ProtobufWire.unZigZag(ProtobufWire.zigZag(.min)) == .min)
        let family = MetricFamily(name: "up", help: "", type: .gauge, samples: [Sample(name: "up", value: 1)])
        let bytes = Exposition.render([family], as: .prometheusProtobuf)
        // length 19; name "up"; type GAUGE; metric { gauge { value 1.0 } }
        #expect(
            bytes == [
                0x13, 0x0A, 0x02, 0x75, 0x70, 0x18, 0x01, 0x22, 0x0B, 0x12, 0x09, 0x09, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F,
            ])
        #expect(try ProtobufParser.parse(bytes) == [family])
    }

    @Test("every type survives the round trip through our decoder")
    func everyTypeRoundTrips() throws {
        let families = Self.everyType()
        let decoded = try ProtobufParser.parse(Exposition.render(families, as: .prometheusProtobuf))
        let byName = Dictionary(uniqueKeysWithValues: decoded.map { ($0.name, $0) })
        for family in families {
            let other = try #require(byName[family.name], "\(family.name) missing")
            #expect(other.type == family.type && other.help == family.help && other.unit == family.unit)
            // Labels come back sorted by name, as the writer puts them.
            func canonical(_ samples: [Sample]) -> [Sample] {
                samples.map { sample in
                    var copy = sample
                    copy.labels.sort { $0.name < $1.name }
                    return copy
                }.sorted { "\($0.name)\($0.labels)" < "\($1.name)\($1.labels)" }
            }
            #expect(canonical(other.samples) == canonical(family.samples), "\(family.name)")
        }
    }

    @Test("info and state sets are gauges in the format, as Prometheus reads them from OpenMetrics")
    func infoAndStateSetsBecomeGauges() throws {
        let families = [
            MetricFamily(
                name: "build", help: "B.", type: .info,
                samples: [Sample(name: "build_info", labels: [Label("v", "1")], value: 1)]),
            MetricFamily(
                name: "phase", help: "P.", type: .stateSet,
                samples: [
                    Sample(name: "phase", labels: [Label("phase", "a")], value: 1),
                    Sample(name: "phase", labels: [Label("phase", "b")], value: 0),
                ]),
        ]
        let decoded = try ProtobufParser.parse(Exposition.render(families, as: .prometheusProtobuf))
        #expect(decoded.map(\.name) == ["build_info", "phase"])
        #expect(decoded.allSatisfy { $0.type == .gauge })
        #expect(decoded[0].samples == [Sample(name: "build_info", labels: [Label("v", "1")], value: 1)])
        #expect(decoded[1].samples.count == 2)
    }

    @Test("the registry's protobuf output is the protobuf of its collected families")
    func registryRendersProtobufFromCollectedFamilies() throws {
        let registry = CollectorRegistry()
        let counter = try Counter(name: "jobs", help: "Jobs.", labelNames: ["kind"], registry: registry)
        try counter.labels("a").inc(by: 2, exemplar: ["trace_id": "t1"])
        let histogram = try Histogram(name: "work_seconds", help: "W.", buckets: [0.1, 1], registry: registry)
        histogram.observe(0.5)
        var bytes: [UInt8] = []
        registry.render(as: .prometheusProtobuf, into: &bytes)
        #expect(bytes == Exposition.render(registry.collect().families, as: .prometheusProtobuf))
        let decoded = try ProtobufParser.parse(bytes)
        let total = decoded.first { $0.name == "jobs" }?.samples.first { $0.name == "jobs_total" }
        #expect(total?.value == 2)
        #expect(total?.exemplar?.labels == [Label("trace_id", "t1")])
        #expect(
            decoded.first { $0.name == "work_seconds" }?.samples.contains { $0.name == "work_seconds_created" } == true)
    }

    @Test("truncated and random bytes give a typed error, never a crash")
    func hostileBytesGiveTypedErrors() throws {
        let families = Self.everyType().sorted { $0.name < $1.name }
        let bytes = Exposition.render(families, as: .prometheusProtobuf)
        // A cut between two families is a shorter valid stream; every other cut is an error.
        var boundaries = Set<Int>()
        var end = 0
        for family in families {
            end += Exposition.render([family], as: .prometheusProtobuf).count
            boundaries.insert(end)
        }
        for cut in stride(from: 1, to: bytes.count, by: 3) where !boundaries.contains(cut) {
            #expect(throws: ProtobufParseError.self) { _ = try ProtobufParser.parse(Array(bytes.prefix(cut))) }
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<3000 {
            var mutated = bytes
            for _ in 0..<4 {
                mutated[Int.random(in: 0..<mutated.count, using: &generator)] = .random(in: 0...255, using: &generator)
            }
            _ = try? ProtobufParser.parse(mutated)
        }
        #expect(throws: ProtobufParseError.self) { _ = try ProtobufParser.parse([0x05, 0x0A, 0xFF]) }
    }

    @Test(
        "Prometheus' Accept headers choose the format",
        arguments: [
            (
                "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3,*/*;q=0.1",
                ExpositionFormat.prometheusProtobuf
            ),
            (
                "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
                .openMetrics100
            ),
            (
                "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text",
                .prometheusText004
            ),
            ("application/vnd.google.protobuf;proto=other.Message;encoding=delimited", .prometheusText004),
            (
                "text/plain;version=0.0.4;q=0.9,application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.5",
                .prometheusText004
            ),
        ])
    func acceptHeadersChooseTheFormat(accept: String, format: ExpositionFormat) {
        let negotiated = ContentNegotiation.negotiate(accept: accept)
        #expect(negotiated.format == format)
        if format == .prometheusProtobuf {
            #expect(
                negotiated.contentType
                    == "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited; "
                    + "escaping=underscores")
        }
    }
}

/// A collector that serves fixed families.
final class FixedFamilies: Collector, @unchecked Sendable {
    let families: [MetricFamily]
    init(_ families: [MetricFamily]) { self.families = families }
    func collect() throws -> [MetricFamily] { families }
}

/// The native-histogram text of the Python client's OpenMetrics 2.0 draft, which 0.25 and 0.26 serve
/// under `version=2.0.0`: our OpenMetrics parser reads it, including what Python's own reader cannot.
@Suite("Native histogram text of the Python draft")
struct NativeHistogramTextTests {
    static let histogram = NativeHistogram(
        count: 24, sum: 0.13, schema: 3, zeroThreshold: 1e-128, zeroCount: 4,
        positiveSpans: [.init(offset: -2, length: 2), .init(offset: 1, length: 2)],
        negativeSpans: [.init(offset: 0, length: 1)], positiveDeltas: [2, 1, -3, 0], negativeDeltas: [1],
        exemplars: [
            Exemplar(
                labels: [Label("trace_id", "KOO5S4vxi0o")], value: 0.67,
                timestamp: Timestamp(seconds: 1_520_879_607, nanoseconds: 789_000_000))
        ])

    @Test("the Python client's draft text reads back as the histogram it wrote")
    func pythonsDraftReadsBack() throws {
        let family = MetricFamily(
            name: "hist", help: "Is a basic example of a native histogram", type: .histogram,
            samples: [Sample(name: "hist", labels: [Label("route", "/")], value: 0, nativeHistogram: Self.histogram)])
        let script = """
            from prometheus_client.core import Metric
            from prometheus_client.samples import BucketSpan, Exemplar, NativeHistogram, Sample, Timestamp
            from prometheus_client.registry import CollectorRegistry
            from prometheus_client.openmetrics.exposition import generate_latest
            import sys
            class Native:
                def collect(self):
                    m = Metric("hist", "Is a basic example of a native histogram", "histogram")
                    nh = NativeHistogram(24, 0.13, 3, 1e-128, 4,
                        pos_spans=(BucketSpan(-2, 2), BucketSpan(1, 2)), neg_spans=(BucketSpan(0, 1),),
                        pos_deltas=(2, 1, -3, 0), neg_deltas=(1,),
                        nh_exemplars=[Exemplar({"trace_id": "KOO5S4vxi0o"}, 0.67, Timestamp(1520879607, 789000000))])
                    m.samples.append(Sample("hist", {"route": "/"}, None, None, None, nh))
                    yield m
            registry = CollectorRegistry()
            registry.register(Native())
            sys.stdout.write(generate_latest(registry, version="2.0.0").decode())
            """
        let python = try ExternalTool.runPython(script)
        #expect(python.contains("positive_deltas:"))
        #expect(try OpenMetricsParser.parse(python) == [family])
    }

    @Test("our reader takes a fractional sum and negative span offsets, which Python's drops or refuses")
    func readerTakesWhatPythonCannot() throws {
        let text = """
            # HELP hist H.
            # TYPE hist histogram
            hist {count:24,sum:0.13,schema:3,zero_threshold:1e-128,zero_count:4,negative_spans:[0:1],\
            negative_deltas:[1],positive_spans:[-2:2,1:2],positive_deltas:[2,1,-3,0]} \
            # {trace_id="KOO5S4vxi0o"} 0.67 1520879607.789
            # EOF

            """
        let parsed = try OpenMetricsParser.parse(text)
        #expect(parsed.first?.samples.first?.nativeHistogram == Self.histogram)
        // Python 0.25's parser fails on the same text (it reads the sum as an integer); 0.26 reads
        // the sum but drops the positive spans, whose first offset is negative.
        let script = """
            import sys
            from prometheus_client.openmetrics.parser import text_string_to_metric_families
            try:
                families = list(text_string_to_metric_families(sys.stdin.read()))
                print(families[0].samples[0].native_histogram.pos_spans)
            except Exception as error:
                print("failed")
            """
        let python = try ExternalTool.runPython(script, input: Data(text.utf8))
        #expect(python == (ExternalTool.pythonClientVersion == "0.25.0" ? "failed\n" : "None\n"))
    }

    @Test(
        "malformed native histograms are typed errors",
        arguments: [
            "{count:1,sum:1,schema:0,zero_threshold:0}",
            "{count:1,sum:1,schema:9,zero_threshold:0,zero_count:0}",
            "{count:1,sum:1,schema:0,zero_threshold:0,zero_count:0,positive_spans:[0:2],positive_deltas:[1]}",
            "{count:1,sum:1,schema:0,zero_threshold:0,zero_count:0,positive_spans:[0:1,-1:1],positive_deltas:[1,0]}",
            "{count:1,sum:1,schema:0,zero_threshold:0,zero_count:0,positive_spans:[0:1],positive_deltas:[-1]}",
            "{count:-1,sum:1,schema:0,zero_threshold:0,zero_count:0}",
            "{count:1,count:1,sum:1,schema:0,zero_threshold:0,zero_count:0}",
            "{count:1,sum:1,schema:0,zero_threshold:0,zero_count:0,colour:3}",
            "{count:1,sum:1,schema:0,zero_threshold:0,zero_count:0",
        ])
    func malformedNativeHistogramsAreErrors(value: String) {
        #expect(throws: ParseError.self) {
            try OpenMetricsParser.parse("# TYPE h histogram\nh \(value)\n# EOF\n")
        }
    }
}

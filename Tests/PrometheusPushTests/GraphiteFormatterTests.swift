import Foundation
import PrometheusTestSupport
import Testing

@testable import PrometheusClient
@testable import PrometheusPush

@Suite("Graphite line format")
struct GraphiteFormatterTests {
    static let families: [MetricFamily] = [
        MetricFamily(
            name: "my.requests", help: "h", type: .counter,
            samples: [
                Sample(
                    name: "my.requests_total", labels: [Label("method", "get"), Label("end point", "/a/b")], value: 1),
                Sample(
                    name: "my.requests_created", labels: [Label("method", "get"), Label("end point", "/a/b")],
                    value: 1_700_000_000.25),
            ]),
        MetricFamily(
            name: "temp", help: "h", type: .gauge,
            samples: [
                Sample(name: "temp", labels: [Label("zone", "é😀"), Label("Zeta", "x;y=z")], value: 0.1 + 0.2),
                Sample(name: "temp", labels: [Label("zone", "b")], value: 1e22),
                Sample(name: "temp", labels: [Label("zone", "c")], value: -.infinity),
                Sample(name: "temp", labels: [Label("zone", "d")], value: .infinity),
                Sample(name: "temp", labels: [Label("zone", "e")], value: .nan),
                Sample(name: "temp", labels: [Label("zone", "f")], value: -0.0),
                Sample(name: "temp", labels: [Label("zone", "g")], value: 1_234_567),
                Sample(name: "temp", labels: [Label("zone", "h")], value: 1e-7),
            ]),
        MetricFamily(
            name: "lat", help: "h", type: .histogram,
            samples: [
                Sample(name: "lat_bucket", labels: [Label("le", "0.5")], value: 3),
                Sample(name: "lat_bucket", labels: [Label("le", "+Inf")], value: 4),
                Sample(name: "lat_count", value: 4),
                Sample(name: "lat_sum", value: 1.5),
            ]),
    ]

    /// What Python's GraphiteBridge sends for the same families, captured by a listener in the script.
    static func pythonLines(prefix: String, tags: Bool) throws -> String {
        let spec = families.map { family -> [Any] in
            [
                family.name, family.type.rawValue,
                family.samples.map { [$0.name, $0.labels.dictionary, $0.value.description] as [Any] },
            ]
        }
        let json = String(decoding: try JSONSerialization.data(withJSONObject: spec), as: UTF8.self)
        let script = """
            import json, socket, sys, threading
            from prometheus_client import CollectorRegistry
            from prometheus_client.bridge.graphite import GraphiteBridge
            from prometheus_client.metrics_core import Metric
            spec = json.loads(sys.argv[1])
            class Families:
                def collect(self):
                    for name, kind, samples in spec:
                        metric = Metric(name, 'h', kind)
                        for sample_name, labels, value in samples:
                            metric.add_sample(sample_name, labels, float(value))
                        yield metric
            registry = CollectorRegistry()
            registry.register(Families())
            server = socket.socket()
            server.bind(('127.0.0.1', 0))
            server.listen(1)
            received = []
            def serve():
                connection, _ = server.accept()
                data = b''
                while True:
                    chunk = connection.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                received.append(data)
            thread = threading.Thread(target=serve)
            thread.start()
            bridge = GraphiteBridge(('127.0.0.1', server.getsockname()[1]), registry=registry,
                                    _timer=lambda: 1700000000.7, tags=sys.argv[3] == '1')
            bridge.push(prefix=sys.argv[2])
            thread.join(10)
            sys.stdout.write(received[0].decode('ascii'))
            """
        return try ExternalTool.runPython(script, arguments: [json, prefix, tags ? "1" : "0"])
    }

    @Test("path form matches Python's GraphiteBridge byte for byte")
    func pathFormMatchesPython() throws {
        let ours = try GraphiteFormatter.lines(for: Self.families, prefix: "app.web-1", timestamp: 1_700_000_000)
        #expect(ours == (try Self.pythonLines(prefix: "app.web-1", tags: false)))
        #expect(ours.hasPrefix("app.web-1.my_requests_total.end_point._a_b.method.get 1.0 1700000000\n"))
    }

    @Test("tags form matches Python's GraphiteBridge byte for byte")
    func tagsFormMatchesPython() throws {
        let ours = try GraphiteFormatter.lines(for: Self.families, tags: true, timestamp: 1_700_000_000)
        #expect(ours == (try Self.pythonLines(prefix: "", tags: true)))
        #expect(ours.contains("\ntemp;Zeta=x_y_z;zone=__ 0.30000000000000004 1700000000\n"))
    }

    @Test("values print as Python's str(float)")
    func valuesPrintLikePython() {
        let values: [Double] = [
            1, 0.1 + 0.2, 1e22, 1e16, 1e15, 1e-5, 1_234_567, -2.5, .infinity, -.infinity, .nan, -0.0,
        ]
        let expected = [
            "1.0", "0.30000000000000004", "1e+22", "1e+16", "1000000000000000.0", "1e-05", "1234567.0", "-2.5", "inf",
            "-inf", "nan", "-0.0",
        ]
        #expect(values.map(GraphiteFormatter.formatValue) == expected)
    }

    @Test("a prefix that would break a line is rejected")
    func prefixWithWhitespaceIsRejected() {
        for prefix in ["a b", "a\nb", "ü"] {
            #expect(throws: GraphiteError.self) {
                try GraphiteFormatter.lines(for: Self.families, prefix: prefix, timestamp: 0)
            }
        }
    }
}

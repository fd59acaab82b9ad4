import Foundation
import PrometheusTestSupport

@testable import PrometheusClient

/// Expositions parsed by our parsers and by the Python client's, which must agree.
enum ParserCorpus {
    /// node_exporter-style text with untyped lines, comments, tabs, timestamps, escapes.
    static let nodeStyle = """
        # HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.
        # TYPE node_cpu_seconds_total counter
        node_cpu_seconds_total{cpu="0",mode="idle"} 12345.67
        node_cpu_seconds_total{cpu="0",mode="user"} 89.1
        # HELP node_load1 1m load average.
        # TYPE node_load1 gauge
        node_load1 0.42
        # A free-form comment
        # HELP node_filesystem_avail_bytes Filesystem space available.
        # TYPE node_filesystem_avail_bytes gauge
        node_filesystem_avail_bytes{device="/dev/vda1",fstype="ext4",mountpoint="/"}\t2.5e+10
        node_uname_info{machine="x86_64",release="6.1.0",version="#1 SMP \\"quoted\\" \\\\ x"} 1
        untyped_without_metadata 3 1700000000123
        # HELP rpc_duration_seconds RPC latency.
        # TYPE rpc_duration_seconds summary
        rpc_duration_seconds{quantile="0.5"} 0.01
        rpc_duration_seconds_sum 1.5
        rpc_duration_seconds_count 100
        # HELP http_request_duration_seconds Latency.
        # TYPE http_request_duration_seconds histogram
        http_request_duration_seconds_bucket{le="0.1"} 5
        http_request_duration_seconds_bucket{le="+Inf"} 7
        http_request_duration_seconds_sum 0.9
        http_request_duration_seconds_count 7
        # TYPE "my.utf8.metric" gauge
        {"my.utf8.metric","label.x"="ü"} -Inf

        """

    /// Prometheus's own /metrics style, with NaN and special values.
    static let prometheusStyle = """
        # HELP go_gc_duration_seconds A summary of the pause duration of garbage collection cycles.
        # TYPE go_gc_duration_seconds summary
        go_gc_duration_seconds{quantile="0"} 2.1e-05
        go_gc_duration_seconds{quantile="1"} NaN
        go_gc_duration_seconds_sum 0.0123
        go_gc_duration_seconds_count 42
        # HELP prometheus_build_info A metric with a constant '1' value.
        # TYPE prometheus_build_info gauge
        prometheus_build_info{branch="HEAD",goversion="go1.22"} 1

        """

    /// Our own renderings of the exposition fixture and of live metric types.
    static func ours(_ format: ExpositionFormat) throws -> [String] {
        let registry = CollectorRegistry()
        let counter = try Counter(name: "requests", help: "Requests.", labelNames: ["code"], registry: registry)
        try counter.labels("200").inc(by: 2, exemplar: ["trace_id": "abc"])
        let histogram = try Histogram(
            name: "latency", help: "L.", unit: "seconds", buckets: [0.1, 1], registry: registry)
        histogram.observe(0.5)
        _ = try Info(name: "app", help: "App.", registry: registry)
        _ = try Enum(name: "phase", help: "Phase.", states: ["a", "b"], registry: registry)
        return [
            Exposition.string(try ExpositionFixtures.families(), as: format),
            Exposition.string(registry.collect().families, as: format),
        ]
    }

    /// Python's reading of `text` as JSON-comparable rows: family name, type, unit, help, then each
    /// sample's name, sorted labels, value (repr) and timestamp (as a string).
    static func pythonRows(_ text: String, openMetrics: Bool) throws -> String {
        let module = openMetrics ? "prometheus_client.openmetrics.parser" : "prometheus_client.parser"
        return try ExternalTool.runPython(
            """
            import json, sys, math
            from \(module) import text_string_to_metric_families
            def num(v):
                v = float(v)
                return 'NaN' if math.isnan(v) else repr(v)
            rows = []
            for f in text_string_to_metric_families(sys.stdin.read()):
                rows.append(['family', f.name, f.type, f.unit, f.documentation])
                for s in f.samples:
                    ts = None if s.timestamp is None else '%.6f' % float(s.timestamp)
                    rows.append(['sample', s.name, sorted(s.labels.items()), num(s.value), ts])
            print(json.dumps(rows, ensure_ascii=False))
            """, input: Data(text.utf8))
    }

    /// Our families as the same rows.
    static func rows(_ families: [MetricFamily]) throws -> String {
        var rows: [[Any]] = []
        for family in families {
            rows.append(["family", family.name, family.type.rawValue, family.unit, family.help])
            for sample in family.samples {
                let labels = sample.labels.sorted { ByteIdentity.precedes($0.name, $1.name) }.map {
                    [$0.name, $0.value]
                }
                let value = sample.value.isNaN ? "NaN" : GoFloatFormat.pythonRepr(sample.value)
                let timestamp: Any = sample.timestamp.map { String(format: "%.6f", $0.unixSeconds) } ?? NSNull()
                rows.append([
                    "sample", sample.name, labels, value.replacingOccurrences(of: "inf", with: "inf"), timestamp,
                ])
            }
        }
        let data = try JSONSerialization.data(withJSONObject: rows, options: [.withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    /// Normalises both JSON texts to parsed objects for comparison.
    static func same(_ lhs: String, _ rhs: String) throws -> Bool {
        let left = try JSONSerialization.jsonObject(with: Data(lhs.utf8)) as? NSArray
        let right = try JSONSerialization.jsonObject(with: Data(rhs.utf8)) as? NSArray
        return left == right
    }
}

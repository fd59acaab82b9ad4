import Foundation
import PrometheusTestSupport

@testable import PrometheusClient

/// The same families built here and in Python (with the Python client's family classes), for
/// byte-for-byte comparisons of the writers. Registered in name order because the Python client
/// writes in registration order and ours sorts by name.
enum ExpositionFixtures {
    static let exemplarTime = Timestamp(seconds: 1_700_000_000, nanoseconds: 123_000_000)

    static func families() throws -> [MetricFamily] {
        var build = try InfoMetricFamily(name: "build", help: "Build information.")
        try build.addMetric([], info: ["version": "1.2.3", "commit": "abc"])

        var latency = try HistogramMetricFamily(
            name: "latency_seconds", help: "Latency.", labelNames: ["route"], unit: "seconds")
        try latency.addMetric(
            ["/"],
            buckets: [
                (0.1, 1, nil),
                (1, 3, Exemplar(labels: [Label("trace_id", "abc")], value: 0.5, timestamp: exemplarTime)),
                (.infinity, 4, nil),
            ], sum: 2.5)

        var utf8 = try GaugeMetricFamily(name: "my.metric", help: "A UTF-8 name.", labelNames: ["label.name"])
        try utf8.addMetric(["v"], value: 1)

        var queue = try GaugeMetricFamily(
            name: "queue", help: "Queue \"depth\".\nBackslash \\ here.", labelNames: ["name"])
        try queue.addMetric(["a \"quoted\" \\ value\nwith newline"], value: -2.5)
        try queue.addMetric(["nan"], value: .nan)
        try queue.addMetric(["inf"], value: .infinity)
        try queue.addMetric(["large"], value: 1e10)

        var requests = try CounterMetricFamily(name: "requests", help: "Requests.", labelNames: ["method", "code"])
        try requests.addMetric(
            ["GET", "200"], value: 3, created: 1_700_000_000.5,
            exemplar: Exemplar(labels: [Label("trace_id", "t1")], value: 1, timestamp: exemplarTime))
        try requests.addMetric(["POST", "500"], value: 1)

        var size = try SummaryMetricFamily(name: "size_bytes", help: "Sizes.", unit: "bytes")
        try size.addMetric([], count: 2, sum: 1024)

        var state = try StateSetMetricFamily(name: "state", help: "State.")
        try state.addMetric([], states: ["running": true, "stopped": false])

        var temperature = try UnknownMetricFamily(name: "temperature", help: "Temperature.")
        try temperature.addMetric(
            [], value: 21.5, timestamp: Timestamp(seconds: 1_700_000_000, nanoseconds: 250_000_000))

        var waiting = try GaugeHistogramMetricFamily(name: "waiting", help: "Waiting jobs.")
        try waiting.addMetric([], buckets: [(1, 2, nil), (.infinity, 5, nil)], sum: 7)

        return [
            build.family, latency.family, utf8.family, queue.family, requests.family, size.family, state.family,
            temperature.family, waiting.family,
        ]
    }

    /// Python code that builds `registry` with the same families.
    static let pythonRegistry = #"""
        from prometheus_client import CollectorRegistry
        from prometheus_client.core import (CounterMetricFamily, GaugeMetricFamily, GaugeHistogramMetricFamily,
            HistogramMetricFamily, InfoMetricFamily, StateSetMetricFamily, SummaryMetricFamily, UnknownMetricFamily)
        from prometheus_client.samples import Exemplar, Timestamp
        ts = Timestamp(1700000000, 123000000)
        class Fixed:
            def __init__(self, family): self.family = family
            def collect(self): return [self.family]
        build = InfoMetricFamily('build', 'Build information.', labels=[])
        build.add_metric([], {'version': '1.2.3', 'commit': 'abc'})
        latency = HistogramMetricFamily('latency_seconds', 'Latency.', labels=['route'], unit='seconds')
        latency.add_metric(['/'], [('0.1', 1), ('1.0', 3, Exemplar({'trace_id': 'abc'}, 0.5, ts)), ('+Inf', 4)], 2.5)
        utf8 = GaugeMetricFamily('my.metric', 'A UTF-8 name.', labels=['label.name'])
        utf8.add_metric(['v'], 1)
        queue = GaugeMetricFamily('queue', 'Queue "depth".\nBackslash \\ here.', labels=['name'])
        queue.add_metric(['a "quoted" \\ value\nwith newline'], -2.5)
        queue.add_metric(['nan'], float('nan'))
        queue.add_metric(['inf'], float('inf'))
        queue.add_metric(['large'], 1e10)
        requests = CounterMetricFamily('requests', 'Requests.', labels=['method', 'code'])
        requests.add_metric(['GET', '200'], 3, created=1700000000.5, exemplar=Exemplar({'trace_id': 't1'}, 1, ts))
        requests.add_metric(['POST', '500'], 1)
        size = SummaryMetricFamily('size_bytes', 'Sizes.', unit='bytes')
        size.add_metric([], 2, 1024)
        state = StateSetMetricFamily('state', 'State.', labels=[])
        state.add_metric([], {'running': True, 'stopped': False})
        temperature = UnknownMetricFamily('temperature', 'Temperature.', labels=[])
        temperature.add_metric([], 21.5, timestamp=Timestamp(1700000000, 250000000))
        waiting = GaugeHistogramMetricFamily('waiting', 'Waiting jobs.', labels=[])
        waiting.add_metric([], [('1.0', 2), ('+Inf', 5)], 7)
        registry = CollectorRegistry()
        for family in [build, latency, utf8, queue, requests, size, state, temperature, waiting]:
            registry.register(Fixed(family))
        """#
}

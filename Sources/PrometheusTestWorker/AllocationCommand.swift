import CAllocationCounter
import Foundation
import Glibc
import PrometheusClient
import PrometheusMultiprocess
import Synchronization

/// Renders registries of `series` series of each scaling type (text and OpenMetrics, with
/// `_created`) until the output array has grown, then counts the allocations of one more scrape of
/// each.
func runAllocations(series: Int) throws {
    let registry = CollectorRegistry()
    let counter = try Counter(name: "requests", help: "R.", labelNames: ["method", "route"], registry: registry)
    let gauge = try Gauge(name: "temperature", help: "T.", labelNames: ["room"], registry: registry)
    let histogram = try Histogram(name: "latency_seconds", help: "L.", labelNames: ["route"], registry: registry)
    for index in 0..<series {
        try counter.labels("GET", "/item/\(index)").inc(by: Double(index))
        try gauge.labels("room \(index)").set(Double(index) * 0.37)
        try histogram.labels("/item/\(index)").observe(Double(index % 7) * 0.1)
    }
    var bytes: [UInt8] = []
    for format in [ExpositionFormat.prometheusText004, .openMetrics100] {
        for _ in 0..<3 { registry.render(as: format, into: &bytes) }
        prometheus_reset_counted_allocations()
        prometheus_count_allocations(1)
        registry.render(as: format, into: &bytes)
        prometheus_count_allocations(0)
        print("\(format)=\(prometheus_counted_allocations()) bytes=\(bytes.count)")
    }
}

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

/// Scrapes a master's registry of `directory` (archiving on scrape, as by default) `scrapes` times
/// and prints, for each, its seconds and the process's peak resident memory so far (`VmHWM`, KiB):
/// what a hostile file costs a live master, measured in a process of its own.
func runScrapeCost(directory: String, scrapes: Int) throws {
    let registry = CollectorRegistry()
    try registry.register(MultiProcessCollector(path: directory))
    var bytes: [UInt8] = []
    for _ in 0..<scrapes {
        let started = Date()
        registry.render(as: .prometheusText004, into: &bytes)
        let seconds = Date().timeIntervalSince(started)
        print("seconds=\(seconds) peak=\(peakResidentKiB()) bytes=\(bytes.count)")
    }
}

/// `VmHWM` of `/proc/self/status`, in KiB (0 when it cannot be read).
private func peakResidentKiB() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }
    return 0
}

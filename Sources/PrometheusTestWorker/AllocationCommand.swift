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

/// Lowers the soft descriptor limit to `limit`, collects `directory` once, takes every descriptor
/// left, collects again, gives them back and collects a third time, printing the sum of the merged
/// sample values each time: a master that runs short of descriptors must still merge every file.
func runDescriptorPressure(directory: String, limit: Int) throws {
    var bounds = rlimit()
    let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    getrlimit(resource, &bounds)
    bounds.rlim_cur = rlim_t(limit)
    guard setrlimit(resource, &bounds) == 0 else { fail("setrlimit failed") }
    // The listing is reused only once the directory's modification time is 100 ms old: with no
    // descriptor left, a new listing could not be read.
    Thread.sleep(forTimeInterval: 0.2)
    let collector = try MultiProcessCollector(path: directory, lifecycle: .manual)
    func total() throws -> Double {
        try collector.collect().filter { $0.name == "pressure" }.flatMap(\.samples).reduce(0) { $0 + $1.value }
    }
    let before = try total()
    var taken: [Int32] = []
    while taken.count < 100_000 {
        let descriptor = open("/dev/null", O_RDONLY | O_CLOEXEC)
        if descriptor < 0 { break }
        taken.append(descriptor)
    }
    let pressed = try total()
    for descriptor in taken { close(descriptor) }
    let after = try total()
    print("taken=\(taken.count) before=\(before) pressed=\(pressed) after=\(after)")
}

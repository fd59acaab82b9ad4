import Foundation
import PrometheusClient

/// Memory per labelled child: how much the resident set grows when a metric gains `children` children
/// with distinct label values, divided by `children`. The children stay alive until every figure is
/// taken, so freed memory cannot be reused by the next figure.
enum MemoryBenchmarks {
    static func run(children: Int) throws -> [Measurement] {
        var keepAlive: [AnyObject] = []
        var results: [Measurement] = []
        func measure(_ name: String, _ create: () throws -> AnyObject) rethrows {
            let before = residentBytes()
            keepAlive.append(try create())
            results.append(Measurement(name: name, value: Double(residentBytes() - before) / Double(children)))
        }
        try measure("memory_counter_child_bytes") {
            let counter = try Counter(name: "memory_counter", help: "M.", labelNames: ["id"], registry: nil)
            for index in 0..<children { _ = try counter.labels(String(index)) }
            return counter
        }
        try measure("memory_gauge_child_bytes") {
            let gauge = try Gauge(name: "memory_gauge", help: "M.", labelNames: ["id"], registry: nil)
            for index in 0..<children { _ = try gauge.labels(String(index)) }
            return gauge
        }
        try measure("memory_histogram_child_bytes") {
            let histogram = try Histogram(name: "memory_histogram", help: "M.", labelNames: ["id"], registry: nil)
            for index in 0..<children { _ = try histogram.labels(String(index)) }
            return histogram
        }
        withExtendedLifetime(keepAlive) {}
        return results
    }

    /// The resident set size from /proc/self/statm (its second field, in pages).
    static func residentBytes() -> Int {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = statm.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}

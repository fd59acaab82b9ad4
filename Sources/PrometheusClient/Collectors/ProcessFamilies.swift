import PrometheusSystem

/// The process metric families, filled from one or more ``ProcessStatistics`` readings.
package struct ProcessFamilies {
    package private(set) var families: [MetricFamily]
    private let prefix: String

    package init(namespace: String) {
        prefix = namespace.isEmpty ? "process" : "\(namespace)_process"
        families = [
            MetricFamily(
                name: "\(prefix)_cpu_seconds", help: "Total user and system CPU time spent in seconds.", type: .counter,
                unit: "seconds"),
            MetricFamily(
                name: "\(prefix)_virtual_memory_bytes", help: "Virtual memory size in bytes.", type: .gauge,
                unit: "bytes"),
            MetricFamily(
                name: "\(prefix)_resident_memory_bytes", help: "Resident memory size in bytes.", type: .gauge,
                unit: "bytes"),
            MetricFamily(
                name: "\(prefix)_start_time_seconds", help: "Start time of the process since unix epoch in seconds.",
                type: .gauge, unit: "seconds"),
            MetricFamily(name: "\(prefix)_threads", help: "Number of OS threads in the process.", type: .gauge),
            MetricFamily(name: "\(prefix)_open_fds", help: "Number of open file descriptors.", type: .gauge),
            MetricFamily(name: "\(prefix)_max_fds", help: "Maximum number of open file descriptors.", type: .gauge),
        ]
    }

    /// Adds one process's values, with `labels` (empty for a single process, `pid` for workers).
    package mutating func add(_ statistics: ProcessStatistics, labels: [Label]) {
        let values: [Double?] = [
            statistics.cpuSeconds, statistics.virtualMemoryBytes, statistics.residentMemoryBytes,
            statistics.startTimeSeconds, statistics.threads, statistics.openFileDescriptors,
            statistics.maxFileDescriptors,
        ]
        for (index, value) in values.enumerated() {
            guard let value else { continue }
            let name = families[index].type == .counter ? families[index].name + "_total" : families[index].name
            families[index].samples.append(Sample(name: name, labels: labels, value: value))
        }
    }
}

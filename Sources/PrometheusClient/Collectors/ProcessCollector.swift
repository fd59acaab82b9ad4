import PrometheusSystem

/// Exposes a process's CPU time, memory, start time, threads and file descriptors from `/proc`, as the
/// Python client's process collector does: `process_cpu_seconds_total`, `process_virtual_memory_bytes`,
/// `process_resident_memory_bytes`, `process_start_time_seconds`, `process_threads`,
/// `process_open_fds` and `process_max_fds`.
///
/// Where `/proc` does not exist the collector produces nothing. Registered in
/// ``CollectorRegistry/default`` for the current process. For the workers of a multiprocess
/// deployment, see ``WorkerProcessCollector``.
public final class ProcessCollector: Collector {
    private let namespace: String
    private let pid: @Sendable () -> Int32
    private let procRoot: String

    /// Creates a collector and registers it.
    ///
    /// - Parameters:
    ///   - namespace: prefix for the metric names (`<namespace>_process_...`), or empty.
    ///   - pid: which process to describe, asked at every collection (nil: this process).
    ///   - procRoot: where procfs is mounted.
    ///   - registry: where to register; nil registers nowhere.
    /// - Throws: `RegistryError` when the names clash with registered metrics.
    public convenience init(
        namespace: String = "",
        pid: (@Sendable () -> Int32)? = nil,
        procRoot: String = "/proc",
        registry: CollectorRegistry? = nil
    ) throws(RegistryError) {
        self.init(unregisteredNamespace: namespace, pid: pid ?? { CurrentProcess.id }, procRoot: procRoot)
        try registry?.register(self)
    }

    init(unregisteredNamespace namespace: String, pid: @escaping @Sendable () -> Int32, procRoot: String) {
        self.namespace = namespace
        self.pid = pid
        self.procRoot = procRoot
    }

    /// The families this collector produces, without samples.
    public func describe() -> [MetricFamily]? {
        ProcessFamilies(namespace: namespace).families
    }

    /// Reads `/proc` now; nothing when the process or `/proc` is missing.
    public func collect() -> [MetricFamily] {
        guard let statistics = ProcessStatistics.read(pid: pid(), procRoot: procRoot) else { return [] }
        var families = ProcessFamilies(namespace: namespace)
        families.add(statistics, labels: [])
        return families.families
    }
}

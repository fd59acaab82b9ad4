import Glibc

/// Exposes the process metrics (CPU, memory, threads, file descriptors, start time) of every worker
/// process that writes into a multiprocess directory, labelled with its `pid`, from the master.
///
/// The Python client cannot do this: its workers' process collectors are never scraped. Here the
/// master, which runs on the same host, finds the workers from the `<type>_<pid>.db` file names and
/// reads `/proc/<pid>` for each live one; workers need no extra code, and nothing is written to the
/// shared files. Processes that are gone (or never lived on this host) are skipped.
///
/// ```swift
/// try registry.register(MultiprocessProcessCollector(path: directory))
/// ```
public final class MultiprocessProcessCollector: Collector {
    private let directory: MultiprocessDirectory
    private let namespace: String
    private let procRoot: String

    /// Creates a collector for `path`, or for `PROMETHEUS_MULTIPROC_DIR` when `path` is nil.
    ///
    /// - Throws: `MultiprocessError.invalidDirectory` when the directory is unusable.
    public init(path: String? = nil, namespace: String = "", procRoot: String = "/proc") throws(MultiprocessError) {
        if let path {
            directory = try MultiprocessDirectory(path: path, forWriting: false)
        } else {
            directory = try MultiprocessDirectory.fromEnvironment(forWriting: false)
        }
        self.namespace = namespace
        self.procRoot = procRoot
    }

    /// The process families, without samples.
    public func describe() -> [MetricFamily]? {
        ProcessFamilies(namespace: namespace).families
    }

    /// Reads `/proc` for every live worker found in the directory.
    public func collect() -> [MetricFamily] {
        var families = ProcessFamilies(namespace: namespace)
        for pid in workerProcessIDs() {
            guard let statistics = ProcessStatistics.read(pid: pid, procRoot: procRoot) else { continue }
            families.add(statistics, labels: [Label("pid", String(pid))])
        }
        return families.families.filter { !$0.samples.isEmpty }
    }

    /// The numeric process identifiers in the directory's file names, sorted.
    func workerProcessIDs() -> [Int32] {
        let listing = MultiProcessCollector.list(directory.path) ?? []
        let pids = Set(listing.compactMap { DBFileName(fileName: $0.name).flatMap { Int32($0.processIdentifier) } })
        return pids.sorted()
    }
}

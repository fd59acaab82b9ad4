import PrometheusClient
import PrometheusSystem
import Synchronization

/// Exposes the process metrics (CPU, memory, threads, file descriptors, start time) of every worker
/// process that writes into a multiprocess directory, labelled with its `pid`, from the master.
///
/// The Python client cannot do this: its workers' process collectors are never scraped. Here the
/// master, which runs on the same host, finds candidate workers in the `<type>_<pid>.db` file names
/// and reads `/proc/<pid>` for each. A pid in a file name is not enough: a stray `counter_1.db`
/// would export init's CPU time, and a dead worker's files name a pid the system may have given to
/// an unrelated process. So a process counts as a worker only when its memory maps (`/proc/<pid>/maps`)
/// hold one of the directory's files under its pid, which every live worker's do, Swift's and
/// Python's alike: they write through mappings. Verified workers are remembered with their start time,
/// so the maps are read once per worker, not per scrape. Reading another process's maps needs the
/// same user (or root), as reading its other `/proc` files does.
///
/// ```swift
/// try registry.register(WorkerProcessCollector(path: directory))
/// ```
public final class WorkerProcessCollector: Collector {
    private let directory: MultiprocessDirectory
    private let namespace: String
    private let procRoot: String
    /// Workers verified so far: pid → the start time they had then.
    private let verified = Mutex<[Int32: Double]>([:])

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

    /// Reads `/proc` for every live worker of the directory: one directory listing, three small
    /// `/proc` reads per worker, and one read of the maps of each worker not seen before.
    public func collect() -> [MetricFamily] {
        var families = ProcessFamilies(namespace: namespace)
        for pid in workerProcessIDs() {
            guard let statistics = ProcessStatistics.read(pid: pid, procRoot: procRoot) else { continue }
            families.add(statistics, labels: [Label("pid", String(pid))])
        }
        return families.families.filter { !$0.samples.isEmpty }
    }

    /// The pids of the live processes that write into the directory, sorted.
    func workerProcessIDs() -> [Int32] {
        let listing = (try? MultiprocessListing.read(directory.path)) ?? MultiprocessListing()
        var filesByProcess: [Int32: [(name: String, inode: UInt64)]] = [:]
        for file in listing.files {
            guard let name = DBFileName(fileName: file.name), let pid = Int32(name.processIdentifier), pid > 0 else {
                continue
            }
            filesByProcess[pid, default: []].append((file.name, file.inode))
        }
        var workers: [Int32] = []
        var known = verified.withLock { $0 }
        for (pid, files) in filesByProcess.sorted(by: { $0.key < $1.key }) {
            guard let start = ProcessStatistics.read(pid: pid, procRoot: procRoot)?.startTimeSeconds else { continue }
            if known[pid] != start {
                guard ProcessMaps.read(pid: pid, procRoot: procRoot)?.mapsAny(of: files) == true else { continue }
                known[pid] = start
            }
            workers.append(pid)
        }
        let candidates = Set(filesByProcess.keys)
        verified.withLock { $0 = known.filter { candidates.contains($0.key) } }
        return workers
    }
}

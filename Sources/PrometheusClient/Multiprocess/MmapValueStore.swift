import CPrometheusSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The value store of multiprocess mode: every series lives in this process's memory-mapped `.db`
/// files in the shared directory, byte-compatible with the Python client 0.25.0.
///
/// One file per storage kind and process: `counter_<pid>.db`, `gauge_<mode>_<pid>.db`,
/// `histogram_<pid>.db`, `summary_<pid>.db`, `gauge_liveinfo_<pid>.db` (Info) and
/// `gauge_livestateset_<pid>.db` (Enum). The store is only entered on slow paths (creating a series,
/// rebinding one after `fork()`), under one lock; the hot path writes through slot pointers.
///
/// When a file cannot be created or grown (full disk, file-size limit, permissions) the series gets
/// in-memory slots instead, the process keeps counting, one line goes to standard error per file and
/// cause, and the counter `prometheus_multiproc_storage_failures_total` goes up. Its entry is written
/// first into the process's counter file when the store creates its first file, so counting a
/// failure never needs new space.
final class MmapValueStore: ValueStore, @unchecked Sendable {
    /// Family name of the self-metric that counts series kept in memory because of a file failure.
    static let failureFamilyName = "prometheus_multiproc_storage_failures"
    /// Help text of the failure self-metric.
    static let failureHelp =
        "Series this process keeps in memory because its multiprocess file could not be created or grown."

    /// The shared directory.
    let directory: MultiprocessDirectory
    var isMultiprocess: Bool { true }

    private let fixedIdentifier: String?
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    // Everything below is guarded by `mutex`.
    private var processID: pid_t
    private var files: [String: MmapFile] = [:]
    private var liveSeries: [WeakSeries] = []
    private var liveSeriesCompactionThreshold = 64
    private var failureSlot: UnsafeMutablePointer<Double>?
    private var failureCount = 0
    private var loggedFailures = Set<String>()

    private struct WeakSeries {
        weak var series: SeriesStorage?
    }

    /// Creates a store writing into `directory`.
    ///
    /// - Parameter processIdentifier: a fixed identifier used in file names instead of the process
    ///   id (as Python's `MultiProcessValue(process_identifier)`), mainly for tests. It must not
    ///   contain `_` and must be unique among running processes. With it, a forked child keeps
    ///   writing under the same name, so it is meant for processes that do not fork.
    init(directory: MultiprocessDirectory, processIdentifier: String? = nil) {
        self.directory = directory
        fixedIdentifier = processIdentifier
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        processID = getpid()
        ForkHandler.register(self)
    }

    deinit {
        ForkHandler.unregister(self)
        for file in files.values {
            file.close()
        }
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Series kept in memory because of file failures since this store (or, after a fork, this
    /// process) started.
    var storageFailureCount: Int {
        withLock { failureCount }
    }

    /// The identifier in this process's file names.
    var processIdentifier: String {
        withLock { identifierLocked() }
    }

    /// The path of this process's file for `kind`.
    func filePath(for kind: StorageKind) -> String {
        withLock { directory.file(named: "\(Self.filePrefix(kind))_\(identifierLocked()).db") }
    }

    func makeSeries(_ descriptor: SeriesDescriptor) -> SeriesStorage {
        let series = SeriesStorage(descriptor: descriptor, store: self)
        withLock {
            rememberLocked(series)
            _ = bindLocked(series)
        }
        return series
    }

    func bind(_ series: SeriesStorage) -> SeriesBinding {
        withLock { bindLocked(series) }
    }

    /// The file name prefix of a storage kind, before `_<pid>.db`.
    static func filePrefix(_ kind: StorageKind) -> String {
        switch kind {
        case .counter: return "counter"
        case .gauge(let mode): return "gauge_\(mode.rawValue)"
        case .summary: return "summary"
        case .histogram: return "histogram"
        case .info: return "gauge_liveinfo"
        case .stateSet: return "gauge_livestateset"
        }
    }

    // MARK: - Under the lock

    private func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    private func identifierLocked() -> String {
        fixedIdentifier ?? String(processID)
    }

    private func rememberLocked(_ series: SeriesStorage) {
        if liveSeries.count >= liveSeriesCompactionThreshold {
            liveSeries.removeAll { $0.series == nil }
            liveSeriesCompactionThreshold = Swift.max(64, liveSeries.count * 2)
        }
        liveSeries.append(WeakSeries(series: series))
    }

    private func bindLocked(_ series: SeriesStorage) -> SeriesBinding {
        // Two threads of a forked child can both reach the slow path for one series.
        if series.isBound, let binding = series.currentBinding {
            return binding
        }
        let descriptor = series.descriptor
        let keys = descriptor.slots.map { slot in
            PythonJSONKey.encode(
                familyName: descriptor.familyName, sampleName: slot.sampleName, labels: slot.labels,
                help: descriptor.help)
        }
        let binding: SeriesBinding
        do {
            let file = try fileLocked(for: descriptor.kind)
            binding = SeriesBinding(pointers: try file.slots(for: keys))
        } catch {
            recordFailureLocked(error)
            binding = SeriesBinding(inMemorySlotCount: descriptor.slotCount)
        }
        series.install(binding)
        return binding
    }

    private func fileLocked(for kind: StorageKind) throws(MultiprocessError) -> MmapFile {
        if failureSlot == nil {
            // Best effort: without a counter file failures are still logged and counted in memory.
            try? prepareFailureCounterLocked()
        }
        return try openFileLocked(prefix: Self.filePrefix(kind))
    }

    private func openFileLocked(prefix: String) throws(MultiprocessError) -> MmapFile {
        if let file = files[prefix] {
            return file
        }
        let file = try MmapFile(path: directory.file(named: "\(prefix)_\(identifierLocked()).db"))
        files[prefix] = file
        return file
    }

    private func prepareFailureCounterLocked() throws(MultiprocessError) {
        let counterFile = try openFileLocked(prefix: Self.filePrefix(.counter))
        let key = PythonJSONKey.encode(
            familyName: Self.failureFamilyName, sampleName: Self.failureFamilyName + "_total", labels: [],
            help: Self.failureHelp)
        failureSlot = try counterFile.slots(for: [key])[0]
        if failureCount > 0 {
            prometheus_atomic_add_double(failureSlot!, Double(failureCount))
        }
    }

    private func recordFailureLocked(_ error: any Error) {
        failureCount += 1
        if let failureSlot {
            prometheus_atomic_add_double(failureSlot, 1)
        }
        let cause: String
        if case .fileFailure(let path, let operation, let code) = error as? MultiprocessError {
            cause = "\(path)\u{0}\(operation)\u{0}\(code)"
        } else {
            cause = "\(error)"
        }
        guard loggedFailures.insert(cause).inserted else { return }
        DiagnosticLog.write(
            "process \(processID) keeps metric values in memory (not visible to the master) because \(error)")
    }

    // MARK: - fork()

    /// Called by ``ForkHandler`` before `fork()`: no thread may be inside the store while the process
    /// is copied.
    func lockForFork() {
        pthread_mutex_lock(mutex)
    }

    /// Called by ``ForkHandler`` in the parent after `fork()`.
    func unlockAfterForkInParent() {
        pthread_mutex_unlock(mutex)
    }

    /// Called by ``ForkHandler`` in the child after `fork()`, single-threaded, with the lock held by
    /// this thread: drops every binding and the parent's files, so each series' next write binds it
    /// to the child's own files, starting from zero as in the Python client.
    func resetInForkedChild() {
        processID = getpid()
        for index in liveSeries.indices {
            liveSeries[index].series?.unbindAfterFork()
        }
        for file in files.values {
            file.close()
        }
        files.removeAll(keepingCapacity: true)
        failureSlot = nil
        failureCount = 0
        loggedFailures.removeAll(keepingCapacity: true)
        pthread_mutex_unlock(mutex)
    }
}

import CPrometheusSupport
import PrometheusSystem

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
/// failure never needs new space. A process that cannot create even its counter file counts its
/// failures in a ``StorageFailureMarker`` instead, an empty file whose name carries the count, which
/// the master adds to the same counter.
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
    private let mutex = ProcessMutex()
    // Everything below is guarded by `mutex`.
    private var processID: Int32
    private var files: [String: MmapFile] = [:]
    private var liveSeries: [WeakSeries] = []
    private var liveSeriesCompactionThreshold = 64
    private var failureSlot: UnsafeMutablePointer<Double>?
    private var failureCount = 0
    private var loggedFailures = Set<String>()
    /// The marker counting this process's failures when its counter file could not be created.
    private var failureMarker: StorageFailureMarker?
    /// Whether this process has cleaned up what an earlier process with its identifier left.
    private var cleanedUp = false

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
        processID = CurrentProcess.id
        ForkHandler.register(self)
    }

    deinit {
        ForkHandler.unregister(self)
        for file in files.values {
            file.close()
        }
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
        withLock { directory.file(named: DBFileName(kind: kind, processIdentifier: identifierLocked()).fileName) }
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

    // MARK: - Under the lock

    private func withLock<T>(_ body: () -> T) -> T {
        mutex.withLock(body)
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
            DBKey.encode(
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
        if !cleanedUp {
            cleanedUp = true
            removeLeftoversLocked()
        }
        if failureSlot == nil && failureMarker == nil {
            // Best effort: without a counter file failures go to a marker file.
            try? prepareFailureCounterLocked()
        }
        return try openFileLocked(kind)
    }

    private func openFileLocked(_ kind: StorageKind) throws(MultiprocessError) -> MmapFile {
        let prefix = kind.filePrefix
        if let file = files[prefix] {
            return file
        }
        let file = try MmapFile(name: DBFileName(kind: kind, processIdentifier: identifierLocked()), in: directory)
        files[prefix] = file
        return file
    }

    /// Deletes the temporary files an earlier process with this identifier left when it was killed
    /// while creating a file (the pid was reused; nothing of this process exists yet).
    private func removeLeftoversLocked() {
        let identifier = identifierLocked()
        let names = (try? DirectoryStream.entries(of: directory.path) { $0.last == UInt8(ascii: "p") }) ?? []
        for entry in names {
            guard let name = String(validating: entry.name, as: UTF8.self),
                DBFileName.isTemporaryFile(name, of: identifier)
            else { continue }
            try? FileSystem.removeIfPresent(directory.file(named: name))
        }
    }

    private func prepareFailureCounterLocked() throws(MultiprocessError) {
        let counterFile = try openFileLocked(.counter)
        let key = DBKey.encode(
            familyName: Self.failureFamilyName, sampleName: Self.failureFamilyName + "_total", labels: [],
            help: Self.failureHelp)
        failureSlot = try counterFile.slots(for: [key])[0]
        if failureCount > 0 {
            // Failures that neither a counter file nor a marker could record so far.
            prometheus_atomic_add_double(failureSlot!, Double(failureCount))
        }
    }

    private func recordFailureLocked(_ error: any Error) {
        failureCount += 1
        if let failureSlot {
            prometheus_atomic_add_double(failureSlot, 1)
        } else {
            updateFailureMarkerLocked()
        }
        let cause: String
        if case .fileFailure(let path, let operation, let code) = error as? MultiprocessError {
            cause = "\(path)\u{0}\(operation)\u{0}\(code.rawValue)"
        } else {
            cause = "\(error)"
        }
        guard loggedFailures.insert(cause).inserted else { return }
        CurrentProcess.writeToStandardError(
            "prometheus: process \(processID) keeps metric values in memory (not visible to the master) because \(error)"
        )
    }

    /// Writes the failure count into the marker's name: created empty the first time, renamed after,
    /// which needs no free blocks on the device.
    private func updateFailureMarkerLocked() {
        let next = StorageFailureMarker(
            processIdentifier: identifierLocked(),
            incarnation: failureMarker?.incarnation ?? String(UInt64.random(in: 1...UInt64.max), radix: 16),
            count: failureCount)
        let nextPath = directory.file(named: next.fileName)
        do {
            if let current = failureMarker {
                try FileSystem.rename(directory.file(named: current.fileName), to: nextPath)
            } else {
                let marker = try FileDescriptor.open(nextPath, .writeOnly, options: [.create, .exclusive])
                marker.close()
            }
            failureMarker = next
        } catch {
            // Nowhere to count it: it stays in failureCount, for a counter file created later.
        }
    }

    // MARK: - fork()

    /// Called by ``ForkHandler`` before `fork()`: no thread may be inside the store while the process
    /// is copied.
    func lockForFork() {
        mutex.lock()
    }

    /// Called by ``ForkHandler`` in the parent after `fork()`.
    func unlockAfterForkInParent() {
        mutex.unlock()
    }

    /// Called by ``ForkHandler`` in the child after `fork()`, single-threaded, with the lock held by
    /// this thread: drops every binding and the parent's files, so each series' next write binds it
    /// to the child's own files, starting from zero as in the Python client.
    func resetInForkedChild() {
        processID = CurrentProcess.id
        for index in liveSeries.indices {
            liveSeries[index].series?.unbindAfterFork()
        }
        for file in files.values {
            file.close()
        }
        files.removeAll(keepingCapacity: true)
        failureSlot = nil
        failureCount = 0
        failureMarker = nil
        cleanedUp = false
        loggedFailures.removeAll(keepingCapacity: true)
        mutex.unlock()
    }
}

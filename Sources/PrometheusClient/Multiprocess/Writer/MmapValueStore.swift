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
/// in-memory slots instead, the process keeps counting, and ``StorageFailureCounter`` counts and logs
/// it. Which identity the files are named after is ``WriterIdentityClaim``'s; gauge callbacks are
/// sampled by a ``GaugeCallbackSampler``.
final class MmapValueStore: ValueStore, @unchecked Sendable {
    /// The shared directory.
    let directory: MultiprocessDirectory
    var sharedDirectory: String? { directory.path }
    var nativeTableSource: (any NativeTableSource)? { self }

    let mutex = ProcessMutex()
    // Everything below is guarded by `mutex` (internal for the store's extensions in other files).
    let identity: WriterIdentityClaim
    let failures: StorageFailureCounter
    let sampler: GaugeCallbackSampler
    /// Series kept in memory because their file failed, and their way back (``StrandedSeries``).
    let stranded = StrandedSeries()
    /// The seconds between tries to move stranded series back into the files.
    let healInterval: Double
    /// The process whose thread retries stranded series: none after `fork()` until one is needed.
    var healerProcessID: Int32?
    var files: [String: MmapFile] = [:]
    /// The exemplar files (``ExemplarFileLayout``), by kind prefix.
    var exemplarFiles: [String: MmapFile] = [:]
    /// The native histogram file (``NativeBucketFileLayout``), once a series needs it.
    var nativeFile: MmapFile?
    /// Files that lost their names (their directory was deleted or replaced), kept mapped for the
    /// life of the store: a writer may have loaded a slot pointer into one an instant before its
    /// series moved, and a pointer handed out stays valid.
    var retiredFiles: [MmapFile] = []
    /// The directory the files are in (its identity and permissions), from the first file on.
    var watchedDirectory: FileStatus?
    /// When the directory was last checked, on the monotonic clock.
    var lastDirectoryCheck = -Double.infinity
    /// Whether files were found without their names at the last check, the directory still there.
    var lossSeen = false
    /// Whether a failure to make the directory or lost files again was logged.
    var loggedRelocationFailure = false
    var liveSeries: [WeakSeries] = []
    private var liveSeriesCompactionThreshold = 64
    /// Whether this process has cleaned up what an earlier process with its identifier left.
    var cleanedUp = false

    struct WeakSeries {
        weak var series: SeriesStorage?
    }

    /// Creates a store writing into `directory` under `identity` (see ``WriterIdentity``). A stable
    /// identity is claimed by ``claimStableIdentity()``, a pid at the first write. Gauge callbacks are
    /// sampled every `gaugeFunctionInterval()` seconds (by default the process's
    /// ``Multiprocess/gaugeFunctionInterval``); series kept in memory after a file failure are tried
    /// again every `healInterval` seconds.
    init(
        directory: MultiprocessDirectory, identity: WriterIdentity = .processID,
        gaugeFunctionInterval: @escaping @Sendable () -> Double = { Multiprocess.gaugeFunctionInterval },
        healInterval: Double = 1
    ) {
        self.directory = directory
        self.healInterval = healInterval
        sampler = GaugeCallbackSampler(interval: gaugeFunctionInterval)
        self.identity = WriterIdentityClaim(directory: directory, requested: identity, processID: CurrentProcess.id)
        failures = StorageFailureCounter(directory: directory)
        ForkHandler.register(self)
    }

    /// A store for tests: `processIdentifier` is claimed as a ``WriterIdentity/named(_:)`` identity at
    /// the first write (a failed claim falls back to the pid).
    convenience init(directory: MultiprocessDirectory, processIdentifier: String?, healInterval: Double = 1) {
        self.init(
            directory: directory, identity: processIdentifier.map { .named($0) } ?? .processID,
            healInterval: healInterval)
    }

    deinit {
        ForkHandler.unregister(self)
        closeFiles()
        identity.releaseLease()
    }

    /// Claims a stable identity now, so that a taken one is reported at start-up: its lease, then
    /// the predecessor's gauges and live files are dealt with (its counters, histograms and summaries
    /// are continued).
    ///
    /// - Throws: `MultiprocessError.identityInUse`, `.noFreeSlot`, `.invalidProcessIdentifier`, or
    ///   `.fileFailure` when the lease cannot be created.
    func claimStableIdentity() throws(MultiprocessError) {
        try mutex.withLock { () throws(MultiprocessError) in
            guard identity.claimedIdentifier == nil else { return }
            try identity.claimStable()
        }
    }

    /// Series kept in memory because of file failures since this store (or, after a fork, this
    /// process) started.
    var storageFailureCount: Int {
        withLock { failures.count }
    }

    /// Gives up the identity's lease while the store stays (what the end of the process does), so
    /// that masters judge this writer dead. For tests.
    func releaseLease() {
        withLock { identity.releaseLease() }
    }

    /// The identifier in this process's file names.
    var processIdentifier: String {
        withLock { identity.identifier }
    }

    /// The path of this process's file for `kind`.
    func filePath(for kind: StorageKind) -> String {
        withLock { directory.file(named: DBFileName(kind: kind, processIdentifier: identity.identifier).fileName) }
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

    func remove(_ series: SeriesStorage) {
        let now = WallClock.now()
        withLock {
            guard !series.isDetached else { return }
            series.isDetached = true
            if series.isBound, let binding = series.currentBinding, binding.isExternal {
                MmapFile.markRemoved((0..<series.slotCount).map { binding.table[$0] }, at: now)
            }
            series.exemplarSlots.removeAll()
            series.replaceBinding(with: SeriesBinding(inMemorySlotCount: series.slotCount))
            series.nativeRecorder?.detachLocked()
        }
    }

    func sampleFunction(of series: any SampledSeries) {
        withLock {
            sampler.addLocked(series)
            startSamplerLocked()
        }
        _ = series.storeCallbackValue()
    }

    /// Stores the current result of every sampled gauge's callback. The callbacks run outside the
    /// store's lock: they may create or update metrics themselves.
    func sampleFunctions() {
        for series in withLock({ sampler.currentLocked() }) {
            _ = series.storeCallbackValue()
        }
    }

    /// Starts this process's sampling thread when gauges need one and none runs in this process.
    /// The thread holds the store only while sampling, so it ends soon after the store goes.
    private func startSamplerLocked() {
        let reference = WeakStoreReference(self)
        do {
            try sampler.startIfNeededLocked(processID: identity.processID) { reference.sampleIfAlive() }
        } catch {
            PrometheusDiagnostics.report(
                .writer,
                "process \(identity.processID) cannot start the thread that samples gauge callbacks: \(error)")
        }
    }

    final class WeakStoreReference: @unchecked Sendable {
        weak var store: MmapValueStore?
        init(_ store: MmapValueStore) { self.store = store }

        /// Samples the store's gauges; false once the store is gone.
        func sampleIfAlive() -> Bool {
            guard let store else { return false }
            store.sampleFunctions()
            return true
        }

        /// Tries to move the store's stranded series back into its files; false once the store is
        /// gone or nothing is left to move or watch (the thread then ends, and the next series kept
        /// in memory starts another: decided under the lock, so none is left without one).
        func healIfAlive() -> Bool {
            guard let store else { return false }
            return store.withLock {
                let continues = store.maintainLocked()
                if !continues { store.healerProcessID = nil }
                return continues
            }
        }
    }

    func recordExemplar(_ exemplar: Exemplar, of series: SeriesStorage, at index: Int) {
        let labels = ExemplarFileLayout.encodeLabels(exemplar.labels)
        let timestamp = exemplar.timestamp?.unixSeconds ?? WallClock.now()
        withLock {
            // Only series whose values are in this process's files: their exemplars describe them.
            guard !series.isDetached, series.isBound, series.currentBinding?.isExternal == true else { return }
            let slot: UnsafeMutableRawPointer
            if let known = series.exemplarSlots[index], known.capacity >= labels.count {
                slot = known.slot
            } else {
                let descriptor = series.descriptor
                let target = descriptor.slots[index]
                let key = DBKey.encode(
                    familyName: descriptor.familyName, sampleName: target.sampleName, labels: target.labels,
                    help: descriptor.help)
                do throws(MultiprocessError) {
                    slot = try exemplarFileLocked(for: descriptor.kind).exemplarSlot(
                        for: key, labelBytes: labels.count)
                } catch {
                    recordFailureLocked(error)
                    return
                }
                series.exemplarSlots[index] = (
                    slot, Int(UInt32(littleEndian: slot.loadUnaligned(as: UInt32.self)))
                )
            }
            ExemplarFileLayout.write(value: exemplar.value, timestamp: timestamp, labels: labels, toSlot: slot)
        }
    }

    // MARK: - Under the lock

    func withLock<T>(_ body: () -> T) -> T {
        mutex.withLock(body)
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
        // A forked child's first slow path: its gauge callbacks need its own sampling thread.
        startSamplerLocked()
        if series.isDetached {
            let detached = SeriesBinding(inMemorySlotCount: series.slotCount)
            series.replaceBinding(with: detached)
            return detached
        }
        maintainLocked()
        let binding: SeriesBinding
        do {
            binding = try fileBindingLocked(for: series)
        } catch {
            recordFailureLocked(error)
            binding = SeriesBinding(inMemorySlotCount: series.slotCount)
        }
        series.install(binding)
        if binding.isExternal {
            series.nativeRecorder?.attachLocked()
        } else {
            stranded.add(series)
            startHealerLocked()
        }
        return binding
    }

    /// The slots of `series` in this process's file for its kind, made now when missing.
    ///
    /// - Throws: `MultiprocessError` when the file cannot be created or grown.
    func fileBindingLocked(for series: SeriesStorage) throws(MultiprocessError) -> SeriesBinding {
        let descriptor = series.descriptor
        let keys = descriptor.slots.map { slot in
            DBKey.encode(
                familyName: descriptor.familyName, sampleName: slot.sampleName, labels: slot.labels,
                help: descriptor.help)
        }
        let file = try fileLocked(for: descriptor.kind)
        let created = descriptor.kind.storesCreationTime ? WallClock.now() : 0
        return SeriesBinding(pointers: try file.slots(for: keys, initialTimestamp: created))
    }

    func fileLocked(for kind: StorageKind) throws(MultiprocessError) -> MmapFile {
        identity.claimIfNeeded()
        if !cleanedUp {
            cleanedUp = true
            removeLeftoversLocked()
        }
        if failures.needsCounter {
            // Best effort: without a counter file failures go to a marker file.
            if let counterFile = try? openFileLocked(.counter) {
                try? failures.attach(to: counterFile)
            }
        }
        let file = try openFileLocked(kind)
        // After the failure counter's entry: a new counter file is never seen without it for long.
        watchDirectoryLocked()
        return file
    }

    func recordFailureLocked(_ error: MultiprocessError) {
        failures.record(error, identifier: identity.identifier, processID: identity.processID)
    }

    /// This process's exemplar file for `kind`, opened or created on first use.
    private func exemplarFileLocked(for kind: StorageKind) throws(MultiprocessError) -> MmapFile {
        let prefix = kind.filePrefix
        if let file = exemplarFiles[prefix] {
            return file
        }
        let file = try MmapFile(
            companion: CompanionFileName(.exemplars, kind: kind, processIdentifier: identity.identifier),
            in: directory)
        exemplarFiles[prefix] = file
        return file
    }

    /// This process's native histogram file, opened or created on first use.
    func nativeFileLocked() throws(MultiprocessError) -> MmapFile {
        if let nativeFile { return nativeFile }
        let file = try MmapFile(
            companion: CompanionFileName(.nativeBuckets, kind: .histogram, processIdentifier: identity.identifier),
            in: directory)
        nativeFile = file
        return file
    }

    func openFileLocked(_ kind: StorageKind) throws(MultiprocessError) -> MmapFile {
        let prefix = kind.filePrefix
        if let file = files[prefix] {
            return file
        }
        let file = try MmapFile(name: DBFileName(kind: kind, processIdentifier: identity.identifier), in: directory)
        files[prefix] = file
        return file
    }

    /// Deletes the temporary files an earlier process with this identifier left when it was killed
    /// while creating a file (the pid was reused; nothing of this process exists yet).
    private func removeLeftoversLocked() {
        let identifier = identity.identifier
        let names = (try? MultiprocessListing.read(directory.path))?.temporaryFiles ?? []
        for name in names where DBFileName.isTemporaryFile(name, of: identifier) {
            try? FileSystem.removeIfPresent(directory.file(named: name))
        }
    }

    func closeFiles() {
        for file in files.values {
            file.close()
        }
        files.removeAll(keepingCapacity: true)
        for file in exemplarFiles.values {
            file.close()
        }
        exemplarFiles.removeAll(keepingCapacity: true)
        nativeFile?.close()
        nativeFile = nil
    }
}

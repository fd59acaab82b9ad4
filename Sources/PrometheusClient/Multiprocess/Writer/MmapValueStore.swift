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

    private let mutex = ProcessMutex()
    // Everything below is guarded by `mutex`.
    /// The identity asked for; a forked child of a stable identity's holder writes as its pid.
    private var identity: WriterIdentity
    /// The identity this process writes under, once claimed (at the first file, or at enable for
    /// stable identities), and the lease that holds it.
    private var claimedIdentifier: String?
    private var lease: WriterLease?
    private var loggedClaimFailure = false
    private var processID: Int32
    private var files: [String: MmapFile] = [:]
    /// The exemplar files (``ExemplarFileLayout``), by kind prefix.
    private var exemplarFiles: [String: MmapFile] = [:]
    /// The native histogram file (``NativeBucketFileLayout``), once a series needs it.
    private var nativeFile: MmapFile?
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

    private struct WeakGauge {
        weak var child: GaugeChild?
    }

    /// Gauges whose callbacks are sampled into the files, and the process whose sampling thread
    /// runs (none after `fork()`, until the child's first slow path starts its own).
    private var sampledGauges: [WeakGauge] = []
    private var samplerProcessID: Int32?

    /// Most `<pid>-<n>` identities tried before a writer gives up on a lease.
    static let maximumPidSuffixes = 64

    /// Creates a store writing into `directory` under `identity` (see ``WriterIdentity``). A stable
    /// identity is claimed by ``claimStableIdentity()``, a pid at the first write.
    init(directory: MultiprocessDirectory, identity: WriterIdentity = .processID) {
        self.directory = directory
        self.identity = identity
        processID = CurrentProcess.id
        ForkHandler.register(self)
    }

    /// A store for tests: `processIdentifier` is claimed as a ``WriterIdentity/named(_:)`` identity at
    /// the first write (a failed claim falls back to the pid).
    convenience init(directory: MultiprocessDirectory, processIdentifier: String?) {
        self.init(directory: directory, identity: processIdentifier.map { .named($0) } ?? .processID)
    }

    deinit {
        ForkHandler.unregister(self)
        for file in files.values {
            file.close()
        }
        for file in exemplarFiles.values {
            file.close()
        }
        nativeFile?.close()
        lease?.release()
    }

    /// Claims a stable identity now, so that a taken one is reported at start-up: its lease, then
    /// the predecessor's gauges and live files are dealt with (its counters, histograms and summaries
    /// are continued).
    ///
    /// - Throws: `MultiprocessError.identityInUse`, `.noFreeSlot`, `.invalidProcessIdentifier`, or
    ///   `.fileFailure` when the lease cannot be created.
    func claimStableIdentity() throws(MultiprocessError) {
        try mutex.withLock { () throws(MultiprocessError) in
            guard claimedIdentifier == nil else { return }
            try claimStableLocked()
        }
    }

    /// Series kept in memory because of file failures since this store (or, after a fork, this
    /// process) started.
    var storageFailureCount: Int {
        withLock { failureCount }
    }

    /// Gives up the identity's lease while the store stays (what the end of the process does), so
    /// that masters judge this writer dead. For tests.
    func releaseLease() {
        withLock {
            lease?.release()
            lease = nil
        }
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

    func sampleFunction(of child: GaugeChild) {
        withLock {
            if !sampledGauges.contains(where: { $0.child === child }) {
                sampledGauges.removeAll { $0.child == nil }
                sampledGauges.append(WeakGauge(child: child))
            }
            startSamplerLocked()
        }
        _ = child.storeCallbackValue()
    }

    /// Stores the current result of every sampled gauge's callback. The callbacks run outside the
    /// store's lock: they may create or update metrics themselves.
    func sampleFunctions() {
        let gauges = withLock { () -> [GaugeChild] in
            // Removed gauges (see remove(_:)) are no longer sampled.
            sampledGauges.removeAll { $0.child == nil || $0.child?.storage.isDetached == true }
            return sampledGauges.compactMap(\.child)
        }
        for gauge in gauges {
            _ = gauge.storeCallbackValue()
        }
    }

    /// Starts this process's sampling thread when gauges need one and none runs in this process.
    private func startSamplerLocked() {
        guard !sampledGauges.isEmpty, samplerProcessID != processID else { return }
        samplerProcessID = processID
        let reference = WeakStoreReference(self)
        do {
            try NativeThread.startDetached(stackSize: 256 << 10) {
                // The store is only held while sampling, so the thread ends soon after it goes; naps
                // of at most 0.1 s let a changed interval take effect at once.
                var lastSample = SystemClock.monotonic()
                while reference.sampleIfAlive() {
                    lastSample = SystemClock.monotonic()
                    while true {
                        let remaining = lastSample + Multiprocess.gaugeFunctionInterval - SystemClock.monotonic()
                        if remaining <= 0 { break }
                        SystemClock.sleep(seconds: Swift.min(0.1, remaining))
                    }
                }
            }
        } catch {
            samplerProcessID = nil
            PrometheusDiagnostics.report(
                .writer, "process \(processID) cannot start the thread that samples gauge callbacks: \(error)")
        }
    }

    private final class WeakStoreReference: @unchecked Sendable {
        weak var store: MmapValueStore?
        init(_ store: MmapValueStore) { self.store = store }

        /// Samples the store's gauges; false once the store is gone.
        func sampleIfAlive() -> Bool {
            guard let store else { return false }
            store.sampleFunctions()
            return true
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
                do {
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

    private func withLock<T>(_ body: () -> T) -> T {
        mutex.withLock(body)
    }

    private func identifierLocked() -> String {
        if let claimedIdentifier { return claimedIdentifier }
        if case .named(let name) = identity { return name }
        return String(processID)
    }

    private func claimStableLocked() throws(MultiprocessError) {
        let candidates: [String]
        switch identity {
        case .processID: return
        case .named(let name): candidates = [name]
        case .slot(let index): candidates = [WriterIdentity.slotName(index)]
        case .firstFreeSlot(let count): candidates = (0..<Swift.max(0, count)).map(WriterIdentity.slotName)
        }
        for candidate in candidates {
            try WriterIdentity.validate(candidate)
            guard let claimed = try WriterLease.claim(candidate, in: directory) else { continue }
            // The lease is ours, so no master archives this identity while the predecessor's files
            // are dealt with; its gauges must not be continued as if they were this process's.
            if identitiesWithFiles().contains(candidate) {
                try ProcessArchiver(directory: directory).handle(
                    processIdentifier: candidate, scope: .successor, confirm: nil)
            }
            lease = claimed
            claimedIdentifier = candidate
            return
        }
        if case .firstFreeSlot(let count) = identity { throw .noFreeSlot(count: count, path: directory.path) }
        throw .identityInUse(candidates[0], path: directory.path)
    }

    /// Claims `<pid>`, or `<pid>-1`, `<pid>-2`, ... when a live process holds it (the same pid in
    /// another pid namespace) or an earlier incarnation's files are still there (a reused pid).
    private func claimProcessIdentityLocked() {
        let pid = String(processID)
        // Shared: no master archives while this process decides which files are free.
        let directoryLock = DirectoryLock(directory: directory.path, exclusive: false)
        defer { directoryLock.release() }
        // Listed once: under the shared lock no file of a dead identity can appear or go.
        let taken = identitiesWithFiles()
        do {
            for suffix in 0..<Self.maximumPidSuffixes {
                let candidate = suffix == 0 ? pid : "\(pid)-\(suffix)"
                guard let claimed = try WriterLease.claim(candidate, in: directory) else { continue }
                if taken.contains(candidate) {
                    claimed.release()
                    continue
                }
                lease = claimed
                claimedIdentifier = candidate
                return
            }
            claimedIdentifier = "\(pid)-\(String(UInt64.random(in: 1...UInt64.max), radix: 16))"
            logClaimFailureLocked(
                "no free identity among \(pid) and \(pid)-1...\(pid)-\(Self.maximumPidSuffixes - 1); writing as \(claimedIdentifier!) without a lease"
            )
        } catch {
            // No lease possible (a read-only or full directory): write as the pid, as Python does.
            claimedIdentifier = pid
            logClaimFailureLocked("cannot claim a writer lease (\(error)); liveness is judged by pid")
        }
    }

    private func logClaimFailureLocked(_ message: String) {
        guard !loggedClaimFailure else { return }
        loggedClaimFailure = true
        PrometheusDiagnostics.report(.writer, "process \(processID): \(message)")
    }

    /// The identities that have `.db` files or failure markers in the directory (a lease alone,
    /// like the one this process may hold, does not count).
    private func identitiesWithFiles() -> Set<String> {
        guard let listing = try? MultiprocessListing.read(directory.path) else { return [] }
        return Set(listing.writers.values.filter { !$0.files.isEmpty || !$0.markers.isEmpty }.map(\.identity))
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
        let descriptor = series.descriptor
        let keys = descriptor.slots.map { slot in
            DBKey.encode(
                familyName: descriptor.familyName, sampleName: slot.sampleName, labels: slot.labels,
                help: descriptor.help)
        }
        let binding: SeriesBinding
        do {
            let file = try fileLocked(for: descriptor.kind)
            let created = descriptor.kind.storesCreationTime ? WallClock.now() : 0
            binding = SeriesBinding(pointers: try file.slots(for: keys, initialTimestamp: created))
        } catch {
            recordFailureLocked(error)
            binding = SeriesBinding(inMemorySlotCount: descriptor.slotCount)
        }
        series.install(binding)
        if binding.isExternal {
            series.nativeRecorder?.attachLocked()
        }
        return binding
    }

    private func fileLocked(for kind: StorageKind) throws(MultiprocessError) -> MmapFile {
        if claimedIdentifier == nil {
            if case .processID = identity {
                claimProcessIdentityLocked()
            } else {
                do {
                    try claimStableLocked()
                } catch {
                    // Claimed lazily (a test store) and taken: write as the pid rather than share.
                    logClaimFailureLocked("\(error); writing as its pid instead")
                    identity = .processID
                    claimProcessIdentityLocked()
                }
            }
        }
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

    /// This process's exemplar file for `kind`, opened or created on first use.
    private func exemplarFileLocked(for kind: StorageKind) throws(MultiprocessError) -> MmapFile {
        let prefix = kind.filePrefix
        if let file = exemplarFiles[prefix] {
            return file
        }
        let file = try MmapFile(
            companion: CompanionFileName(.exemplars, kind: kind, processIdentifier: identifierLocked()), in: directory)
        exemplarFiles[prefix] = file
        return file
    }

    /// This process's native histogram file, opened or created on first use.
    private func nativeFileLocked() throws(MultiprocessError) -> MmapFile {
        if let nativeFile { return nativeFile }
        let file = try MmapFile(
            companion: CompanionFileName(.nativeBuckets, kind: .histogram, processIdentifier: identifierLocked()),
            in: directory)
        nativeFile = file
        return file
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
        PrometheusDiagnostics.report(
            .writer, "process \(processID) keeps metric values in memory (not visible to the master) because \(error)"
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

}

// MARK: - Native histogram tables

extension MmapValueStore: NativeTableSource {
    func withTableLock<T>(_ body: () -> T) -> T {
        mutex.withLock(body)
    }

    func makeTableLocked(
        for series: SeriesStorage, schema: Int32, zeroThreshold: Double, capacity: Int
    ) -> UnsafeMutableRawPointer? {
        // Only series whose values are in this process's files: the tables count with them.
        guard !series.isDetached, series.isBound, series.currentBinding?.isExternal == true,
            let options = series.descriptor.layout.native
        else { return nil }
        let descriptor = series.descriptor
        let key = DBKey.encode(
            familyName: descriptor.familyName, sampleName: descriptor.familyName, labels: descriptor.labels,
            help: descriptor.help)
        do {
            return try nativeFileLocked().appendNativeTable(
                key: key, capacity: capacity,
                flags: options.keepsClassicBuckets ? NativeBucketFileLayout.keepsClassicBucketsFlag : 0,
                schema: schema, zeroThreshold: zeroThreshold)
        } catch {
            recordFailureLocked(error)
            return nil
        }
    }

    func markTableRemovedLocked(_ table: UnsafeMutableRawPointer) {
        NativeBucketFileLayout.markRemoved(table)
    }
}

extension MmapValueStore {
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
        // The parent keeps its identity and lease; the child claims its own at its first write.
        lease?.release()
        lease = nil
        claimedIdentifier = nil
        identity = .processID
        loggedClaimFailure = false
        for index in liveSeries.indices {
            liveSeries[index].series?.unbindAfterFork()
            liveSeries[index].series?.exemplarSlots.removeAll()
        }
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
        for index in liveSeries.indices {
            liveSeries[index].series?.nativeRecorder?.resetInForkedChild()
        }
        samplerProcessID = nil
        failureSlot = nil
        failureCount = 0
        failureMarker = nil
        cleanedUp = false
        loggedFailures.removeAll(keepingCapacity: true)
        mutex.unlock()
    }
}

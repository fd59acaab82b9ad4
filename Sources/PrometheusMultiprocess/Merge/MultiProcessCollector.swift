import PrometheusClient
import PrometheusSystem
import Synchronization

/// Merges the values that every worker process wrote into a multiprocess directory, for the process
/// that serves metrics (the master of a pre-forking server, or a sidecar).
///
/// The merge follows the Python client 0.25.0's rules for every type and gauge mode, so a directory
/// written by Python workers, Swift workers or both gives the same result as Python's
/// `MultiProcessCollector`, except that the output is sorted and deterministic. Beyond Python:
///
/// - Nothing in the directory can hang, crash or exhaust the master. FIFOs, sockets, devices and
///   directories named like `.db` files are never read, headers are checked against file sizes,
///   files are read in bounded windows, and a corrupt, truncated, empty, foreign, non-UTF-8-named
///   file or dangling link is skipped, logged once and counted in
///   `prometheus_multiproc_unreadable_files`. Entries that cannot be valid series (empty or reserved
///   names, sample names that do not fit the file, a family typed differently by another file) are
///   skipped on their own and counted in `prometheus_multiproc_unreadable_entries`.
/// - Info (`gauge_liveinfo_<pid>.db`) and Enum (`gauge_livestateset_<pid>.db`) files are merged as
///   info and state-set families.
/// - Native histogram buckets recorded by workers (`histogram_<id>.native` files) are added up per
///   series at the lowest schema and the widest zero threshold among them (``NativeBucketTotal``),
///   and exposed with the histogram in the protobuf format and OpenMetrics 2.0.
/// - Exemplars recorded by workers (`*.exemplars` files) are attached to their counter totals and
///   histogram buckets, the latest of all processes; counters, histograms and summaries carry
///   `_created` (the earliest creation among their writers) unless ``CreatedSeries/isEnabled`` is
///   off; series a worker removed (`remove()`, `clear()`) leave its part out.
/// - What each file's entries mean is remembered between scrapes: a warm scrape reads each file's
///   used bytes and decodes only entries appended since.
/// - Files of processes reported dead with ``markProcessDead(pid:path:archiving:)`` are folded into
///   archives; a lock keeps a concurrent scrape from counting a value twice or missing it, and folds
///   that failed (a full disk) are retried here, at most every ``foldRetryInterval`` seconds.
/// - Workers that could not write any file report their storage failures through marker files,
///   added to `prometheus_multiproc_storage_failures_total`.
///
/// ```swift
/// let registry = CollectorRegistry()
/// try registry.register(MultiProcessCollector(path: directory))
/// ```
public final class MultiProcessCollector: Collector {
    /// The directory read.
    public let directory: MultiprocessDirectory
    /// How writers are judged alive and what happens to dead writers' files.
    public let lifecycle: MultiprocessLifecycle
    /// Whether merged counters, histograms and summaries get `_created` samples; nil follows
    /// ``CreatedSeries/isEnabled`` at each collection.
    public let createdSeries: Bool?

    /// The self-metric counting files skipped in the latest collection.
    static let unreadableFilesFamily = "prometheus_multiproc_unreadable_files"
    /// The self-metric counting entries skipped in files that were otherwise merged.
    static let unreadableEntriesFamily = "prometheus_multiproc_unreadable_entries"
    /// The lifecycle self-metrics.
    static let writersFamily = "prometheus_multiproc_writers"
    static let filesFamily = "prometheus_multiproc_files"
    static let usedBytesFamily = "prometheus_multiproc_used_bytes"
    static let archiveFilesFamily = "prometheus_multiproc_archive_files"
    static let reapedWritersFamily = "prometheus_multiproc_reaped_writers"
    static let mergeDurationFamily = "prometheus_multiproc_merge_duration_seconds"
    static let unsafeFileSystemFamily = "prometheus_multiproc_unsafe_filesystem"
    static let pendingFoldsFamily = "prometheus_multiproc_pending_folds"
    static let directoryMissingFamily = "prometheus_multiproc_directory_missing"
    static let directoryLossesFamily = "prometheus_multiproc_directory_losses"
    static let selfMetricFamilies = [
        unreadableFilesFamily, unreadableEntriesFamily, writersFamily, filesFamily, usedBytesFamily,
        archiveFilesFamily, reapedWritersFamily, mergeDurationFamily, unsafeFileSystemFamily, pendingFoldsFamily,
        directoryMissingFamily, directoryLossesFamily,
    ]
    /// How often, at most, a collection retries folding dead processes' files after a failure.
    public static let foldRetryInterval = 10.0

    private struct State {
        var merger = MultiprocessMerger(reservedFamilies: selfMetricFamilies)
        var exemplars = ExemplarMerger()
        var native = NativeBucketMerger()
        var reported: Set<String> = []
        /// The last listing and the directory's modification time when it was taken.
        var listing = MultiprocessListing()
        var listingTime: (seconds: Int, nanoseconds: Int)?
        /// The directory as last listed (device and inode), and whether it was missing then.
        var directoryIdentity: (device: UInt64, inode: UInt64)?
        var directoryMissing = false
        /// How often the directory was found gone or replaced.
        var directoryLosses = 0
        var judge: WriterLivenessJudge
        var reapedWriters = 0
        var lastMergeSeconds = 0.0
    }

    private let state: Mutex<State>

    /// Creates a collector for `path`, or for the process configuration's directory
    /// (`PROMETHEUS_MULTIPROC_DIR`) when `path` is nil.
    ///
    /// - Parameters:
    ///   - lifecycle: how writers are judged alive and what happens to the files of dead ones (by
    ///     default judged at every scrape and archived; ``MultiprocessLifecycle/manual`` is the Python
    ///     client's behaviour). With ``MultiprocessLifecycle/Archiving/background(interval:)`` the
    ///     collector starts a thread that archives until the collector is deinitialised.
    ///   - createdSeries: whether merged series get `_created` samples; nil (the default) follows
    ///     ``CreatedSeries/isEnabled``, the process's switch, at each collection.
    /// - Throws: `MultiprocessError.invalidDirectory` when no directory is configured, or it is
    ///   missing, not a directory or not readable; `MultiprocessError.unsafeFileSystem` when it is on
    ///   a file system multiprocess mode cannot trust (see ``MultiprocessFileSystem``).
    public convenience init(
        path: String? = nil, lifecycle: MultiprocessLifecycle = .automatic, createdSeries: Bool? = nil
    ) throws(MultiprocessError) {
        let directory: MultiprocessDirectory
        if let path {
            directory = try MultiprocessDirectory(path: path, forWriting: false)
        } else {
            directory = try MultiprocessDirectory.fromEnvironment(forWriting: false)
        }
        self.init(directory: directory, lifecycle: lifecycle, createdSeries: createdSeries)
    }

    /// Creates a collector for a directory validated already (for example with
    /// ``UnsafeFileSystemPolicy/warn``), as ``init(path:lifecycle:createdSeries:)`` does.
    public init(
        directory: MultiprocessDirectory, lifecycle: MultiprocessLifecycle = .automatic, createdSeries: Bool? = nil
    ) {
        self.createdSeries = createdSeries
        self.directory = directory
        self.lifecycle = lifecycle
        state = Mutex(State(judge: WriterLivenessJudge(directory: directory.path, liveness: lifecycle.liveness)))
        if case .background(let interval) = lifecycle.archiving {
            startBackgroundArchiving(every: Swift.max(0.05, interval))
        }
    }

    /// Merges the directory's files now. Costs one read per file when warm, plus decoding of new
    /// entries, plus one lock query (or one `poll`) per writer; the first collection decodes every
    /// key. With archiving on scrape, dead writers' files are then archived.
    ///
    /// - Throws: `MultiprocessError.fileFailure` when the directory itself cannot be listed (single
    ///   unreadable files never fail the collection).
    public func collect() throws -> [MetricFamily] {
        try prepare().families()
    }

    /// Merges as ``collect()`` does, for a registry that writes the merged families from their lines.
    package func prepareFamilies() throws -> any PreparedFamilies {
        try prepare()
    }

    private func prepare() throws(MultiprocessError) -> MergedFamilies {
        FoldRetryList.shared.retry(in: directory, notMoreOftenThan: Self.foldRetryInterval)
        let started = SystemClock.monotonic()
        // Listed under the lock: a listing taken before a concurrent archive step could miss both the
        // process file (deleted) and the archive (created after the listing).
        // A collector that never archives changes nothing in the directory, not even the lock file.
        let lock = DirectoryLock(directory: directory.path, exclusive: false, createsFile: lifecycle.archiving != .off)
        let listing: MultiprocessListing
        do {
            listing = try currentListing()
        } catch {
            lock.release()
            throw error
        }
        // A journal left by an interrupted markProcessDead whose archive already includes a process
        // file or marker: that file must not be counted again.
        var absorbed: String?
        if let journal = ArchiveJournal.read(in: directory.path), journal.isArchiveInPlace(in: directory.path) {
            absorbed = journal.absorbed
        }
        let merged = state.withLock { state in merge(listing, leavingOut: absorbed, state: &state) }
        lock.release()
        if lifecycle.archiving == .onScrape {
            archiveDeadWriters(listing.writers, verdicts: merged.verdicts)
        }
        let duration = SystemClock.monotonic() - started
        let (reaped, previousDuration, missing, losses) = state.withLock { state in
            let previous = state.lastMergeSeconds
            state.lastMergeSeconds = duration
            return (state.reapedWriters, previous, state.directoryMissing, state.directoryLosses)
        }
        let report = SelfReport(
            listing: listing, outcome: merged.outcome, verdicts: merged.verdicts, reapedWriters: reaped,
            previousDuration: previousDuration, fileSystem: directory.fileSystem,
            pendingFolds: FoldRetryList.shared.waiting(in: directory.path).count, directoryMissing: missing,
            directoryLosses: losses)
        return MergedFamilies(
            scrape: merged.outcome.scrape, markers: listing.markers.filter { $0.fileName != absorbed },
            extras: report.families())
    }

    /// What one merge found: the merged families and problems, and each writer's verdict.
    private struct Merged {
        var outcome: MultiprocessMerger.Outcome
        var verdicts: [String: WriterVerdict]
    }

    /// Judges the listing's writers and merges the files that count: every file but `absorbed` and
    /// the live-mode files of dead writers. Logs each new problem once.
    private func merge(_ listing: MultiprocessListing, leavingOut absorbed: String?, state: inout State) -> Merged {
        let verdicts = state.judge.judge(listing.writers)
        let anyDead = verdicts.values.contains { !$0.isAlive }
        var files: [MultiprocessMerger.ListedFile] = []
        files.reserveCapacity(listing.files.count)
        for (file, name) in zip(listing.files, listing.names) {
            if file.name == absorbed { continue }
            if anyDead, let name, name.kind.isLive, verdicts[name.processIdentifier]?.isAlive == false {
                // A dead writer's live-mode series leave the merge at once, archived or not.
                continue
            }
            files.append(
                MultiprocessMerger.ListedFile(
                    fileName: file.name, inode: file.inode, listedAsRegular: file.isRegular, name: name))
        }
        let companions = listing.companionFiles.map(\.name).filter { $0.fileName != absorbed }
        let exemplars = state.exemplars.latest(
            directory: directory.path, files: companions.filter { $0.contents == .exemplars })
        let native = state.native.merge(
            directory: directory.path, files: companions.filter { $0.contents == .nativeBuckets })
        var outcome = state.merger.merge(
            directory: directory.path, files: files, includeCreated: createdSeries ?? CreatedSeries.isEnabled,
            exemplars: exemplars.exemplars, native: native.series)
        outcome.unreadableFiles += exemplars.problems + native.problems
        outcome.skippedEntries += native.skipped
        for problem in listing.problems + outcome.unreadableFiles + outcome.skippedEntries
        where state.reported.insert(problem.path + "\u{0}" + problem.reason).inserted {
            PrometheusDiagnostics.report(.collector, "skipping in multiprocess file \(problem.path): \(problem.reason)")
        }
        return Merged(outcome: outcome, verdicts: verdicts)
    }

    /// The writers of the directory now, each with its verdict, files and bytes: what
    /// `prometheus-multiproc status` prints. Costs a listing, a judgement and a `stat` per file.
    ///
    /// - Throws: `MultiprocessError.fileFailure` when the directory cannot be listed.
    public func writerStatus() throws(MultiprocessError) -> [WriterStatus] {
        let writers = try currentListing().writers
        let verdicts = state.withLock { $0.judge.judge(writers) }
        return writers.values.map { writer in
            var names =
                writer.files.map(\.name.fileName) + writer.companionFiles.map(\.fileName)
                + writer.markers.map(\.fileName)
            if writer.leaseInode != nil { names.append(WriterLease.fileName(for: writer.identity)) }
            let bytes = names.reduce(0) { total, name in
                total + ((try? FileSystem.status(ofLink: directory.file(named: name)).size) ?? 0)
            }
            return WriterStatus(
                identity: writer.identity,
                verdict: verdicts[writer.identity] ?? WriterVerdict(isAlive: true, reason: "not judged"),
                files: names.sorted(), bytes: bytes)
        }.sorted { ByteIdentity.precedes($0.identity, $1.identity) }
    }

    /// Archives every writer judged dead now, whatever the policy (what `prometheus-multiproc reap`
    /// does).
    ///
    /// - Returns: the identities archived.
    /// - Throws: `MultiprocessError.fileFailure` when the directory cannot be listed.
    @discardableResult
    public func archiveDeadWriters() throws(MultiprocessError) -> [String] {
        let writers = try currentListing().writers
        let verdicts = state.withLock { $0.judge.judge(writers) }
        return archiveDeadWriters(writers, verdicts: verdicts)
    }

    @discardableResult
    private func archiveDeadWriters(_ writers: [String: WriterRecord], verdicts: [String: WriterVerdict]) -> [String] {
        var archived: [String] = []
        for (identity, writer) in writers.sorted(by: { $0.key < $1.key })
        where verdicts[identity]?.isAlive == false && writer.needsReaping {
            var archiver = ProcessArchiver(directory: directory)
            archiver.report = { message in
                if self.state.withLock({ $0.reported.insert(message).inserted }) {
                    PrometheusDiagnostics.report(.archiver, message)
                }
            }
            let done = try? archiver.handle(
                processIdentifier: identity, scope: .deadWriter(archiving: true),
                confirm: { self.state.withLock { $0.judge.confirmDead(writer) } })
            if done == true { archived.append(identity) }
        }
        if !archived.isEmpty {
            state.withLock { $0.reapedWriters += archived.count }
        }
        return archived
    }

    /// The directory's listing, reused while its modification time stands still.
    private func currentListing() throws(MultiprocessError) -> MultiprocessListing {
        let directoryPath = directory.path
        let listed: Result<MultiprocessListing, Errno> = state.withLock { state in
            // Creating, deleting or renaming a file changes the directory's modification time, so an
            // unchanged time means an unchanged listing, unless the time is so recent (100 ms, many
            // times the kernel's timestamp tick) that a change within the same tick could hide
            // behind it.
            do throws(Errno) {
                guard let status = try Self.directoryStatus(directoryPath, state: &state) else {
                    return .success(MultiprocessListing())
                }
                let modified = (status.modificationSeconds, status.modificationNanoseconds)
                if let previous = state.listingTime, previous == modified,
                    SystemClock.wallTime() - status.modificationTime > 0.1
                {
                    return .success(state.listing)
                }
                let fresh = try MultiprocessListing.read(directoryPath)
                state.listing = fresh
                state.listingTime = modified
                return .success(fresh)
            } catch {
                return .failure(error)
            }
        }
        switch listed {
        case .success(let value): return value
        case .failure(let error): throw .fileFailure(path: directory.path, operation: "list", errno: error)
        }
    }

    /// The directory's status, or nil while it is missing (a `/tmp` cleaner or an `rm -rf` removed
    /// it; writers make it again): then the listing is empty, and the self-metrics say so. Counts
    /// each time the directory is found gone or replaced, and logs it.
    ///
    /// - Throws: the `Errno` of `stat(2)` other than a missing path.
    private static func directoryStatus(_ path: String, state: inout State) throws(Errno) -> FileStatus? {
        let status: FileStatus
        do {
            status = try FileSystem.status(ofPath: path)
        } catch  where error == .noSuchFileOrDirectory || error == .notDirectory {
            if !state.directoryMissing {
                state.directoryMissing = true
                state.directoryLosses += 1
                state.listingTime = nil
                PrometheusDiagnostics.report(
                    .collector,
                    "multiprocess directory \(path) is gone; serving without its files until writers make it again")
            }
            return nil
        }
        let identity = (status.device, status.inode)
        if let known = state.directoryIdentity, known != identity, !state.directoryMissing {
            state.directoryLosses += 1
            PrometheusDiagnostics.report(.collector, "multiprocess directory \(path) was replaced; reading the new one")
        }
        state.directoryIdentity = identity
        state.directoryMissing = false
        return status
    }

    /// A thread that archives dead writers every `interval` seconds and ends soon after the
    /// collector is deinitialised (it holds the collector only while archiving).
    private func startBackgroundArchiving(every interval: Double) {
        let reference = WeakReference(self)
        try? NativeThread.startDetached(stackSize: 256 << 10) {
            var next = SystemClock.monotonic() + interval
            while reference.target != nil {
                SystemClock.sleep(seconds: Swift.min(0.1, Swift.max(0, next - SystemClock.monotonic())))
                guard SystemClock.monotonic() >= next else { continue }
                _ = try? reference.target?.archiveDeadWriters()
                next = SystemClock.monotonic() + interval
            }
        }
    }

    private final class WeakReference: @unchecked Sendable {
        weak var target: MultiProcessCollector?
        init(_ target: MultiProcessCollector) { self.target = target }
    }
}

/// A registry leaves out its own metrics that write into the merged directory, and writes the
/// merged families from their lines.
extension MultiProcessCollector: MultiprocessMergingCollector, FamilyWritingCollector {
    package var mergedDirectory: String { directory.path }
}

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

    /// The self-metric counting files skipped in the latest collection.
    static let unreadableFilesFamily = "prometheus_multiproc_unreadable_files"
    /// The self-metric counting entries skipped in files that were otherwise merged.
    static let unreadableEntriesFamily = "prometheus_multiproc_unreadable_entries"
    /// How often, at most, a collection retries folding dead processes' files after a failure.
    public static let foldRetryInterval = 10.0

    private struct State {
        var merger = MultiprocessMerger(reservedFamilies: [unreadableFilesFamily, unreadableEntriesFamily])
        var reported: Set<String> = []
        /// The last listing and the directory's modification time when it was taken.
        var listing = MultiprocessListing()
        var listingTime: (seconds: Int, nanoseconds: Int)?
    }

    private let state = Mutex(State())

    /// Creates a collector for `path`, or for `PROMETHEUS_MULTIPROC_DIR` when `path` is nil.
    ///
    /// - Throws: `MultiprocessError.invalidDirectory` when no directory is configured, or it is
    ///   missing, not a directory or not readable.
    public init(path: String? = nil) throws(MultiprocessError) {
        if let path {
            directory = try MultiprocessDirectory(path: path, forWriting: false)
        } else {
            directory = try MultiprocessDirectory.fromEnvironment(forWriting: false)
        }
    }

    /// Merges the directory's files now. Costs one read per file when warm, plus decoding of new
    /// entries; the first collection decodes every key.
    ///
    /// - Throws: `MultiprocessError.fileFailure` when the directory itself cannot be listed (single
    ///   unreadable files never fail the collection).
    public func collect() throws -> [MetricFamily] {
        ProcessArchiver.retryFailedFolds(in: directory, notMoreOftenThan: Self.foldRetryInterval)
        // Listed under the lock: a listing taken before a concurrent archive step could miss both the
        // process file (deleted) and the archive (created after the listing).
        let lock = DirectoryLock(directory: directory.path, exclusive: false)
        defer { lock.release() }
        let directoryPath = directory.path
        let listed: Result<MultiprocessListing, Errno> = state.withLock { state in
            // Creating, deleting or renaming a file changes the directory's modification time, so an
            // unchanged time means an unchanged listing, unless the time is so recent (100 ms, many
            // times the kernel's timestamp tick) that a change within the same tick could hide
            // behind it.
            do throws(Errno) {
                let status = try FileSystem.status(ofPath: directoryPath)
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
        let listing: MultiprocessListing
        switch listed {
        case .success(let value): listing = value
        case .failure(let error):
            throw MultiprocessError.fileFailure(path: directory.path, operation: "list", errno: error)
        }
        // A journal left by an interrupted markProcessDead whose archive already includes a process
        // file or marker: that file must not be counted again.
        var absorbed: String?
        if let journal = ArchiveJournal.read(in: directory.path), journal.isArchiveInPlace(in: directory.path) {
            absorbed = journal.absorbed
        }
        let files = listing.files.compactMap { file in
            file.name == absorbed
                ? nil
                : MultiprocessMerger.ListedFile(fileName: file.name, inode: file.inode, listedAsRegular: file.isRegular)
        }
        let markers = listing.markers.filter { $0.fileName != absorbed }
        let outcome = state.withLock { state in
            let outcome = state.merger.merge(directory: directoryPath, files: files)
            for problem in listing.problems + outcome.unreadableFiles + outcome.skippedEntries
            where state.reported.insert(problem.path + "\u{0}" + problem.reason).inserted {
                CurrentProcess.writeToStandardError(
                    "prometheus: skipping in multiprocess file \(problem.path): \(problem.reason)")
            }
            return outcome
        }
        var families = outcome.families
        Self.addMarkers(markers, to: &families)
        Self.insertSorted(
            Self.selfMetric(
                Self.unreadableFilesFamily,
                help: "Multiprocess files skipped in the latest collection because they could not be read or parsed.",
                value: listing.problems.count + outcome.unreadableFiles.count),
            into: &families)
        Self.insertSorted(
            Self.selfMetric(
                Self.unreadableEntriesFamily,
                help:
                    "Entries of multiprocess files skipped in the latest collection because they cannot be valid series.",
                value: outcome.skippedEntries.count),
            into: &families)
        return families
    }

    private static func selfMetric(_ name: String, help: String, value: Int) -> MetricFamily {
        MetricFamily(name: name, help: help, type: .gauge, samples: [Sample(name: name, value: Double(value))])
    }

    /// Inserts `family` where it belongs in families sorted by name (they are sorted once, by the merge).
    private static func insertSorted(_ family: MetricFamily, into families: inout [MetricFamily]) {
        let index = families.firstIndex { !ByteIdentity.precedes($0.name, family.name) } ?? families.endIndex
        families.insert(family, at: index)
    }

    /// Adds the counts of storage-failure markers to the failure counter merged from the files.
    private static func addMarkers(_ markers: [StorageFailureMarker], to families: inout [MetricFamily]) {
        guard !markers.isEmpty else { return }
        let total = Double(markers.reduce(0) { $0 + $1.count })
        let name = MmapValueStore.failureFamilyName
        if let index = families.firstIndex(where: { ByteIdentity.equal($0.name, name) }),
            let sample = families[index].samples.firstIndex(where: { $0.labels.isEmpty })
        {
            families[index].samples[sample].value += total
            return
        }
        insertSorted(
            MetricFamily(
                name: name, help: MmapValueStore.failureHelp, type: .counter,
                samples: [Sample(name: name + "_total", value: total)]),
            into: &families)
    }
}

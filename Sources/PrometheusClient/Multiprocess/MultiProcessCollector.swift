import Glibc
import Synchronization

/// Merges the values that every worker process wrote into a multiprocess directory, for the process
/// that serves metrics (the master of a pre-forking server, or a sidecar).
///
/// The merge follows the Python client 0.25.0's rules for every type and gauge mode, so a directory
/// written by Python workers, Swift workers or both gives the same result as Python's
/// `MultiProcessCollector`, except that the output is sorted and deterministic. Beyond Python:
///
/// - A corrupt, truncated, empty or foreign `.db` file is skipped and logged once; every other file is
///   served, and `prometheus_multiproc_unreadable_files` says how many were skipped.
/// - Info (`gauge_liveinfo_<pid>.db`) and Enum (`gauge_livestateset_<pid>.db`) files are merged as
///   info and state-set families.
/// - What each file's entries mean is remembered between scrapes: a warm scrape reads each file's
///   used bytes and decodes only entries appended since.
/// - Files of processes reported dead with ``markProcessDead(pid:path:)`` are folded into archives;
///   a lock keeps a concurrent scrape from counting a value twice or missing it.
///
/// ```swift
/// let registry = CollectorRegistry()
/// try registry.register(MultiProcessCollector(path: directory))
/// ```
public final class MultiProcessCollector: Collector {
    /// The directory read.
    public let directory: MultiprocessDirectory

    /// The `.db` files of a directory with their inode numbers, sorted by name; nil when the directory
    /// cannot be read. (`readdir` gives the inodes for free, which tells a replaced file from a known one
    /// without a `stat` per file.)
    static func list(_ path: String) -> [(name: String, inode: UInt64)]? {
        guard let stream = opendir(path) else { return nil }
        defer { closedir(stream) }
        var result: [(name: String, inode: UInt64)] = []
        while let entry = readdir(stream) {
            let name: String? = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                let bytes = UnsafeRawBufferPointer(rebasing: raw.prefix { $0 != 0 })
                guard DBFileName.hasDBSuffix(bytes) else { return nil }
                return String(decoding: bytes, as: UTF8.self)
            }
            if let name {
                result.append((name, UInt64(entry.pointee.d_ino)))
            }
        }
        // Sorted so that sums always add up in the same order. For the valid UTF-8 of these names,
        // String's ordering is a comparison of the bytes.
        result.sort { $0.name < $1.name }
        return result
    }

    /// The self-metric counting files skipped in the latest collection.
    static let unreadableFilesFamily = "prometheus_multiproc_unreadable_files"

    private struct State {
        var merger = MultiprocessMerger()
        var reported: Set<String> = []
        /// The last listing and the directory's modification time when it was taken.
        var listing: [(name: String, inode: UInt64)] = []
        var listingTime: timespec? = nil
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

    /// Merges the directory's files now.
    ///
    /// - Throws: `MultiprocessError.fileFailure` when the directory itself cannot be listed (single
    ///   unreadable files never fail the collection).
    public func collect() throws -> [MetricFamily] {
        // Listed under the lock: a listing taken before a concurrent archive step could miss both the
        // process file (deleted) and the archive (created after the listing).
        let lock = DirectoryLock(directory: directory.path, exclusive: false)
        defer { lock.release() }
        let directoryPath = directory.path
        let listed: [(name: String, inode: UInt64)]? = state.withLock { state in
            // Creating, deleting or renaming a file changes the directory's modification time, so an
            // unchanged time means an unchanged listing, unless the time is so recent (100 ms, many
            // times the kernel's timestamp tick) that a change within the same tick could hide
            // behind it.
            var status = stat()
            guard stat(directoryPath, &status) == 0 else { return nil }
            let modified = status.st_mtim
            var now = timespec()
            clock_gettime(CLOCK_REALTIME, &now)
            let age = Double(now.tv_sec - modified.tv_sec) + Double(now.tv_nsec - modified.tv_nsec) / 1e9
            if let previous = state.listingTime, previous.tv_sec == modified.tv_sec,
                previous.tv_nsec == modified.tv_nsec, age > 0.1
            {
                return state.listing
            }
            guard let fresh = Self.list(directoryPath) else { return nil }
            state.listing = fresh
            state.listingTime = modified
            return fresh
        }
        guard let listing = listed else {
            throw MultiprocessError.fileFailure(path: directory.path, operation: "list", errno: errno)
        }
        // A journal left by an interrupted markProcessDead whose archive already includes a process
        // file: that file must not be counted again.
        var skipped = Set<String>()
        if let journal = ArchiveJournal.read(in: directory.path), journal.isArchiveInPlace(in: directory.path) {
            skipped.insert(journal.absorbed)
        }
        let files = listing.filter { !skipped.contains($0.name) }.map {
            MultiprocessMerger.ListedFile(fileName: $0.name, inode: $0.inode)
        }
        let (families, problems) = state.withLock { state in
            let (families, problems) = state.merger.merge(directory: directoryPath, files: files)
            for problem in problems where state.reported.insert(problem.path + "\u{0}" + problem.reason).inserted {
                DiagnosticLog.write("skipping multiprocess file \(problem.path): \(problem.reason)")
            }
            return (families, problems)
        }
        let selfMetric = MetricFamily(
            name: Self.unreadableFilesFamily,
            help: "Multiprocess files skipped in the latest collection because they could not be read or parsed.",
            type: .gauge, samples: [Sample(name: Self.unreadableFilesFamily, value: Double(problems.count))])
        return (families + [selfMetric]).sorted { ByteIdentity.precedes($0.name, $1.name) }
    }
}

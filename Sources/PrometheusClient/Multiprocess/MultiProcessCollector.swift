import Foundation
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

    /// The self-metric counting files skipped in the latest collection.
    static let unreadableFilesFamily = "prometheus_multiproc_unreadable_files"

    private struct State {
        var merger = MultiprocessMerger()
        var reported: Set<String> = []
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
        let fileNames: [String]
        do {
            fileNames = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw MultiprocessError.fileFailure(path: directory.path, operation: "list", errno: Int32(EIO))
        }
        // A journal left by an interrupted markProcessDead whose archive already includes a process
        // file: that file must not be counted again.
        var skipped = Set<String>()
        if let journal = ArchiveJournal.read(in: directory.path), journal.isArchiveInPlace(in: directory.path) {
            skipped.insert(journal.absorbed)
        }
        var files: [(path: String, name: DBFileName)] = []
        var foreign: [MultiprocessMerger.Problem] = []
        for fileName in fileNames.sorted() where fileName.hasSuffix(".db") && !skipped.contains(fileName) {
            if let name = DBFileName(fileName: fileName) {
                files.append((directory.file(named: fileName), name))
            } else {
                foreign.append(
                    .init(
                        path: directory.file(named: fileName),
                        reason: "the name is not <type>_<pid>.db or gauge_<mode>_<pid>.db"))
            }
        }
        let (families, problems) = state.withLock { state in
            let (families, problems) = state.merger.merge(files)
            for problem in foreign + problems
            where state.reported.insert(problem.path + "\u{0}" + problem.reason).inserted {
                DiagnosticLog.write("skipping multiprocess file \(problem.path): \(problem.reason)")
            }
            return (families, foreign + problems)
        }
        let selfMetric = MetricFamily(
            name: Self.unreadableFilesFamily,
            help: "Multiprocess files skipped in the latest collection because they could not be read or parsed.",
            type: .gauge, samples: [Sample(name: Self.unreadableFilesFamily, value: Double(problems.count))])
        return (families + [selfMetric]).sorted { PythonJSONKey.isOrderedByCodePoint($0.name, $1.name) }
    }
}

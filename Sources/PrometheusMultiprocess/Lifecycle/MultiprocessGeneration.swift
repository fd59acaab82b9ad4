import PrometheusClient
import PrometheusSystem
import Synchronization

/// A master's claim on a multiprocess directory for one run: at most one live master per directory,
/// and the files an earlier run left dealt with by a stated policy instead of an `rm -rf` in an
/// entrypoint script.
///
/// ```swift
/// let generation = try MultiprocessGeneration.claim(path: directory, previousRun: .carryOver)
/// print("archived \(generation.report.archivedWriters.count) writers of the previous run")
/// ```
///
/// The claim is an open-file-description lock on `master.lock` in the directory (not a `.db` file),
/// released when the generation is deinitialised or the process ends, however it ends. Children
/// forked by the master do not inherit it.
public final class MultiprocessGeneration: Sendable {
    /// What to do with the files of writers of an earlier run that are no longer alive.
    public enum PreviousRun: Sendable, Hashable {
        /// Delete them, and the archives: every total starts again from zero.
        case remove
        /// Fold their counters, histograms, summaries and min, max, sum and mostrecent gauges into
        /// the archives, so totals carry over (Prometheus sees no reset); delete their live-mode and
        /// `all`-mode gauges.
        case carryOver
        /// Leave them, as the Python client does (the master's lifecycle policy still applies).
        case keep
    }

    /// What claiming did to the directory.
    public struct Report: Sendable, Hashable {
        /// Writers of the earlier run whose files were deleted (``PreviousRun/remove``).
        public var removedWriters: [String] = []
        /// Writers of the earlier run whose files were archived (``PreviousRun/carryOver``).
        public var archivedWriters: [String] = []
        /// Archive files deleted (``PreviousRun/remove``).
        public var removedArchives = 0
        /// Writers still alive (left alone whatever the policy).
        public var liveWriters: [String] = []
    }

    static let lockFileName = "master.lock"

    /// The directory claimed.
    public let directory: MultiprocessDirectory
    /// What claiming did.
    public let report: Report
    private let descriptor: Mutex<FileDescriptor?>

    private init(directory: MultiprocessDirectory, report: Report, descriptor: FileDescriptor) {
        self.directory = directory
        self.report = report
        self.descriptor = Mutex(descriptor)
        Self.track(descriptor.rawValue, add: true)
    }

    deinit {
        release()
    }

    /// Claims `path` for this master and applies `previousRun` to the files of writers judged dead
    /// (by leases, and for Python writers by pid, as ``MultiprocessLifecycle/Liveness/leasesAndProcesses``).
    /// Costs one directory listing and one judgement per writer.
    ///
    /// The returned value is the claim: keep it while the master runs. It is released when the value
    /// goes (or by ``release()``), so discarding it with `_ =` gives the directory up at once.
    ///
    /// - Throws: `MultiprocessError.directoryClaimed` when another live master holds the directory,
    ///   `.invalidDirectory` for an unusable directory, `.fileFailure` for the first file operation
    ///   that failed (the claim is released then).
    public static func claim(path: String, previousRun: PreviousRun) throws(MultiprocessError) -> MultiprocessGeneration
    {
        let directory = try MultiprocessDirectory(path: path, forWriting: true)
        let lockPath = directory.file(named: lockFileName)
        let descriptor: FileDescriptor
        do {
            descriptor = try FileDescriptor.open(lockPath, .readWrite, options: [.create, .noFollow, .nonBlocking])
        } catch {
            throw .fileFailure(path: lockPath, operation: "create the master lock", errno: error)
        }
        var holder: String?
        do throws(Errno) {
            if try descriptor.status().kind == .regular, try descriptor.tryLockExclusively() {
                try descriptor.truncate(size: 0)
                try descriptor.writeAll(Array("pid \(CurrentProcess.id)\n".utf8))
            } else {
                let text = String(
                    decoding: (try? descriptor.readBytes(fromAbsoluteOffset: 0, count: 64)) ?? [], as: UTF8.self)
                holder = text.isEmpty ? "unknown" : text.trimmingNewlines()
            }
        } catch {
            descriptor.close()
            throw .fileFailure(path: lockPath, operation: "lock the master lock", errno: error)
        }
        if let holder {
            descriptor.close()
            throw .directoryClaimed(path: path, holder: holder)
        }
        do {
            let report = try apply(previousRun, to: directory)
            return MultiprocessGeneration(directory: directory, report: report, descriptor: descriptor)
        } catch {
            descriptor.close()
            throw error
        }
    }

    /// Gives the directory up for another master.
    public func release() {
        descriptor.withLock { descriptor in
            if let held = descriptor {
                Self.track(held.rawValue, add: false)
                held.close()
            }
            descriptor = nil
        }
    }

    private static func apply(_ policy: PreviousRun, to directory: MultiprocessDirectory) throws(MultiprocessError)
        -> Report
    {
        var report = Report()
        let listing: MultiprocessListing
        do {
            listing = try MultiprocessListing.read(directory.path)
        } catch {
            throw .fileFailure(path: directory.path, operation: "list", errno: error)
        }
        let writers = listing.writers
        let judge = WriterLivenessJudge(directory: directory.path, liveness: .leasesAndProcesses)
        let verdicts = judge.judge(writers)
        let archiver = ProcessArchiver(directory: directory)
        for (identity, writer) in writers.sorted(by: { $0.key < $1.key }) {
            guard verdicts[identity]?.isAlive == false else {
                report.liveWriters.append(identity)
                continue
            }
            let scope: ProcessArchiver.Scope
            switch policy {
            case .keep: continue
            case .remove: scope = .removal
            case .carryOver: scope = .previousGeneration
            }
            guard (try? WriterIdentity.validate(identity)) != nil else { continue }
            let handled = try archiver.handle(
                processIdentifier: identity, scope: scope, confirm: { judge.confirmDead(writer) })
            if handled {
                if policy == .remove {
                    report.removedWriters.append(identity)
                } else {
                    report.archivedWriters.append(identity)
                }
            } else {
                report.liveWriters.append(identity)
            }
        }
        if policy == .remove && report.liveWriters.isEmpty {
            report.removedArchives = try archiver.removeArchives()
        }
        return report
    }

    // MARK: - fork()

    nonisolated(unsafe) private static var trackedDescriptors: [Int32] = []
    private static let trackingMutex = ProcessMutex()
    private static let forkHooksInstalled: Bool = {
        ForkHooks.install(
            prepare: { MultiprocessGeneration.trackingMutex.lock() },
            parent: { MultiprocessGeneration.trackingMutex.unlock() },
            child: {
                // A worker forked by the master must not keep the master's claim alive.
                for raw in MultiprocessGeneration.trackedDescriptors { FileDescriptor(rawValue: raw).close() }
                MultiprocessGeneration.trackedDescriptors.removeAll()
                MultiprocessGeneration.trackingMutex.unlock()
            })
        return true
    }()

    private static func track(_ raw: Int32, add: Bool) {
        _ = forkHooksInstalled
        trackingMutex.withLock {
            if add { trackedDescriptors.append(raw) } else { trackedDescriptors.removeAll { $0 == raw } }
        }
    }
}

extension String {
    fileprivate func trimmingNewlines() -> String {
        split(separator: "\n").joined(separator: " ")
    }
}

import PrometheusClient
import PrometheusSystem

/// Why a writer is judged alive or dead, for self-metrics and `prometheus-multiproc status`.
public struct WriterVerdict: Sendable, Hashable, CustomStringConvertible {
    /// Whether the writer counts as alive.
    public var isAlive: Bool
    /// The evidence, for example `holds its lease` or `no process 1234`.
    public var reason: String

    /// `alive: <reason>` or `dead: <reason>`.
    public var description: String { (isAlive ? "alive: " : "dead: ") + reason }
}

/// One writer of a multiprocess directory as ``MultiProcessCollector/writerStatus()`` reports it.
public struct WriterStatus: Sendable, Hashable {
    /// The identity in its file names (a pid, `<pid>-<n>`, `slot<k>` or a custom name).
    public var identity: String
    /// Whether it is alive, and why the master thinks so.
    public var verdict: WriterVerdict
    /// Its files: `.db` files, failure markers and lease.
    public var files: [String]
    /// The size of those files together.
    public var bytes: Int
}

/// Tells live writers of a multiprocess directory from dead ones, by the rules of
/// ``MultiprocessLifecycle/Liveness``, remembering what it learned between scrapes: a lease's open
/// descriptor (one `fcntl` per writer per scrape), and for writers without a lease a process handle
/// (`pidfd`) of the process found writing, so that later scrapes cost one `poll` and a reused pid is
/// never taken for it.
///
/// Not thread-safe; ``MultiProcessCollector`` calls it under its lock.
final class WriterLivenessJudge {
    let directory: String
    let liveness: MultiprocessLifecycle.Liveness
    /// Files changed this recently belong to a writer that may not have mapped them yet.
    static let settlingSeconds = 2.0
    /// How long a verdict of dead is kept for a writer without a lease before it is judged again.
    static let deadVerdictSeconds = 5.0

    private var leases: [String: (inode: UInt64, descriptor: FileDescriptor)] = [:]
    private struct ProcessRecord {
        var handle: ProcessHandle?
        var verdict: WriterVerdict
        var judgedAt: Double
        var inodes: [UInt64]
    }
    private var processes: [String: ProcessRecord] = [:]
    /// Events of the directory: none since the last judgement means no writer ended (its files'
    /// closes would be events) and no file came or went, so the verdicts stand.
    private var watch: DirectoryWatch?
    private var watchFailed = false
    private var lastVerdicts: [String: WriterVerdict]?
    /// When a verdict that rests on time (a dead writer without a lease, files still settling) is due
    /// to be judged again.
    private var nextTimedJudgement = Double.infinity

    init(directory: String, liveness: MultiprocessLifecycle.Liveness) {
        self.directory = directory
        self.liveness = liveness
    }

    /// Whether the previous verdicts still stand: nothing happened in the directory, and no verdict
    /// is due to be judged again by time.
    private func verdictsStand(for writers: [String: WriterRecord]) -> Bool {
        if watch == nil && !watchFailed {
            do {
                watch = try DirectoryWatch(path: directory, ignoring: [DirectoryLock.fileName])
            } catch {
                watchFailed = true
            }
            return false
        }
        guard let watch, let lastVerdicts, lastVerdicts.count == writers.count else { return false }
        // Drained every time, so that the events of this round are not taken for the next one's.
        let changed = watch.drainChanges()
        return !changed && SystemClock.monotonic() < nextTimedJudgement
    }

    deinit {
        for lease in leases.values { lease.descriptor.close() }
    }

    /// Judges every writer; forgets what it knew of writers no longer listed. When nothing happened
    /// in the directory since the previous judgement, its verdicts are returned as they are (one
    /// `read` of the inotify descriptor).
    func judge(_ writers: [String: WriterRecord]) -> [String: WriterVerdict] {
        if liveness == .off {
            return writers.mapValues { _ in WriterVerdict(isAlive: true, reason: "liveness is not judged") }
        }
        if verdictsStand(for: writers), let lastVerdicts { return lastVerdicts }
        // The watch is drained before judging, so an event during the judgement makes the next
        // round judge again.
        nextTimedJudgement = .infinity
        var verdicts: [String: WriterVerdict] = [:]
        verdicts.reserveCapacity(writers.count)
        for (identity, writer) in writers {
            verdicts[identity] = judge(writer, cached: true)
        }
        lastVerdicts = verdicts
        if leases.count > writers.count {
            for identity in leases.keys where writers[identity]?.leaseInode == nil {
                leases.removeValue(forKey: identity)?.descriptor.close()
            }
        }
        if processes.count > writers.count {
            for identity in processes.keys where writers[identity] == nil {
                processes.removeValue(forKey: identity)
            }
        }
        return verdicts
    }

    /// Judges one writer afresh, without what was learned before: the check under the exclusive lock
    /// before its files are archived.
    func confirmDead(_ writer: WriterRecord) -> Bool {
        guard let verdict = judge(writer, cached: false) else { return false }
        return !verdict.isAlive
    }

    private func judge(_ writer: WriterRecord, cached: Bool) -> WriterVerdict? {
        if liveness == .off { return WriterVerdict(isAlive: true, reason: "liveness is not judged") }
        if let inode = writer.leaseInode {
            return judgeLease(writer.identity, inode: inode, cached: cached)
        }
        if liveness == .leasesOnly {
            return WriterVerdict(isAlive: true, reason: "no lease: alive until marked dead")
        }
        guard let pid = Int32(writer.identity), pid > 0, String(pid) == writer.identity else {
            return WriterVerdict(isAlive: true, reason: "no lease and no pid to check: alive until marked dead")
        }
        let inodes = writer.files.map(\.inode).sorted()
        let now = SystemClock.monotonic()
        if cached, let record = processes[writer.identity], record.inodes == inodes {
            if record.verdict.isAlive, let handle = record.handle {
                if !handle.hasExited { return record.verdict }
                let verdict = WriterVerdict(isAlive: false, reason: "process \(pid) exited")
                processes[writer.identity] = ProcessRecord(handle: nil, verdict: verdict, judgedAt: now, inodes: inodes)
                return verdict
            }
            if !record.verdict.isAlive && now - record.judgedAt < Self.deadVerdictSeconds {
                if cached {
                    nextTimedJudgement = Swift.min(nextTimedJudgement, record.judgedAt + Self.deadVerdictSeconds)
                }
                return record.verdict
            }
        }
        let (verdict, handle, settled) = judgeProcess(pid, writer)
        if cached && settled {
            processes[writer.identity] = ProcessRecord(handle: handle, verdict: verdict, judgedAt: now, inodes: inodes)
        }
        if cached {
            noteTimedVerdict(settled: settled, verdict: verdict, handle: handle, judgedAt: now)
        }
        return verdict
    }

    /// Verdicts no event would overturn must be judged again by time: files still settling, a dead
    /// writer without a lease (a Python process may join its files), a live one without a process
    /// handle to poll.
    private func noteTimedVerdict(settled: Bool, verdict: WriterVerdict, handle: ProcessHandle?, judgedAt now: Double) {
        if !settled {
            nextTimedJudgement = Swift.min(nextTimedJudgement, now + 0.2)
        } else if !verdict.isAlive {
            nextTimedJudgement = Swift.min(nextTimedJudgement, now + Self.deadVerdictSeconds)
        } else if handle == nil {
            nextTimedJudgement = now
        }
    }

    private func judgeLease(_ identity: String, inode: UInt64, cached: Bool) -> WriterVerdict? {
        let name = WriterLease.fileName(for: identity)
        if cached, let known = leases[identity], known.inode == inode {
            if let held = try? known.descriptor.isLockedByAnother() {
                return Self.leaseVerdict(held)
            }
        }
        if cached { leases.removeValue(forKey: identity)?.descriptor.close() }
        guard
            let descriptor = try? FileDescriptor.open(
                directory + "/" + name, .readOnly, options: [.noFollow, .nonBlocking])
        else {
            // Gone since the listing (reaped, or released and removed): judge again next time.
            return cached ? WriterVerdict(isAlive: true, reason: "lease changed while judged") : nil
        }
        guard let status = try? descriptor.status(), status.kind == .regular,
            let held = try? descriptor.isLockedByAnother()
        else {
            descriptor.close()
            return WriterVerdict(isAlive: true, reason: "lease cannot be checked: alive until marked dead")
        }
        if cached && status.inode == inode {
            leases[identity] = (inode, descriptor)
        } else {
            descriptor.close()
        }
        return Self.leaseVerdict(held)
    }

    private static func leaseVerdict(_ held: Bool) -> WriterVerdict {
        held
            ? WriterVerdict(isAlive: true, reason: "holds its lease")
            : WriterVerdict(isAlive: false, reason: "its lease was released (the process ended)")
    }

    /// Judges a writer without a lease by its pid. `settled` is false when the verdict rests on files
    /// too new to judge, so it must not be remembered.
    private func judgeProcess(_ pid: Int32, _ writer: WriterRecord) -> (WriterVerdict, ProcessHandle?, Bool) {
        var handle: ProcessHandle?
        do {
            handle = try ProcessHandle(pid: pid)
        } catch {
            if !ProcessTable.exists(pid) {
                return (WriterVerdict(isAlive: false, reason: "no process \(pid)"), nil, true)
            }
        }
        var statuses: [FileStatus] = []
        for file in writer.files {
            if let status = try? FileSystem.status(ofLink: directory + "/" + file.name.fileName) {
                statuses.append(status)
            }
        }
        for marker in writer.markers {
            if let status = try? FileSystem.status(ofLink: directory + "/" + marker.fileName) {
                statuses.append(status)
            }
        }
        let lastChange = statuses.map(\.changeTime).max() ?? 0
        let maps = ProcessMaps.read(pid: pid)
        if let maps, maps.mapsAny(of: writer.files.map { ($0.name.fileName, $0.inode) }) {
            return (WriterVerdict(isAlive: true, reason: "process \(pid) maps its files"), handle, true)
        }
        let mapsReadable = maps != nil
        if SystemClock.wallTime() - lastChange < Self.settlingSeconds {
            return (WriterVerdict(isAlive: true, reason: "its files changed in the last seconds"), nil, false)
        }
        if mapsReadable {
            return (
                WriterVerdict(isAlive: false, reason: "pid \(pid) is another process: it does not map the files"), nil,
                true
            )
        }
        // Memory maps not readable (another user's process): the start time must precede the files.
        if let start = ProcessStatistics.preciseStartTime(pid: pid), start > lastChange + 0.05 {
            return (
                WriterVerdict(
                    isAlive: false, reason: "pid \(pid) was reused: its process started after the files changed"),
                nil, true
            )
        }
        return (WriterVerdict(isAlive: true, reason: "process \(pid) exists"), handle, true)
    }
}

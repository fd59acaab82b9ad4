import PrometheusClient
import PrometheusSystem
import Synchronization

/// Reports that the worker process `pid` has exited, so its files stop counting as live.
///
/// As in the Python client, the process's live-mode gauge files (`livesum`, `livemax`, ...,
/// and this package's live info and state-set files) are deleted; this happens first, so a full disk
/// can never keep a dead process's live gauges. Then, with `archiving` (the default), its other files
/// (counters, histograms, summaries, and gauges in the min, max, sum and mostrecent modes) are folded
/// into per-type archive files in the same `.db` format (`counter_archive.db`,
/// `gauge_max_archive.db`, ...) and deleted, so the directory stops growing with every recycled worker
/// while totals stay exactly the same. Gauges in the `all` mode keep their per-process files, as
/// their `pid` label must survive. Temporary files the process left while creating files are deleted.
///
/// Folding is crash-safe (temporary file, journal, rename, delete) and holds the directory lock, so
/// a concurrent merge by ``MultiProcessCollector`` never counts a value twice or misses it. A fold
/// that fails (a full disk) leaves no partial file and nothing is lost: the process file stays and
/// keeps counting, and the fold is retried by the next `markProcessDead` call and by the next
/// collections of a ``MultiProcessCollector`` in this process.
///
/// Pass `archiving: false` when a Python master also reads the directory: Python's collector only
/// tolerates live-gauge files vanishing while it reads (a counter file deleted by archiving makes its
/// scrape fail with `FileNotFoundError`, or count a value twice or not at all). Without archiving the
/// dead process's files are kept, as Python's `mark_process_dead` does.
///
/// - Parameters:
///   - pid: the process that exited.
///   - path: the multiprocess directory; nil for `PROMETHEUS_MULTIPROC_DIR`.
///   - archiving: whether to fold the dead process's durable files into archives.
/// - Throws: `MultiprocessError.invalidProcessIdentifier` for an unusable identifier,
///   `MultiprocessError.invalidDirectory` when the directory is unusable, and
///   `MultiprocessError.fileFailure` for the first file operation that failed (the rest were still
///   done; failed folds are retried later).
public func markProcessDead(pid: Int32, path: String? = nil, archiving: Bool = true) throws(MultiprocessError) {
    try markProcessDead(processIdentifier: String(pid), path: path, archiving: archiving)
}

/// Reports that the process with a custom identifier has exited; see
/// ``markProcessDead(pid:path:archiving:)``.
///
/// - Throws: as ``markProcessDead(pid:path:archiving:)``.
public func markProcessDead(processIdentifier: String, path: String? = nil, archiving: Bool = true)
    throws(MultiprocessError)
{
    let directory: MultiprocessDirectory
    if let path {
        directory = try MultiprocessDirectory(path: path, forWriting: true)
    } else {
        directory = try MultiprocessDirectory.fromEnvironment(forWriting: true)
    }
    // Whatever happens to this process, processes whose folds failed before get another try.
    defer { ProcessArchiver.retryFailedFolds(in: directory, notMoreOftenThan: 0, except: processIdentifier) }
    try ProcessArchiver(directory: directory).markDead(processIdentifier: processIdentifier, archiving: archiving)
}

/// Folds dead processes' files into archives; see ``markProcessDead(pid:path:archiving:)``.
struct ProcessArchiver {
    let directory: MultiprocessDirectory

    /// What to do with a dead writer's files.
    enum Scope {
        /// Delete the live-mode files; with archiving fold the durable ones.
        case deadWriter(archiving: Bool)
        /// A writer of an earlier run, carried over by a new master: archive as a dead writer, and
        /// delete its `all`-mode gauges too (they described processes of that run).
        case previousGeneration
        /// A writer of an earlier run, removed by a new master: delete every file of it.
        case removal

        /// Whether durable files are folded into archives.
        var archives: Bool {
            switch self {
            case .deadWriter(let archiving): archiving
            case .previousGeneration: true
            case .removal: false
            }
        }

        /// Whether a file of `kind` is deleted outright (before anything is folded).
        func deletes(_ kind: StorageKind) -> Bool {
            switch self {
            case .deadWriter: kind.isLive
            case .previousGeneration: kind.isLive || kind == .gauge(.all)
            case .removal: true
            }
        }

        /// Whether companion files and markers are deleted outright.
        var deletesEverything: Bool {
            if case .removal = self { return true }
            return false
        }
    }

    /// Handles the files of the writer `processIdentifier`, under the exclusive directory lock.
    /// Without `confirm`, a writer that still holds its lease is left alone (it is alive, whatever
    /// the caller believes); with it, `confirm` decides under the lock.
    ///
    /// - Returns: whether the writer's files were handled (false when it turned out alive).
    /// - Throws: the first file operation that failed (the rest were still done).
    @discardableResult
    func markDead(processIdentifier: String, archiving: Bool) throws(MultiprocessError) -> Bool {
        try handle(processIdentifier: processIdentifier, scope: .deadWriter(archiving: archiving), confirm: nil)
    }

    @discardableResult
    func handle(processIdentifier: String, scope: Scope, confirm: (() -> Bool)?) throws(MultiprocessError) -> Bool {
        try WriterIdentity.validate(processIdentifier)
        var steps = StepFailures()
        do {
            let lock = DirectoryLock(directory: directory.path, exclusive: true)
            defer { lock.release() }
            guard isDead(processIdentifier, confirm: confirm) else { return false }
            steps.attempt { () throws(MultiprocessError) in try recoverInterruptedFold() }
            let listing = try list()
            handleFiles(of: processIdentifier, in: listing, scope: scope, steps: &steps)
            if steps.first == nil && listing.leases.contains(where: { $0.identity == processIdentifier }) {
                steps.attempt { () throws(MultiprocessError) in
                    try DurableFile.remove(directory.file(named: WriterLease.fileName(for: processIdentifier)))
                }
            }
            steps.attempt { () throws(MultiprocessError) in try DurableFile.syncDirectory(directory.path) }
        }
        Self.record(processIdentifier, archiving: scope.archives, in: directory.path, failed: steps.first != nil)
        if let failure = steps.first { throw failure }
        return true
    }

    /// Runs steps that each may fail, keeping the first failure: one failed step never keeps the
    /// others from running.
    private struct StepFailures {
        private(set) var first: MultiprocessError?

        mutating func attempt(_ step: () throws(MultiprocessError) -> Void) {
            do {
                try step()
            } catch {
                if first == nil { first = error }
            }
        }
    }

    /// Whether the writer is dead: `confirm` decides when given, else its lease (a writer that holds
    /// it is alive, whatever the caller believes; that is logged).
    private func isDead(_ processIdentifier: String, confirm: (() -> Bool)?) -> Bool {
        if let confirm { return confirm() }
        let leaseName = WriterLease.fileName(for: processIdentifier)
        guard WriterLease.probe(fileName: leaseName, in: directory.path)?.held == true else { return true }
        PrometheusDiagnostics.report(
            .archiver, "not marking \(processIdentifier) dead in \(directory.path): it still holds its writer lease")
        return false
    }

    /// Deletes, then folds, the writer's files as `scope` says. Live files go first: whatever fails
    /// later, the dead process's live gauges are gone.
    private func handleFiles(
        of processIdentifier: String, in listing: MultiprocessListing, scope: Scope, steps: inout StepFailures
    ) {
        let processFiles = listing.names.compactMap { $0 }.filter {
            $0.processIdentifier == processIdentifier && !$0.isArchive
        }
        let companionFiles = listing.companionFiles.map(\.name).filter {
            $0.processIdentifier == processIdentifier && !$0.isArchive
        }
        let markers = listing.markers.filter { $0.processIdentifier == processIdentifier }
        var deleted = processFiles.filter { scope.deletes($0.kind) }.map(\.fileName)
        deleted += listing.temporaryFiles.filter { DBFileName.isTemporaryFile($0, of: processIdentifier) }
        if scope.deletesEverything {
            deleted += companionFiles.map(\.fileName) + markers.map(\.fileName)
        }
        for name in deleted {
            steps.attempt { () throws(MultiprocessError) in try DurableFile.remove(directory.file(named: name)) }
        }
        guard scope.archives else { return }
        for name in processFiles where Self.isFolded(name.kind) {
            steps.attempt { () throws(MultiprocessError) in try fold(name) }
        }
        for name in companionFiles {
            steps.attempt { () throws(MultiprocessError) in
                switch name.contents {
                case .exemplars: try foldExemplars(name)
                case .nativeBuckets: try foldNativeBuckets(name)
                }
            }
        }
        for marker in markers {
            steps.attempt { () throws(MultiprocessError) in try fold(marker) }
        }
    }

    /// Whether a dead writer's files of `kind` are folded into an archive: its durable files except
    /// `all`-mode gauges (whose pid label must survive).
    private static func isFolded(_ kind: StorageKind) -> Bool {
        !kind.isLive && kind != .gauge(.all)
    }

    /// Deletes every archive file (and a journal's leftovers), for a new run that starts from zero.
    ///
    /// - Returns: the number of archives deleted.
    /// - Throws: the first file operation that failed.
    func removeArchives() throws(MultiprocessError) -> Int {
        let lock = DirectoryLock(directory: directory.path, exclusive: true)
        defer { lock.release() }
        try recoverInterruptedFold()
        var removed = 0
        let listing = try list()
        let archives =
            listing.names.compactMap { $0 }.filter(\.isArchive).map(\.fileName)
            + listing.companionFiles.map(\.name).filter(\.isArchive).map(\.fileName)
        for name in archives {
            try DurableFile.remove(directory.file(named: name))
            removed += 1
        }
        try DurableFile.syncDirectory(directory.path)
        return removed
    }

    /// The directory's multiprocess files, listed once.
    private func list() throws(MultiprocessError) -> MultiprocessListing {
        do {
            return try MultiprocessListing.read(directory.path)
        } catch {
            throw .fileFailure(path: directory.path, operation: "list", errno: error)
        }
    }

    /// Finishes or rolls back a fold that a crash interrupted.
    func recoverInterruptedFold() throws(MultiprocessError) {
        guard let journal = ArchiveJournal.read(in: directory.path) else {
            try DurableFile.remove(ArchiveJournal.path(in: directory.path))
            return
        }
        if journal.isArchiveInPlace(in: directory.path) {
            try DurableFile.remove(directory.file(named: journal.absorbed))
        }
        try DurableFile.remove(temporaryPath(for: journal.archive))
        try DurableFile.syncDirectory(directory.path)
        try DurableFile.remove(ArchiveJournal.path(in: directory.path))
    }

    private func temporaryPath(for archive: String) -> String {
        directory.file(named: archive + ".tmp")
    }

    /// Folds one process file into the archive of its kind.
    private func fold(_ name: DBFileName) throws(MultiprocessError) {
        let processPath = directory.file(named: name.fileName)
        let processEntries: [DBFileReader.Entry]
        do {
            processEntries = try DBFileReader.entries(ofFile: processPath)
        } catch {
            // A corrupt file cannot be folded; leave it for the collector to skip and report.
            PrometheusDiagnostics.report(.archiver, "not archiving \(processPath): \(error)")
            return
        }
        try replaceArchive(of: name.kind, absorbing: name.fileName) { archive throws(MultiprocessError) in
            Self.combine(archive: archive, process: processEntries, kind: name.kind)
        }
    }

    /// Folds one process's exemplar file into the archive's of its kind: the latest exemplar of each
    /// key of both. Taking the latest is idempotent, so a crash between the archive's rename and the
    /// process file's deletion needs no journal: the next fold, or a merge reading both, gives the
    /// same exemplars.
    private func foldExemplars(_ name: CompanionFileName) throws(MultiprocessError) {
        let processPath = directory.file(named: name.fileName)
        let archiveName = name.archive
        let archivePath = directory.file(named: archiveName.fileName)
        func latest(_ path: String) -> [(key: [UInt8], exemplar: Exemplar)] {
            do {
                guard let snapshot = try DBFileReader.snapshot(path: path, limit: ExemplarFileLayout.sizeLimit) else {
                    return []
                }
                return try ExemplarFileLayout.latestExemplars(in: snapshot.bytes)
            } catch {
                // Exemplars are samples: an unreadable file's are given up rather than block archiving.
                PrometheusDiagnostics.report(.archiver, "dropping the exemplars of \(path): \(error)")
                return []
            }
        }
        var combined = latest(archivePath)
        var positions: [[UInt8]: Int] = [:]
        for (index, entry) in combined.enumerated() { positions[entry.key] = index }
        for entry in latest(processPath) {
            if let index = positions[entry.key] {
                if ExemplarFileLayout.isNewer(entry.exemplar, than: combined[index].exemplar) {
                    combined[index].exemplar = entry.exemplar
                }
            } else {
                positions[entry.key] = combined.count
                combined.append(entry)
            }
        }
        let temporary = temporaryPath(for: archiveName.fileName)
        _ = try DurableFile.write(ExemplarFileLayout.makeFile(entries: combined), to: temporary)
        do {
            try DurableFile.rename(temporary, to: archivePath)
        } catch {
            try? DurableFile.remove(temporary)
            throw error
        }
        try DurableFile.syncDirectory(directory.path)
        try DurableFile.remove(processPath)
    }

    /// Folds one process's native histogram file into the archive's: per series, every table of
    /// both added up (``NativeBucketTotal``), tables marked removed left out. Adding is not
    /// idempotent, so this goes through the journal as values files do. A corrupt process file is
    /// left for the merge to skip and report.
    private func foldNativeBuckets(_ name: CompanionFileName) throws(MultiprocessError) {
        let processPath = directory.file(named: name.fileName)
        let archiveName = name.archive.fileName
        let archivePath = directory.file(named: archiveName)
        let processTables: [(key: [UInt8], table: NativeBucketFileLayout.Table)]
        do {
            guard let snapshot = try DBFileReader.snapshot(path: processPath, limit: NativeBucketFileLayout.sizeLimit)
            else { return }
            processTables = try NativeBucketFileLayout.tables(in: snapshot.bytes)
        } catch {
            PrometheusDiagnostics.report(.archiver, "not archiving \(processPath): \(error)")
            return
        }
        var archiveTables: [(key: [UInt8], table: NativeBucketFileLayout.Table)] = []
        do {
            if let snapshot = try DBFileReader.snapshot(path: archivePath, limit: NativeBucketFileLayout.sizeLimit) {
                archiveTables = try NativeBucketFileLayout.tables(in: snapshot.bytes)
            }
        } catch {
            throw .unusableFile(path: archivePath, problem: error)
        }
        let combined = NativeBucketMerger.totals(of: archiveTables + processTables)
        try installArchive(
            NativeBucketFileLayout.makeFile(entries: combined), named: archiveName, absorbing: name.fileName)
    }

    /// Folds a storage-failure marker's count into the counter archive.
    private func fold(_ marker: StorageFailureMarker) throws(MultiprocessError) {
        let entry = DBFileReader.Entry(
            key: StorageFailureMarker.counterKey, value: Double(marker.count), timestamp: 0, offset: 0)
        try replaceArchive(of: .counter, absorbing: marker.fileName) { archive throws(MultiprocessError) in
            Self.combine(archive: archive, process: [entry], kind: .counter)
        }
    }

    /// Writes the archive of `kind` anew with `update` applied, then deletes the absorbed file, with
    /// the journal making every step crash-safe. On failure before the rename nothing has changed.
    private func replaceArchive(
        of kind: StorageKind, absorbing absorbed: String,
        _ update: ([DBFileReader.Entry]) throws(MultiprocessError) -> [DBFileReader.Entry]
    ) throws(MultiprocessError) {
        let archiveName = DBFileName(kind: kind, processIdentifier: DBFileName.archiveIdentifier).fileName
        let archivePath = directory.file(named: archiveName)
        var archiveEntries: [DBFileReader.Entry] = []
        do {
            if let snapshot = try DBFileReader.snapshot(path: archivePath) {
                archiveEntries = try DBFileReader.entries(of: snapshot.bytes)
            }
        } catch {
            throw .unusableFile(path: archivePath, problem: error)
        }
        let merged = try update(archiveEntries)
        let bytes = DBFileLayout.makeFile(entries: merged.map { ($0.key.encoded, $0.value, $0.timestamp) })
        try installArchive(bytes, named: archiveName, absorbing: absorbed)
    }

    /// Puts `bytes` in place as the archive `archiveName` and deletes the absorbed file, with the
    /// journal making every step crash-safe. On failure before the rename nothing has changed.
    private func installArchive(_ bytes: [UInt8], named archiveName: String, absorbing absorbed: String)
        throws(MultiprocessError)
    {
        let archivePath = directory.file(named: archiveName)
        let temporary = temporaryPath(for: archiveName)
        let inode = try DurableFile.write(bytes, to: temporary)
        do {
            try ArchiveJournal(archive: archiveName, archiveInode: inode, absorbed: absorbed).write(in: directory.path)
            try DurableFile.syncDirectory(directory.path)
            try DurableFile.rename(temporary, to: archivePath)
        } catch {
            // Not renamed: the archive and the absorbed file are as they were.
            try? DurableFile.remove(temporary)
            try? DurableFile.remove(ArchiveJournal.path(in: directory.path))
            throw error
        }
        // Renamed: a crash from here on is finished by recoverInterruptedFold.
        try DurableFile.syncDirectory(directory.path)
        try DurableFile.remove(directory.file(named: absorbed))
        try DurableFile.syncDirectory(directory.path)
        try DurableFile.remove(ArchiveJournal.path(in: directory.path))
    }

    /// The archive's entries with the process's folded in, by the ``MergeRule`` of the file kind.
    static func combine(
        archive: [DBFileReader.Entry], process: [DBFileReader.Entry], kind: StorageKind
    ) -> [DBFileReader.Entry] {
        let rule = MergeRule(kind)
        var result = archive
        var positions: [DBKey: Int] = [:]
        for (index, entry) in result.enumerated() where positions[entry.key] == nil {
            positions[entry.key] = index
        }
        for entry in process {
            guard let index = positions[entry.key] else {
                positions[entry.key] = result.count
                result.append(entry)
                continue
            }
            // An archived entry marked removed holds nothing: the process's entry replaces it.
            var present = !MergeRule.isRemoved(timestamp: result[index].timestamp)
            var value = present ? result[index].value : 0
            var timestamp = present ? result[index].timestamp : 0
            rule.fold(
                value: entry.value, timestamp: entry.timestamp, into: &value, mergedTimestamp: &timestamp,
                present: &present)
            guard present else { continue }
            result[index].value = value
            result[index].timestamp = timestamp
        }
        return result
    }

    // MARK: - Retrying failed folds

    private struct Pending {
        var archiving: [String: Bool] = [:]
        var lastAttempt = 0.0
    }

    /// Processes whose files could not all be handled, per directory path, with their archiving choice.
    private static let pending = Mutex<[String: Pending]>([:])

    private static func record(_ identifier: String, archiving: Bool, in directory: String, failed: Bool) {
        pending.withLock { pending in
            if failed {
                pending[directory, default: Pending()].archiving[identifier] = archiving
            } else {
                pending[directory]?.archiving.removeValue(forKey: identifier)
                if pending[directory]?.archiving.isEmpty == true { pending.removeValue(forKey: directory) }
            }
        }
    }

    /// Retries the processes of `directory` whose handling failed, unless the last attempt was less
    /// than `interval` seconds ago. Failures are left for the next attempt.
    static func retryFailedFolds(
        in directory: MultiprocessDirectory, notMoreOftenThan interval: Double, except skipped: String? = nil
    ) {
        let now = SystemClock.monotonic()
        let due: [String: Bool] = pending.withLock { pending in
            guard var entry = pending[directory.path], now - entry.lastAttempt >= interval else { return [:] }
            let due = entry.archiving.filter { $0.key != skipped }
            guard !due.isEmpty else { return [:] }
            entry.lastAttempt = now
            pending[directory.path] = entry
            return due
        }
        for (identifier, archiving) in due.sorted(by: { $0.key < $1.key }) {
            _ = try? ProcessArchiver(directory: directory).markDead(processIdentifier: identifier, archiving: archiving)
        }
    }
}

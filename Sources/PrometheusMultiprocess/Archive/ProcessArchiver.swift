import PrometheusClient
import PrometheusSystem

/// Folds dead processes' files into archives; see ``markProcessDead(pid:path:archiving:)``.
struct ProcessArchiver {
    let directory: MultiprocessDirectory
    /// Where a writer whose files could not all be handled is remembered, for a later try.
    var retries: FoldRetryList = .shared
    /// Where the archiver's messages go: the diagnostics hook, or a collector that logs each one once
    /// (a file that cannot be folded is met again at every scrape).
    var report: (String) -> Void = { PrometheusDiagnostics.report(.archiver, $0) }

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
        retries.record(processIdentifier, archiving: scope.archives, in: directory.path, failed: steps.first != nil)
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
        report("not marking \(processIdentifier) dead in \(directory.path): it still holds its writer lease")
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
    func list() throws(MultiprocessError) -> MultiprocessListing {
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

    func temporaryPath(for archive: String) -> String {
        directory.file(named: archive + ".tmp")
    }
}

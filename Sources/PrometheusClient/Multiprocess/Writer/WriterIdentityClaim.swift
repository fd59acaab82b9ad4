import PrometheusSystem

/// The identity a multiprocess writer's files are named after, and the lease that proves it alive.
///
/// A pid identity is claimed at the first file: `<pid>`, or `<pid>-1`, `<pid>-2`, ... when a live
/// process holds it (the same pid in another pid namespace) or an earlier incarnation's files are
/// still there (a reused pid). A stable identity (``WriterIdentity``) is claimed at start-up, and a
/// predecessor's files are handed over then (``PredecessorHandover``). Not locked itself: its store calls it
/// under the store's lock.
final class WriterIdentityClaim {
    /// Most `<pid>-<n>` identities tried before a writer gives up on a lease.
    static let maximumPidSuffixes = 64

    let directory: MultiprocessDirectory
    /// The identity asked for; a forked child of a stable identity's holder writes as its pid.
    private var requested: WriterIdentity
    /// The identity written under, once claimed, and the lease that holds it.
    private(set) var claimedIdentifier: String?
    private var lease: WriterLease?
    private var loggedFailure = false
    private(set) var processID: Int32

    init(directory: MultiprocessDirectory, requested: WriterIdentity, processID: Int32) {
        self.directory = directory
        self.requested = requested
        self.processID = processID
    }

    /// The identifier in this process's file names: the claimed one, else what will be claimed.
    var identifier: String {
        if let claimedIdentifier { return claimedIdentifier }
        if case .named(let name) = requested { return name }
        return String(processID)
    }

    /// Claims an identity unless one is held: the stable one asked for, falling back to the pid
    /// when it is taken (a test store claiming lazily), logging the fallback once.
    func claimIfNeeded() {
        guard claimedIdentifier == nil else { return }
        if case .processID = requested {
            claimProcessIdentity()
            return
        }
        do {
            try claimStable()
        } catch {
            logOnce("\(error); writing as its pid instead")
            requested = .processID
            claimProcessIdentity()
        }
    }

    /// Claims the stable identity asked for (nothing for a pid identity).
    ///
    /// - Throws: `MultiprocessError.identityInUse`, `.noFreeSlot`, `.invalidProcessIdentifier`, or
    ///   `.fileFailure` when the lease cannot be created.
    func claimStable() throws(MultiprocessError) {
        let candidates: [String]
        switch requested {
        case .processID: return
        case .named(let name): candidates = [name]
        case .slot(let index): candidates = [WriterIdentity.slotName(index)]
        case .firstFreeSlot(let count): candidates = (0..<Swift.max(0, count)).map(WriterIdentity.slotName)
        }
        for candidate in candidates {
            try WriterIdentity.validate(candidate)
            guard let claimed = try WriterLease.claim(candidate, in: directory) else { continue }
            // The lease is ours, so no master archives this identity while the predecessor's files
            // are handed over; its gauges must not be continued as if they were this process's.
            try PredecessorHandover.takeOver(candidate, in: directory)
            lease = claimed
            claimedIdentifier = candidate
            return
        }
        if case .firstFreeSlot(let count) = requested { throw .noFreeSlot(count: count, path: directory.path) }
        throw .identityInUse(candidates[0], path: directory.path)
    }

    /// Gives the lease up while the files stay (what the end of the process does).
    func releaseLease() {
        lease?.release()
        lease = nil
    }

    /// Claims the held identity's lease again when its file is gone (the directory was deleted or
    /// `replaced`), so that masters keep judging this writer alive once its files are recreated. A
    /// writer without a lease (none could be claimed) stays without one.
    /// Whether the lease held has lost its file's name (deleted).
    var leaseIsUnlinked: Bool { lease?.isUnlinked ?? false }

    func renewLeaseIfLost(directoryReplaced: Bool) {
        guard let identifier = claimedIdentifier, let held = lease, directoryReplaced || held.isUnlinked else { return }
        held.release()
        lease = nil
        do {
            lease = try WriterLease.claim(identifier, in: directory)
            if lease == nil {
                logOnce("another process holds the lease of \(identifier) in the recreated directory")
            }
        } catch {
            logOnce("cannot claim the writer lease of \(identifier) again (\(error)); liveness is judged by pid")
        }
    }

    /// In a forked child: the parent keeps its identity and lease; the child claims its own pid
    /// identity at its first write.
    func resetInForkedChild(processID: Int32) {
        self.processID = processID
        releaseLease()
        claimedIdentifier = nil
        requested = .processID
        loggedFailure = false
    }

    private func claimProcessIdentity() {
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
            let fallback = "\(pid)-\(String(UInt64.random(in: 1...UInt64.max), radix: 16))"
            claimedIdentifier = fallback
            logOnce(
                "no free identity among \(pid) and \(pid)-1...\(pid)-\(Self.maximumPidSuffixes - 1); writing as \(fallback) without a lease"
            )
        } catch {
            // No lease possible (a read-only or full directory): write as the pid, as Python does.
            claimedIdentifier = pid
            logOnce("cannot claim a writer lease (\(error)); liveness is judged by pid")
        }
    }

    private func logOnce(_ message: String) {
        guard !loggedFailure else { return }
        loggedFailure = true
        PrometheusDiagnostics.report(.writer, "process \(processID): \(message)")
    }

    /// The identities that have `.db` files or failure markers in the directory (a lease alone,
    /// like the one this process may hold, does not count).
    private func identitiesWithFiles() -> Set<String> {
        (try? MultiprocessListing.read(directory.path))?.identitiesWithFiles ?? []
    }
}

/// What a writer taking over a stable identity (``WriterIdentity``) does with the files its
/// predecessor left, before it writes.
///
/// It continues the predecessor's counters, histograms and summaries (and their exemplars and native
/// buckets) in the same files. It deletes the live-mode and `all`-mode gauges, which described a
/// process that is gone. The other gauges (min, max, sum, mostrecent) must not be continued as if
/// they were the successor's, nor be lost: they are renamed to a retired identity
/// `<identity>-retired-<random>` whose lease file nobody holds, so that masters judge them dead and
/// archive them like any dead writer's. A writer therefore never rewrites an archive: archives are
/// the master's alone.
package enum PredecessorHandover {
    /// Hands `identity`'s files over, under the exclusive directory lock, so that no merge sees a
    /// gauge file between its two names. The caller holds `identity`'s lease.
    ///
    /// - Throws: `MultiprocessError.fileFailure` for the first file operation that failed.
    package static func takeOver(_ identity: String, in directory: MultiprocessDirectory) throws(MultiprocessError) {
        // Most claims find nothing to hand over: they take no lock (and create no lock file).
        guard try hasFiles(identity, in: directory) else { return }
        let lock = DirectoryLock(directory: directory.path, exclusive: true)
        defer { lock.release() }
        guard let predecessor = try list(directory).writers[identity] else { return }
        let retired = "\(identity)-retired-\(String(UInt64.random(in: 1...UInt64.max), radix: 16))"
        var retiredLease = false
        for (name, _) in predecessor.files {
            let path = directory.file(named: name.fileName)
            switch name.kind {
            case _ where name.kind.isLive, .gauge(.all):
                try DurableFile.remove(path)
            case .gauge:
                if !retiredLease {
                    // First the lease nobody holds, so that the retired files are judged dead at once.
                    try DurableFile.write([], to: directory.file(named: WriterLease.fileName(for: retired)))
                    retiredLease = true
                }
                let renamed = DBFileName(kind: name.kind, processIdentifier: retired)
                try DurableFile.rename(path, to: directory.file(named: renamed.fileName))
            default:
                continue
            }
        }
        try DurableFile.syncDirectory(directory.path)
    }

    /// Whether `identity` has `.db` files or failure markers in the directory (a lease alone, like
    /// the one the caller holds, does not count).
    static func hasFiles(_ identity: String, in directory: MultiprocessDirectory) throws(MultiprocessError) -> Bool {
        try list(directory).identitiesWithFiles.contains(identity)
    }

    private static func list(_ directory: MultiprocessDirectory) throws(MultiprocessError) -> MultiprocessListing {
        do {
            return try MultiprocessListing.read(directory.path)
        } catch {
            throw .fileFailure(path: directory.path, operation: "list", errno: error)
        }
    }
}

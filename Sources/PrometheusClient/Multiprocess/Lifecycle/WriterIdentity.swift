/// The name under which a worker writes its files in a multiprocess directory (`counter_<identity>.db`,
/// ...), claimed exclusively with a ``WriterLease`` so that two live processes never write one file.
public enum WriterIdentity: Sendable, Hashable {
    /// The process id, as in the Python client (the default). When another live process holds it
    /// (the same pid in another pid namespace sharing the directory), or files of an earlier
    /// process with the pid are still there (a reused pid), the writer takes `<pid>-1`, `<pid>-2`, ...
    /// instead, so it never continues another incarnation's series. Claimed at the first write and
    /// again in every forked child.
    case processID
    /// A fixed name (Python's `MultiProcessValue(process_identifier)`): no `/`, `_` or NUL, not
    /// `archive`. Claimed when multiprocess mode is enabled; the successor of a dead holder continues
    /// its counters, histograms and summaries (so totals stay exact without archiving) but never its
    /// gauges. A child forked by the holder writes under its own pid.
    case named(String)
    /// `slot<index>`: a worker slot of a pre-forking server, which bounds the number of files by the
    /// number of slots. Claimed like ``named(_:)``.
    case slot(Int)
    /// The first slot of `0..<count` that no live process holds, claimed like ``named(_:)``.
    case firstFreeSlot(below: Int)

    /// The name of slot `index` in file names.
    package static func slotName(_ index: Int) -> String {
        "slot\(index)"
    }

    /// Checks that `identifier` can appear in file names and that a merge can tell it from the rest.
    ///
    /// - Throws: `MultiprocessError.invalidProcessIdentifier`.
    package static func validate(_ identifier: String) throws(MultiprocessError) {
        guard !identifier.isEmpty else { throw .invalidProcessIdentifier(identifier, reason: "it is empty") }
        guard identifier != DBFileName.archiveIdentifier else {
            throw .invalidProcessIdentifier(identifier, reason: "\"archive\" names the archive files")
        }
        guard !identifier.contains("/"), !identifier.contains("_"), !identifier.utf8.contains(0) else {
            throw .invalidProcessIdentifier(identifier, reason: "it must not contain /, _ or NUL")
        }
    }
}

import PrometheusClient

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
/// - Returns: whether the files were handled: false when the writer still holds its lease (it is
///   alive, whatever the caller believes), which is logged and changes nothing.
/// - Throws: `MultiprocessError.invalidProcessIdentifier` for an unusable identifier,
///   `MultiprocessError.invalidDirectory` when the directory is unusable, and
///   `MultiprocessError.fileFailure` for the first file operation that failed (the rest were still
///   done; failed folds are retried later).
@discardableResult
public func markProcessDead(pid: Int32, path: String? = nil, archiving: Bool = true) throws(MultiprocessError) -> Bool {
    try markProcessDead(processIdentifier: String(pid), path: path, archiving: archiving)
}

/// Reports that the process with a custom identifier has exited; see
/// ``markProcessDead(pid:path:archiving:)``.
///
/// - Returns: as ``markProcessDead(pid:path:archiving:)``.
/// - Throws: as ``markProcessDead(pid:path:archiving:)``.
@discardableResult
public func markProcessDead(processIdentifier: String, path: String? = nil, archiving: Bool = true)
    throws(MultiprocessError) -> Bool
{
    let directory: MultiprocessDirectory
    if let path {
        directory = try MultiprocessDirectory(path: path, forWriting: true)
    } else {
        directory = try MultiprocessDirectory.fromEnvironment(forWriting: true)
    }
    // Whatever happens to this process, processes whose folds failed before get another try.
    defer { FoldRetryList.shared.retry(in: directory, notMoreOftenThan: 0, except: processIdentifier) }
    return try ProcessArchiver(directory: directory).markDead(
        processIdentifier: processIdentifier, archiving: archiving)
}

import Foundation

/// Reports that the worker process `pid` has exited, so its files stop counting as live.
///
/// As in the Python client, the process's live-mode gauge files (`livesum`, `livemax`, ...,
/// and this package's live info and state-set files) are deleted. Beyond Python, its other files
/// (counters, histograms, summaries, and gauges in the min, max, sum and mostrecent modes) are folded
/// into per-type archive files in the same `.db` format (`counter_archive.db`,
/// `gauge_max_archive.db`, ...) and deleted, so the directory stops growing with every recycled worker
/// while totals stay exactly the same, and a Python master still reads the directory. Gauges in the
/// `all` mode keep their per-process files, as their `pid` label must survive.
///
/// Folding is crash-safe (temporary file, journal, rename, delete) and holds the directory lock, so
/// a concurrent merge by ``MultiProcessCollector`` never counts a value twice or misses it.
///
/// - Parameters:
///   - pid: the process that exited.
///   - path: the multiprocess directory; nil for `PROMETHEUS_MULTIPROC_DIR`.
/// - Throws: `MultiprocessError` when the directory is unusable or a file operation fails (files not
///   yet folded stay as they were and keep counting).
public func markProcessDead(pid: Int32, path: String? = nil) throws(MultiprocessError) {
    try markProcessDead(processIdentifier: String(pid), path: path)
}

/// Reports that the process with a custom identifier has exited; see ``markProcessDead(pid:path:)``.
///
/// - Throws: as ``markProcessDead(pid:path:)``.
public func markProcessDead(processIdentifier: String, path: String? = nil) throws(MultiprocessError) {
    let directory: MultiprocessDirectory
    if let path {
        directory = try MultiprocessDirectory(path: path, forWriting: true)
    } else {
        directory = try MultiprocessDirectory.fromEnvironment(forWriting: true)
    }
    try ProcessArchiver(directory: directory).markDead(processIdentifier: processIdentifier)
}

/// Folds dead processes' files into archives; see ``markProcessDead(pid:path:)``.
struct ProcessArchiver {
    let directory: MultiprocessDirectory

    func markDead(processIdentifier: String) throws(MultiprocessError) {
        guard processIdentifier != DBFileName.archiveIdentifier, !processIdentifier.isEmpty else {
            throw .invalidDirectory(
                path: directory.path, reason: "\"\(processIdentifier)\" is not a process identifier")
        }
        let lock = DirectoryLock(directory: directory.path, exclusive: true)
        defer { lock.release() }
        try recoverInterruptedFold()
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for fileName in names.sorted() {
            guard let name = DBFileName(fileName: fileName), name.processIdentifier == processIdentifier else {
                continue
            }
            if name.kind.isLive {
                try FileOperations.remove(directory.file(named: fileName))
            } else if case .gauge(.all) = name.kind {
                continue
            } else {
                try fold(name)
            }
        }
        FileOperations.syncDirectory(directory.path)
    }

    /// Finishes or rolls back a fold that a crash interrupted.
    func recoverInterruptedFold() throws(MultiprocessError) {
        guard let journal = ArchiveJournal.read(in: directory.path) else {
            try FileOperations.remove(ArchiveJournal.path(in: directory.path))
            return
        }
        if journal.isArchiveInPlace(in: directory.path) {
            try FileOperations.remove(directory.file(named: journal.absorbed))
        }
        try FileOperations.remove(temporaryPath(for: journal.archive))
        FileOperations.syncDirectory(directory.path)
        try FileOperations.remove(ArchiveJournal.path(in: directory.path))
    }

    private func temporaryPath(for archive: String) -> String {
        directory.file(named: archive + ".tmp")
    }

    /// Folds one process file into the archive of its kind.
    private func fold(_ name: DBFileName) throws(MultiprocessError) {
        let processPath = directory.file(named: name.fileName)
        let archiveName = DBFileName(kind: name.kind, processIdentifier: DBFileName.archiveIdentifier).fileName
        let archivePath = directory.file(named: archiveName)
        let processEntries: [DBFileReader.Entry]
        do {
            processEntries = try DBFileReader.entries(ofFile: processPath)
        } catch {
            // A corrupt file cannot be folded; leave it for the collector to skip and report.
            DiagnosticLog.write("not archiving \(processPath): \(error)")
            return
        }
        var archiveEntries: [DBFileReader.Entry] = []
        if FileManager.default.fileExists(atPath: archivePath) {
            do {
                archiveEntries = try DBFileReader.entries(ofFile: archivePath)
            } catch {
                throw .fileFailure(path: archivePath, operation: "read the archive (\(error))", errno: EIO)
            }
        }
        let merged = Self.combine(archive: archiveEntries, process: processEntries, kind: name.kind)
        let bytes = DBFileLayout.makeFile(
            entries: merged.map { entry in
                (
                    PythonJSONKey.encode(
                        familyName: entry.key.familyName, sampleName: entry.key.sampleName, labels: entry.key.labels,
                        help: entry.key.help),
                    entry.value, entry.timestamp
                )
            })
        let temporary = temporaryPath(for: archiveName)
        let inode = try FileOperations.writeDurably(bytes, to: temporary)
        try ArchiveJournal(archive: archiveName, archiveInode: inode, absorbed: name.fileName).write(in: directory.path)
        FileOperations.syncDirectory(directory.path)
        try FileOperations.rename(temporary, to: archivePath)
        FileOperations.syncDirectory(directory.path)
        try FileOperations.remove(processPath)
        FileOperations.syncDirectory(directory.path)
        try FileOperations.remove(ArchiveJournal.path(in: directory.path))
    }

    /// The archive's entries with the process's folded in, by the rule of the file kind: sums for
    /// counters, histograms, summaries and sum gauges, min and max for those modes, and the latest
    /// timestamp for mostrecent.
    static func combine(
        archive: [DBFileReader.Entry], process: [DBFileReader.Entry], kind: DBFileName.Kind
    ) -> [DBFileReader.Entry] {
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
            switch kind {
            case .gauge(.min), .gauge(.livemin):
                result[index].value = min(result[index].value, entry.value)
            case .gauge(.max), .gauge(.livemax):
                result[index].value = max(result[index].value, entry.value)
            case .gauge(.mostrecent), .gauge(.livemostrecent):
                if entry.timestamp > result[index].timestamp {
                    result[index].value = entry.value
                    result[index].timestamp = entry.timestamp
                }
            default:
                result[index].value += entry.value
            }
        }
        return result
    }
}

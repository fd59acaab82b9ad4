import PrometheusClient
import PrometheusSystem

/// Folding one dead writer's file into its archive: read both, combine by the merge rule, write the
/// archive anew through the journal, delete the absorbed file.
extension ProcessArchiver {
    /// Folds one process file into the archive of its kind.
    func fold(_ name: DBFileName) throws(MultiprocessError) {
        let processPath = directory.file(named: name.fileName)
        let processEntries: [DBFileReader.Entry]
        do {
            processEntries = try DBFileReader.entries(ofFile: processPath)
        } catch {
            // A corrupt file cannot be folded; leave it for the collector to skip and report.
            report("not archiving \(processPath): \(error)")
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
    func foldExemplars(_ name: CompanionFileName) throws(MultiprocessError) {
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
                report("dropping the exemplars of \(path): \(error)")
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
    func foldNativeBuckets(_ name: CompanionFileName) throws(MultiprocessError) {
        let processPath = directory.file(named: name.fileName)
        let archiveName = name.archive.fileName
        let archivePath = directory.file(named: archiveName)
        let processTables: [(key: [UInt8], table: NativeBucketFileLayout.Table)]
        do {
            guard let snapshot = try DBFileReader.snapshot(path: processPath, limit: NativeBucketFileLayout.sizeLimit)
            else { return }
            processTables = try NativeBucketFileLayout.tables(in: snapshot.bytes)
        } catch {
            report("not archiving \(processPath): \(error)")
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
    func fold(_ marker: StorageFailureMarker) throws(MultiprocessError) {
        let entry = DBFileReader.Entry(
            key: StorageFailureMarker.counterKey, value: Double(marker.count), timestamp: 0, offset: 0)
        try replaceArchive(of: .counter, absorbing: marker.fileName) { archive throws(MultiprocessError) in
            Self.combine(archive: archive, process: [entry], kind: .counter)
        }
    }

    /// Writes the archive of `kind` anew with `update` applied, then deletes the absorbed file, with
    /// the journal making every step crash-safe. On failure before the rename nothing has changed.
    func replaceArchive(
        of kind: StorageKind, absorbing absorbed: String,
        _ update: ([DBFileReader.Entry]) throws(MultiprocessError) -> [DBFileReader.Entry]
    ) throws(MultiprocessError) {
        let archiveName = DBFileName(kind: kind, processIdentifier: DBFileName.archiveIdentifier).fileName
        let archivePath = directory.file(named: archiveName)
        var archiveEntries: [DBFileReader.Entry] = []
        do {
            if let snapshot = try DBFileReader.snapshot(
                path: archivePath, checkingFirst: DBFileReader.checkEntries(inFirst:))
            {
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
    func installArchive(_ bytes: [UInt8], named archiveName: String, absorbing absorbed: String)
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
}

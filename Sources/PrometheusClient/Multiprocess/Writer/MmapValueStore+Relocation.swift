import PrometheusSystem

extension MmapValueStore {
    // MARK: - A directory deleted or replaced at run time

    /// What slow paths and the healing thread do under the lock: notice files that lost their names
    /// and recreate them, and move series kept in memory back into the files.
    ///
    /// - Returns: whether the healing thread goes on: files to watch, or series to move.
    @discardableResult
    func maintainLocked() -> Bool {
        relocateIfGoneLocked()
        let healing = healIfDueLocked()
        return healing || watchedDirectory != nil
    }

    /// Remembers which directory the files are in (at the first file) and starts the thread that
    /// watches it, so that a directory deleted while no series is created is noticed too.
    func watchDirectoryLocked() {
        if watchedDirectory == nil {
            watchedDirectory = try? FileSystem.status(ofPath: directory.path)
        }
        startHealerLocked()
    }

    /// At most every ``healInterval`` seconds: when the directory is gone or replaced (a `/tmp`
    /// cleaner, an `rm -rf`), or one of this process's files lost its name, recreates the directory,
    /// claims the lease again and moves every series of a lost file into a new one. Costs a `stat`
    /// and an `fstat` per file when nothing happened.
    func relocateIfGoneLocked() {
        guard let watched = watchedDirectory else { return }
        let now = SystemClock.monotonic()
        guard now - lastDirectoryCheck >= healInterval else { return }
        lastDirectoryCheck = now
        let current = try? FileSystem.status(ofPath: directory.path)
        let replaced =
            current.map { $0.kind != .directory || $0.device != watched.device || $0.inode != watched.inode } ?? true
        if replaced {
            guard let recreated = recreateDirectoryLocked(current, permissions: watched.permissions) else { return }
            watchedDirectory = recreated
        }
        let lostValueFiles = Set(files.filter { replaced || $0.value.isUnlinked }.keys)
        let lostExemplarFiles = Set(exemplarFiles.filter { replaced || $0.value.isUnlinked }.keys)
        let lostNativeFile = nativeFile.map { replaced || $0.isUnlinked } ?? false
        guard
            replaced || !lostValueFiles.isEmpty || !lostExemplarFiles.isEmpty || lostNativeFile
                || identity.leaseIsUnlinked
        else {
            lossSeen = false
            return
        }
        // Files gone from a directory still there: an `rm -rf` may be deleting it right now, and a
        // file made in it meanwhile would make that fail. The next round knows.
        if !replaced && !lossSeen {
            lossSeen = true
            return
        }
        lossSeen = false
        identity.renewLeaseIfLost(directoryReplaced: replaced)
        guard !lostValueFiles.isEmpty || !lostExemplarFiles.isEmpty || lostNativeFile else { return }
        PrometheusDiagnostics.report(
            .writer,
            "process \(identity.processID): its files in \(directory.path) were deleted\(replaced ? " with the directory" : ""); writing every value into new ones"
        )
        retireLocked(valueFiles: lostValueFiles, exemplarFiles: lostExemplarFiles, nativeFile: lostNativeFile)
    }

    /// The directory made again at `directory.path` when it is missing, or nil (logged once) when
    /// something else is there or it cannot be made.
    private func recreateDirectoryLocked(_ current: FileStatus?, permissions: UInt32) -> FileStatus? {
        if let current, current.kind == .directory { return current }
        do throws(Errno) {
            if current != nil { throw .notDirectory }
            try FileSystem.makeDirectories(directory.path, permissions: permissions)
            return try FileSystem.status(ofPath: directory.path)
        } catch {
            reportRelocationFailureLocked(error)
            return nil
        }
    }

    /// Copies every entry of the lost value files into new files, then stops using the lost files
    /// (keeping them mapped) and queues every series in them to move at once (``StrandedSeries``),
    /// its current values stored over the copies; exemplars and native buckets start new entries.
    /// When a new file cannot take the copy, nothing changes and the next round tries again.
    private func retireLocked(
        valueFiles: Set<String>, exemplarFiles lostExemplars: Set<String>, nativeFile lostNative: Bool
    ) {
        var successors: [String: MmapFile] = [:]
        for prefix in valueFiles {
            guard let lost = files[prefix], let kind = StorageKind(filePrefix: Substring(prefix)) else { continue }
            do throws(MultiprocessError) {
                let successor = try MmapFile(
                    name: DBFileName(kind: kind, processIdentifier: identity.identifier), in: directory)
                try lost.copyEntries(into: successor)
                successors[prefix] = successor
            } catch {
                reportRelocationFailureLocked(error)
                lossSeen = true
                return
            }
        }
        for (prefix, successor) in successors {
            if let lost = files[prefix] { retiredFiles.append(lost) }
            files[prefix] = successor
        }
        for prefix in lostExemplars {
            if let file = exemplarFiles.removeValue(forKey: prefix) { retiredFiles.append(file) }
        }
        if lostNative, let file = nativeFile {
            retiredFiles.append(file)
            nativeFile = nil
        }
        if let counterFile = successors[StorageKind.counter.filePrefix] { failures.reattach(to: counterFile) }
        if valueFiles.contains(StorageKind.gauge(.livesum).filePrefix) { stranded.detachGauge() }
        for entry in liveSeries {
            guard let series = entry.series, !series.isDetached, series.isBound,
                let binding = series.currentBinding, binding.isExternal
            else { continue }
            let prefix = series.descriptor.kind.filePrefix
            if valueFiles.contains(prefix) { stranded.add(series) }
            if lostExemplars.contains(prefix) { series.exemplarSlots.removeAll() }
            if lostNative { series.nativeRecorder?.relocateLocked() }
        }
        startHealerLocked()
    }

    /// Logs, once per process, that lost files could not be made again yet.
    private func reportRelocationFailureLocked(_ error: any Error) {
        guard !loggedRelocationFailure else { return }
        loggedRelocationFailure = true
        PrometheusDiagnostics.report(
            .writer,
            "process \(identity.processID): cannot make its files in \(directory.path) again (\(error)); values stay in the old files' memory until it can"
        )
    }
}

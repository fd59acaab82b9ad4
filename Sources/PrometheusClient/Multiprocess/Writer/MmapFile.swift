import CPrometheusSupport
import PrometheusSystem

/// One process's `.db` file, mapped into memory for writing, in the Python client's layout
/// (``DBFileLayout``).
///
/// The file is mapped at the start of a large reserved address range, and growth maps the new part
/// right after the old one, so a slot pointer handed out once stays valid for the life of the mapping.
/// Space is reserved with `posix_fallocate` before it is mapped, so writing through the mapping can
/// never raise SIGBUS on a full disk: growth fails with an error instead.
///
/// Not thread-safe: the owning ``MmapValueStore`` calls it under its lock. Only the slot pointers it
/// returns are used concurrently, with atomic operations.
final class MmapFile {
    /// Address space reserved per file; also the largest size a file can grow to. `used` is an
    /// `Int32` in the format, so files can never usefully exceed 2 GiB anyway.
    static let reservationSize = 1 << 30

    /// The final path (`<dir>/counter_<pid>.db`, ...).
    let path: String
    private var descriptor: FileDescriptor?
    private let reservation: AddressReservation
    private var base: UnsafeMutableRawPointer { reservation.base }
    /// Bytes of the file currently mapped (the file's size).
    private(set) var capacity: Int
    /// Bytes in use, as published in the header.
    private(set) var used: Int
    /// Offset of the value double of every entry, by key bytes (Python's `_positions`).
    private var positions: [[UInt8]: Int]
    private var isOpen = true

    /// Opens the file `name` of `directory`, reusing its entries when it exists (as Python does when
    /// a pid reappears), or creates it initialised under a temporary name and renames it into place,
    /// so that a reader never sees an empty or half-initialised `.db` file.
    ///
    /// - Throws: `MultiprocessError.fileFailure` naming the operation that failed (create, allocate,
    ///   map, read a corrupt existing file, ...).
    convenience init(name: DBFileName, in directory: MultiprocessDirectory) throws(MultiprocessError) {
        try self.init(
            path: directory.file(named: name.fileName), contents: .values,
            temporaryPath: { directory.file(named: name.temporaryFileName) })
    }

    /// Opens or creates the companion file `name` (exemplars: ``ExemplarFileLayout``, native
    /// buckets: ``NativeBucketFileLayout``), as ``init(name:in:)``.
    ///
    /// - Throws: as ``init(name:in:)``.
    convenience init(companion name: CompanionFileName, in directory: MultiprocessDirectory) throws(MultiprocessError) {
        try self.init(
            path: directory.file(named: name.fileName),
            contents: name.contents == .exemplars ? .exemplars : .nativeBuckets,
            temporaryPath: { directory.file(named: name.temporaryFileName) })
    }

    /// What a file's entries hold after their keys.
    enum Contents {
        /// A value and a timestamp (``DBFileLayout``).
        case values
        /// Exemplar records (``ExemplarFileLayout``).
        case exemplars
        /// Native bucket tables (``NativeBucketFileLayout``), appended and never looked up by key.
        case nativeBuckets
    }

    private let contents: Contents

    private init(path: String, contents: Contents, temporaryPath: () -> String) throws(MultiprocessError) {
        self.path = path
        self.contents = contents
        do {
            reservation = try AddressReservation(size: Self.reservationSize)
        } catch {
            throw .fileFailure(path: path, operation: "reserve address space", errno: error)
        }
        capacity = 0
        used = 0
        positions = [:]
        do {
            try openOrCreate(temporaryPath: temporaryPath)
        } catch {
            close()
            throw error
        }
    }

    deinit {
        close()
    }

    /// Whether the file has lost its name (deleted, or its directory removed) while this process
    /// keeps it open and mapped: one `fstat`. A file that cannot be asked counts as still there.
    var isUnlinked: Bool {
        guard let descriptor, let status = try? descriptor.status() else { return false }
        return status.linkCount == 0
    }

    /// Unmaps the file and closes its descriptor. The slot pointers become invalid.
    func close() {
        guard isOpen else { return }
        isOpen = false
        reservation.release()
        descriptor?.close()
        descriptor = nil
    }

    /// Pointers to the value doubles of `keys`, creating the missing entries (value 0, timestamp
    /// `initialTimestamp`) in one step: all new entries are written first, then `used` is published
    /// with release ordering. An existing entry marked removed (``MergeRule/isRemoved(timestamp:)``)
    /// starts afresh the same way; other existing entries are continued as they are.
    ///
    /// - Throws: `MultiprocessError.fileFailure` when the file cannot grow to hold the new entries;
    ///   nothing is written then.
    func slots(for keys: [[UInt8]], initialTimestamp: Double = 0) throws(MultiprocessError)
        -> [UnsafeMutablePointer<Double>]
    {
        var newKeys: [[UInt8]] = []
        var newSize = 0
        var seen = Set<[UInt8]>()
        for key in keys where positions[key] == nil && seen.insert(key).inserted {
            newKeys.append(key)
            newSize += DBFileLayout.entrySize(forKeyLength: key.count)
        }
        if !newKeys.isEmpty {
            let required = used + newSize
            if required > capacity {
                try grow(toFit: required)
            }
            var offset = used
            for key in newKeys {
                writeEntry(key: key, at: offset, timestamp: initialTimestamp)
                positions[key] = DBFileLayout.valueOffset(entryOffset: offset, keyLength: key.count)
                offset += DBFileLayout.entrySize(forKeyLength: key.count)
            }
            used = offset
            prometheus_atomic_store_int32_release(base.assumingMemoryBound(to: Int32.self), Int32(used))
        }
        return keys.map { key in
            let slot = (base + positions[key]!).assumingMemoryBound(to: Double.self)
            if MergeRule.isRemoved(timestamp: prometheus_atomic_load_double(slot + 1)) {
                // Recreated after a removal: from zero, and a reader sees the zero before the mark goes.
                prometheus_atomic_store_double(slot, 0)
                prometheus_atomic_store_double_release(slot + 1, initialTimestamp)
            }
            return slot
        }
    }

    /// Copies every entry of this value file into `other` in file order: key, value and timestamp
    /// (a removal mark too), the missing entries made there first. What a file that lost its name
    /// (its directory was deleted) does for its successor, so that series whose metric is gone keep
    /// their values as well.
    ///
    /// - Throws: `MultiprocessError.fileFailure` when `other` cannot grow; nothing is written then.
    func copyEntries(into other: MmapFile) throws(MultiprocessError) {
        precondition(contents == .values && other.contents == .values, "entries are copied between value files")
        let keys = positions.sorted { $0.value < $1.value }.map(\.key)
        let targets = try other.slots(for: keys)
        for (key, target) in zip(keys, targets) {
            let source = (base + positions[key]!).assumingMemoryBound(to: Double.self)
            prometheus_atomic_store_double(target, prometheus_atomic_load_double(source))
            prometheus_atomic_store_double_release(target + 1, prometheus_atomic_load_double(source + 1))
        }
    }

    /// The exemplar slot (``ExemplarFileLayout``, at its capacity field) of `key` that holds labels
    /// of `labelBytes` bytes: the key's entry when it is large enough, else a new entry appended for
    /// the key, published as ``slots(for:initialTimestamp:)`` publishes entries. Exemplar files only.
    ///
    /// - Throws: `MultiprocessError.fileFailure` when the file cannot grow; nothing is written then.
    func exemplarSlot(for key: [UInt8], labelBytes: Int) throws(MultiprocessError) -> UnsafeMutableRawPointer {
        precondition(contents == .exemplars, "exemplar slots live in exemplar files")
        if let offset = positions[key],
            Int(UInt32(littleEndian: (base + offset).loadUnaligned(as: UInt32.self))) >= labelBytes
        {
            return base + offset
        }
        let capacity = ExemplarFileLayout.capacity(forLabelBytes: labelBytes)
        let size = ExemplarFileLayout.entrySize(forKeyLength: key.count, capacity: capacity)
        if used + size > self.capacity {
            try grow(toFit: used + size)
        }
        let slot = DBFileLayout.writeEntryPrefix(key: key, at: base + used)
        slot.initializeMemory(as: UInt8.self, repeating: 0, count: ExemplarFileLayout.tailSize(capacity: capacity))
        slot.storeBytes(of: UInt32(capacity).littleEndian, as: UInt32.self)
        positions[key] = slot - base
        used += size
        prometheus_atomic_store_int32_release(base.assumingMemoryBound(to: Int32.self), Int32(used))
        return slot
    }

    /// Appends a native bucket table for `key` (``NativeBucketFileLayout``): header written, buckets
    /// zero (the space past `used` may hold what a killed writer left, so it is cleared first), then
    /// published as ``slots(for:initialTimestamp:)`` publishes entries. Native bucket files only.
    ///
    /// - Returns: the table header's address, valid while the file is open.
    /// - Throws: `MultiprocessError.fileFailure` when the file cannot grow; nothing is written then.
    func appendNativeTable(
        key: [UInt8], capacity tableCapacity: Int, flags: UInt32, schema: Int32, zeroThreshold: Double
    ) throws(MultiprocessError) -> UnsafeMutableRawPointer {
        precondition(contents == .nativeBuckets, "native tables live in native bucket files")
        let size = NativeBucketFileLayout.entrySize(forKeyLength: key.count, capacity: tableCapacity)
        if used + size > capacity {
            try grow(toFit: used + size)
        }
        let entry = base + used
        entry.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        let table = NativeBucketFileLayout.writeEntry(
            key: key, capacity: tableCapacity, flags: flags, schema: schema, zeroThreshold: zeroThreshold, at: entry)
        used += size
        prometheus_atomic_store_int32_release(base.assumingMemoryBound(to: Int32.self), Int32(used))
        return table
    }

    /// Marks the entries behind `slots` removed: values zeroed, then the removal mark stored, so that
    /// no reader counts them (Python's readers, which ignore the mark, see 0).
    static func markRemoved(_ slots: [UnsafeMutablePointer<Double>], at time: Double) {
        for slot in slots {
            prometheus_atomic_store_double(slot, 0)
            prometheus_atomic_store_double_release(slot + 1, MergeRule.removalMark(at: time))
        }
    }

    private func writeEntry(key: [UInt8], at offset: Int, timestamp: Double) {
        let tail = DBFileLayout.writeEntryPrefix(key: key, at: base + offset)
        // A reused file may hold garbage past `used` (a writer killed mid-entry); zero the doubles.
        tail.initializeMemory(as: UInt8.self, repeating: 0, count: 16)
        (tail + 8).storeBytes(of: timestamp.bitPattern.littleEndian, as: UInt64.self)
    }

    private func fail(_ operation: String, _ error: Errno) -> MultiprocessError {
        .fileFailure(path: path, operation: operation, errno: error)
    }

    private func tooLarge(_ size: Int, limit: Int, limitName: String) -> MultiprocessError {
        .fileTooLarge(path: path, size: size, limit: limit, limitName: limitName)
    }

    // MARK: - Opening

    private func openOrCreate(temporaryPath: () -> String) throws(MultiprocessError) {
        let existing: FileDescriptor
        do {
            // Never blocks, so a FIFO planted under the name cannot hang the worker.
            existing = try FileDescriptor.open(path, .readWrite, options: .nonBlocking)
        } catch  where error == .noSuchFileOrDirectory {
            try createNew(temporaryPath: temporaryPath)
            return
        } catch {
            throw fail("open", error)
        }
        descriptor = existing
        try adoptExisting(existing)
    }

    private func createNew(temporaryPath: () -> String) throws(MultiprocessError) {
        // The temporary name does not end in `.db`, so no reader ever picks it up, and it is random,
        // so a process reusing a dead one's pid never collides with what the dead one left.
        var temporary = temporaryPath()
        var created: FileDescriptor?
        for _ in 0..<4 where created == nil {
            do {
                created = try FileDescriptor.open(
                    temporary, .readWrite, options: [.create, .exclusive], permissions: 0o666)
            } catch  where error == .fileExists {
                temporary = temporaryPath()
            } catch {
                throw fail("create \(temporary)", error)
            }
        }
        guard let created else { throw fail("create \(temporary)", .fileExists) }
        descriptor = created
        do throws(MultiprocessError) {
            try reserveSpace(DBFileLayout.initialFileSize)
            var header = Int64(DBFileLayout.headerSize).littleEndian
            do {
                try withUnsafeBytes(of: &header) { raw throws(Errno) in try created.writeAll(raw, toAbsoluteOffset: 0) }
            } catch {
                throw fail("write header", error)
            }
            do {
                try FileSystem.rename(temporary, to: path)
            } catch {
                throw fail("rename \(temporary) into place", error)
            }
        } catch {
            try? FileSystem.removeIfPresent(temporary)
            throw error
        }
        try mapRange(from: 0, to: DBFileLayout.initialFileSize)
        capacity = DBFileLayout.initialFileSize
        used = DBFileLayout.headerSize
    }

    private func adoptExisting(_ existing: FileDescriptor) throws(MultiprocessError) {
        let status: FileStatus
        do {
            status = try existing.status()
        } catch {
            throw fail("stat", error)
        }
        guard status.kind == .regular else {
            throw .unusableFile(path: path, problem: .notARegularFile(path: path, kind: status.kind.description))
        }
        let size = status.size
        if size < DBFileLayout.headerSize {
            // An empty file left by a writer killed between create and truncate (Python's window):
            // initialise it in place, as Python does.
            try reserveSpace(DBFileLayout.initialFileSize)
            try mapRange(from: 0, to: DBFileLayout.initialFileSize)
            capacity = DBFileLayout.initialFileSize
            used = DBFileLayout.headerSize
            prometheus_atomic_store_int32_release(base.assumingMemoryBound(to: Int32.self), Int32(used))
            return
        }
        guard size <= Self.reservationSize else {
            throw tooLarge(size, limit: Self.reservationSize, limitName: "the 1 GiB a writer maps per file")
        }
        // The space of an existing file may be sparse (Python only truncates): allocate it before
        // mapping so a write can never hit a hole on a full disk.
        try reserveSpace(size)
        try mapRange(from: 0, to: size)
        capacity = size
        let header = Int(prometheus_atomic_load_int32_acquire(base.assumingMemoryBound(to: Int32.self)))
        if header == 0 {
            used = DBFileLayout.headerSize
            prometheus_atomic_store_int32_release(base.assumingMemoryBound(to: Int32.self), Int32(used))
            return
        }
        guard header >= DBFileLayout.headerSize, header <= size else {
            throw .unusableFile(path: path, problem: .usedOutOfRange(used: header, size: size))
        }
        let bytes = UnsafeRawBufferPointer(start: base, count: header)
        do {
            switch contents {
            case .values:
                try DBFileLayout.forEachEntry(in: bytes, used: header) { location throws(DBFileError) in
                    positions[Array(bytes[location.keyRange])] = location.valueOffset
                }
            case .exemplars:
                // A key's last entry is the one with the largest capacity.
                try ExemplarFileLayout.forEachEntry(in: bytes, used: header) { location throws(DBFileError) in
                    positions[Array(bytes[location.keyRange])] = location.slotOffset
                }
            case .nativeBuckets:
                // Tables are only appended, never looked up: the walk only checks the file.
                try NativeBucketFileLayout.forEachEntry(in: bytes, used: header) { _ throws(DBFileError) in }
            }
        } catch {
            throw .unusableFile(path: path, problem: error)
        }
        used = header
    }

    // MARK: - Growth

    private func grow(toFit required: Int) throws(MultiprocessError) {
        let newCapacity = DBFileLayout.capacity(toFit: required, current: capacity)
        guard newCapacity <= Self.reservationSize else {
            throw tooLarge(newCapacity, limit: Self.reservationSize, limitName: "the 1 GiB a writer maps per file")
        }
        try reserveSpace(newCapacity)
        try mapRange(from: capacity, to: newCapacity)
        capacity = newCapacity
    }

    /// Makes the file at least `size` bytes long with every block allocated, so that writes through
    /// the mapping cannot fail later. Checks the file-size limit first: exceeding it would raise
    /// SIGXFSZ, which kills the process by default.
    private func reserveSpace(_ size: Int) throws(MultiprocessError) {
        if let limit = CurrentProcess.fileSizeLimit, size > limit {
            throw tooLarge(size, limit: limit, limitName: "the file-size limit (RLIMIT_FSIZE)")
        }
        guard let descriptor else { throw .fileClosed(path: path) }
        do {
            try descriptor.allocate(size: size)
        } catch {
            throw fail("allocate \(size) bytes", error)
        }
        do {
            if try descriptor.status().size < size {
                try descriptor.truncate(size: size)
            }
        } catch {
            throw fail("extend to \(size) bytes", error)
        }
    }

    /// Maps file bytes `start..<end` at the same offset of the reserved range. When `start` is not on
    /// a page boundary (a foreign file of odd size) the whole file is mapped again instead; both
    /// mappings show the same shared pages, so values written meanwhile are kept.
    private func mapRange(from start: Int, to end: Int) throws(MultiprocessError) {
        let mapStart = start % AddressReservation.pageSize == 0 ? start : 0
        guard let descriptor else { throw .fileClosed(path: path) }
        do {
            try reservation.mapShared(descriptor, offset: mapStart, length: end - mapStart)
        } catch {
            throw fail("map \(end) bytes", error)
        }
    }
}

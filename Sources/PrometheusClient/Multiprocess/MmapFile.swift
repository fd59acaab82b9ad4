import CPrometheusSupport
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

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
    private var descriptor: Int32
    private let base: UnsafeMutableRawPointer
    /// Bytes of the file currently mapped (the file's size).
    private(set) var capacity: Int
    /// Bytes in use, as published in the header.
    private(set) var used: Int
    /// Offset of the value double of every entry, by key bytes (Python's `_positions`).
    private var positions: [[UInt8]: Int]
    private var isOpen = true

    private static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
    private static let temporaryCounter = Atomic<Int>(0)

    /// Opens `path`, reusing its entries when it exists (as Python does when a pid reappears), or
    /// creates it initialised under a temporary name and renames it into place, so that a reader never
    /// sees an empty or half-initialised `.db` file.
    ///
    /// - Throws: `MultiprocessError.fileFailure` naming the operation that failed (create, allocate,
    ///   map, read a corrupt existing file, ...).
    init(path: String) throws(MultiprocessError) {
        self.path = path
        let reserved = mmap(nil, Self.reservationSize, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        guard let reserved, reserved != MAP_FAILED else {
            throw .fileFailure(path: path, operation: "reserve address space", errno: errno)
        }
        base = reserved
        descriptor = -1
        capacity = 0
        used = 0
        positions = [:]
        do {
            try openOrCreate()
        } catch {
            close()
            throw error
        }
    }

    deinit {
        close()
    }

    /// Unmaps the file and closes its descriptor. The slot pointers become invalid.
    func close() {
        guard isOpen else { return }
        isOpen = false
        munmap(base, Self.reservationSize)
        if descriptor >= 0 {
            _ = Glibc.close(descriptor)
            descriptor = -1
        }
    }

    /// Pointers to the value doubles of `keys`, creating the missing entries (value 0, timestamp 0)
    /// in one step: all new entries are written first, then `used` is published with release ordering.
    ///
    /// - Throws: `MultiprocessError.fileFailure` when the file cannot grow to hold the new entries;
    ///   nothing is written then.
    func slots(for keys: [[UInt8]]) throws(MultiprocessError) -> [UnsafeMutablePointer<Double>] {
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
                writeEntry(key: key, at: offset)
                positions[key] = DBFileLayout.valueOffset(entryOffset: offset, keyLength: key.count)
                offset += DBFileLayout.entrySize(forKeyLength: key.count)
            }
            used = offset
            prometheus_atomic_store_int32_release(base.assumingMemoryBound(to: Int32.self), Int32(used))
        }
        return keys.map { key in
            (base + positions[key]!).assumingMemoryBound(to: Double.self)
        }
    }

    private func writeEntry(key: [UInt8], at offset: Int) {
        let entry = base + offset
        entry.storeBytes(of: UInt32(key.count).littleEndian, as: UInt32.self)
        key.withUnsafeBytes { bytes in
            (entry + 4).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        }
        let padding = DBFileLayout.paddingLength(forKeyLength: key.count)
        (entry + 4 + key.count).initializeMemory(as: UInt8.self, repeating: 0x20, count: padding)
        // A reused file may hold garbage past `used` (a writer killed mid-entry); zero the doubles.
        (entry + 4 + key.count + padding).initializeMemory(as: UInt8.self, repeating: 0, count: 16)
    }

    // MARK: - Opening

    private func openOrCreate() throws(MultiprocessError) {
        let existing = open(path, O_RDWR | O_CLOEXEC)
        if existing >= 0 {
            descriptor = existing
            try adoptExisting()
            return
        }
        guard errno == ENOENT else {
            throw .fileFailure(path: path, operation: "open", errno: errno)
        }
        try createNew()
    }

    private func createNew() throws(MultiprocessError) {
        // The temporary name does not end in `.db`, so no reader ever picks it up.
        let serial = Self.temporaryCounter.add(1, ordering: .relaxed).newValue
        let temporary = "\(path).\(getpid()).\(serial).tmp"
        let created = open(temporary, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard created >= 0 else {
            throw .fileFailure(path: path, operation: "create \(temporary)", errno: errno)
        }
        descriptor = created
        do throws(MultiprocessError) {
            try reserveSpace(DBFileLayout.initialFileSize)
            var header = Int64(DBFileLayout.headerSize).littleEndian
            guard pwrite(descriptor, &header, 8, 0) == 8 else {
                throw .fileFailure(path: path, operation: "write header", errno: errno)
            }
            guard rename(temporary, path) == 0 else {
                throw .fileFailure(path: path, operation: "rename \(temporary) into place", errno: errno)
            }
        } catch {
            unlink(temporary)
            throw error
        }
        try mapRange(from: 0, to: DBFileLayout.initialFileSize)
        capacity = DBFileLayout.initialFileSize
        used = DBFileLayout.headerSize
    }

    private func adoptExisting() throws(MultiprocessError) {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            throw .fileFailure(path: path, operation: "stat", errno: errno)
        }
        let size = Int(info.st_size)
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
            throw .fileFailure(path: path, operation: "map an existing file larger than 1 GiB", errno: EFBIG)
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
            throw .fileFailure(
                path: path, operation: "reuse existing file (corrupt header used=\(header))", errno: EINVAL)
        }
        var offset = DBFileLayout.headerSize
        while offset < header {
            let keyLength = Int(Int32(littleEndian: (base + offset).loadUnaligned(as: Int32.self)))
            guard keyLength >= 0, offset + DBFileLayout.entrySize(forKeyLength: keyLength) <= header else {
                throw .fileFailure(
                    path: path, operation: "reuse existing file (corrupt entry at \(offset))", errno: EINVAL)
            }
            let key = [UInt8](UnsafeRawBufferPointer(start: base + offset + 4, count: keyLength))
            positions[key] = DBFileLayout.valueOffset(entryOffset: offset, keyLength: keyLength)
            offset += DBFileLayout.entrySize(forKeyLength: keyLength)
        }
        used = header
    }

    // MARK: - Growth

    private func grow(toFit required: Int) throws(MultiprocessError) {
        let newCapacity = DBFileLayout.capacity(toFit: required, current: capacity)
        guard newCapacity <= Self.reservationSize else {
            throw .fileFailure(
                path: path, operation: "grow to \(newCapacity) bytes (over the 1 GiB limit)", errno: EFBIG)
        }
        try reserveSpace(newCapacity)
        try mapRange(from: capacity, to: newCapacity)
        capacity = newCapacity
    }

    /// Makes the file at least `size` bytes long with every block allocated, so that writes through
    /// the mapping cannot fail later. Checks the file-size limit first: exceeding it would raise
    /// SIGXFSZ, which kills the process by default.
    private func reserveSpace(_ size: Int) throws(MultiprocessError) {
        var limit = rlimit()
        if getrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max,
            UInt64(size) > UInt64(limit.rlim_cur)
        {
            throw .fileFailure(
                path: path, operation: "grow to \(size) bytes (RLIMIT_FSIZE is \(limit.rlim_cur))", errno: EFBIG)
        }
        let result = posix_fallocate(descriptor, 0, off_t(size))
        guard result == 0 else {
            throw .fileFailure(path: path, operation: "allocate \(size) bytes", errno: result)
        }
        var info = stat()
        if fstat(descriptor, &info) == 0, Int(info.st_size) < size, ftruncate(descriptor, off_t(size)) != 0 {
            throw .fileFailure(path: path, operation: "extend to \(size) bytes", errno: errno)
        }
    }

    /// Maps file bytes `start..<end` at the same offset of the reserved range. When `start` is not on
    /// a page boundary (a foreign file of odd size) the whole file is mapped again instead; both
    /// mappings show the same shared pages, so values written meanwhile are kept.
    private func mapRange(from start: Int, to end: Int) throws(MultiprocessError) {
        let mapStart = start % Self.pageSize == 0 ? start : 0
        let mapped = mmap(
            base + mapStart, end - mapStart, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, descriptor,
            off_t(mapStart))
        guard let mapped, mapped != MAP_FAILED else {
            throw .fileFailure(path: path, operation: "map \(end) bytes", errno: errno)
        }
    }
}

import Glibc

/// Reads multiprocess `.db` files with plain reads (never mapping them, so a file truncated or deleted
/// by another process cannot fault the reader): the header, then only the used bytes.
enum DBFileReader {
    /// The used bytes of one file and its identity.
    struct Snapshot {
        /// Bytes `0..<used` of the file.
        var bytes: [UInt8]
        var used: Int { bytes.count }
        var device: UInt64
        var inode: UInt64
    }

    /// Where one entry lives in a file.
    struct EntryLocation: Sendable {
        var offset: Int
        var keyRange: Range<Int>
        var valueOffset: Int
    }

    /// One decoded entry.
    struct Entry: Sendable {
        var key: DBKey
        var value: Double
        var timestamp: Double
        var offset: Int
    }

    /// Reads the used part of the file at `path`; nil when the file does not exist (any more).
    ///
    /// - Throws: `DBFileError` when it cannot be read or its header is impossible.
    static func snapshot(path: String) throws(DBFileError) -> Snapshot? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { return nil }
            throw .unreadable(path: path, errno: errno)
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw .unreadable(path: path, errno: errno) }
        let size = Int(status.st_size)
        guard size >= DBFileLayout.headerSize else { throw .tooShort(size: size) }
        var header: UInt32 = 0
        guard pread(descriptor, &header, 4, 0) == 4 else { throw .unreadable(path: path, errno: errno) }
        let used = Int(UInt32(littleEndian: header))
        guard used >= DBFileLayout.headerSize, used <= size else { throw .usedOutOfRange(used: used, size: size) }
        var failure: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: used) { buffer, count in
            var done = 0
            while done < used {
                let result = pread(descriptor, buffer.baseAddress! + done, used - done, off_t(done))
                if result < 0 && errno == EINTR { continue }
                guard result > 0 else {
                    failure = result == 0 ? EIO : errno
                    break
                }
                done += result
            }
            count = done
        }
        guard failure == 0 else { throw .unreadable(path: path, errno: failure) }
        return Snapshot(bytes: bytes, device: UInt64(status.st_dev), inode: UInt64(status.st_ino))
    }

    /// The entries between `start` and the end of `bytes` (which end at `used`), as the Python reader
    /// walks them.
    ///
    /// - Throws: `DBFileError.entryOutOfRange` when an entry runs past `used`.
    static func locateEntries(in bytes: [UInt8], from start: Int = DBFileLayout.headerSize) throws(DBFileError)
        -> [EntryLocation]
    {
        var locations: [EntryLocation] = []
        var offset = start
        while offset < bytes.count {
            let location = try locateEntry(in: bytes, at: offset)
            locations.append(location)
            offset = location.valueOffset + 16
        }
        return locations
    }

    /// The entry that starts at `offset`, checked to end within `bytes` (which end at `used`).
    ///
    /// - Throws: `DBFileError.entryOutOfRange` when the entry runs past `used`.
    static func locateEntry(in bytes: [UInt8], at offset: Int) throws(DBFileError) -> EntryLocation {
        let used = bytes.count
        guard offset + 4 <= used else {
            throw .entryOutOfRange(offset: offset, keyLength: 0, used: used)
        }
        let keyLength = Int(readUInt32(bytes, at: offset))
        let valueOffset = offset + 4 + keyLength + DBFileLayout.paddingLength(forKeyLength: keyLength)
        guard keyLength <= used, valueOffset + 16 <= used else {
            throw .entryOutOfRange(offset: offset, keyLength: keyLength, used: used)
        }
        return EntryLocation(
            offset: offset, keyRange: (offset + 4)..<(offset + 4 + keyLength), valueOffset: valueOffset)
    }

    /// The entry that starts at `offset` in the first `used` bytes of `bytes`.
    ///
    /// - Throws: `DBFileError.entryOutOfRange` when the entry runs past `used`.
    static func locateEntry(in bytes: UnsafeRawBufferPointer, used: Int, at offset: Int) throws(DBFileError)
        -> EntryLocation
    {
        guard offset + 4 <= used else {
            throw .entryOutOfRange(offset: offset, keyLength: 0, used: used)
        }
        let keyLength = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
        let valueOffset = offset + 4 + keyLength + DBFileLayout.paddingLength(forKeyLength: keyLength)
        guard keyLength <= used, valueOffset + 16 <= used else {
            throw .entryOutOfRange(offset: offset, keyLength: keyLength, used: used)
        }
        return EntryLocation(
            offset: offset, keyRange: (offset + 4)..<(offset + 4 + keyLength), valueOffset: valueOffset)
    }

    /// Decodes the key of an entry in a raw buffer.
    ///
    /// - Throws: `DBFileError.invalidKey`.
    static func key(of location: EntryLocation, in bytes: UnsafeRawBufferPointer) throws(DBFileError) -> DBKey {
        let keyBytes = UnsafeRawBufferPointer(rebasing: bytes[location.keyRange]).assumingMemoryBound(to: UInt8.self)
        do {
            return try DBKey(json: keyBytes)
        } catch {
            throw .invalidKey(offset: location.offset, reason: error.reason)
        }
    }

    /// Decodes the key of an entry.
    ///
    /// - Throws: `DBFileError.invalidKey`.
    static func key(of location: EntryLocation, in bytes: [UInt8]) throws(DBFileError) -> DBKey {
        let result: Result<DBKey, DBKeyParser.Failure> = bytes.withUnsafeBufferPointer { buffer in
            Result { () throws(DBKeyParser.Failure) in
                try DBKey(json: UnsafeBufferPointer(rebasing: buffer[location.keyRange]))
            }
        }
        switch result {
        case .success(let key): return key
        case .failure(let failure): throw .invalidKey(offset: location.offset, reason: failure.reason)
        }
    }

    /// Every entry of the file at `path`, decoded (for tools and tests; the collector caches keys).
    ///
    /// - Throws: `DBFileError` for a missing, unreadable or corrupt file.
    static func entries(ofFile path: String) throws(DBFileError) -> [Entry] {
        guard let snapshot = try snapshot(path: path) else { throw .unreadable(path: path, errno: ENOENT) }
        return try locateEntries(in: snapshot.bytes).map { location throws(DBFileError) in
            Entry(
                key: try key(of: location, in: snapshot.bytes),
                value: readDouble(snapshot.bytes, at: location.valueOffset),
                timestamp: readDouble(snapshot.bytes, at: location.valueOffset + 8), offset: location.offset)
        }
    }

    static func readUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        bytes.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }
    }

    static func readDouble(_ bytes: [UInt8], at offset: Int) -> Double {
        bytes.withUnsafeBytes {
            Double(bitPattern: UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
        }
    }
}

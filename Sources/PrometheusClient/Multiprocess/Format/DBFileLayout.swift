/// The byte layout of a multiprocess `.db` file, identical to the Python client 0.25.0's.
///
/// ```
/// offset 0   Int32  used      bytes in use, including this 8-byte header
/// offset 4   4 bytes          zero
/// offset 8   entries, each 8-byte aligned:
///            Int32  keyLength
///            key bytes        UTF-8 JSON, see DBKey
///            padding          ASCII spaces, 8 - ((4 + keyLength) % 8): always 1...8, never 0
///            Float64 value
///            Float64 timestamp
/// ```
///
/// All numbers are little-endian (the native order of every platform we run on, which is what the
/// Python client writes). A new file is 64 KiB and doubles whenever an entry would not fit.
///
/// This type is pure: it works on byte arrays and offsets, never on files, so it can be tested and
/// fuzzed directly. It is the one owner of the layout: writers, readers, the merge, the archive and
/// the inspection all walk entries through it.
package enum DBFileLayout {
    /// Size of the file header (`used` plus 4 bytes of zero).
    package static let headerSize = 8
    /// Size of a new file.
    package static let initialFileSize = 1 << 16

    /// The largest `used` a file can claim: the header is a signed 32-bit integer (Python reads it
    /// with `struct.unpack('i')`), so anything above 2^31 - 1, or "negative", is corrupt.
    package static let maximumUsed = Int(Int32.max)

    /// Where one entry lives in a file's bytes.
    package struct EntryLocation: Sendable, Equatable {
        /// Offset of the entry (its key length).
        package var offset: Int
        /// The key's bytes.
        package var keyRange: Range<Int>
        /// Offset of the value double; the timestamp double follows it.
        package var valueOffset: Int
        /// Where the next entry starts.
        package var end: Int { valueOffset + 16 }
    }

    /// The bytes in use according to a header, checked against the file's size before anything is
    /// read or allocated for them.
    ///
    /// - Throws: `DBFileError.usedOutOfRange` when `used` is smaller than the header, negative as the
    ///   format's signed integer, or larger than the file (or `limit`).
    package static func used(fromHeader header: UInt32, fileSize: Int, limit: Int = maximumUsed) throws(DBFileError)
        -> Int
    {
        let used = Int(Int32(bitPattern: header))
        guard used >= headerSize, used <= fileSize, used <= limit else {
            throw .usedOutOfRange(used: used, size: fileSize)
        }
        return used
    }

    /// The entry that starts at `offset` of a file whose first `used` bytes are `bytes`, checked to
    /// end within them: the one walk over entries that every reader shares.
    ///
    /// - Throws: `DBFileError.entryOutOfRange` when the entry runs past `used` (or past `bytes`).
    package static func entry(at offset: Int, in bytes: UnsafeRawBufferPointer, used: Int) throws(DBFileError)
        -> EntryLocation
    {
        guard let location = try entry(at: offset, inWindow: bytes, windowOffset: 0, used: used) else {
            throw .entryOutOfRange(offset: offset, keyLength: 0, used: bytes.count)
        }
        return location
    }

    /// The entry that starts at file offset `offset`, read from a window of the file: `window` holds
    /// the file's bytes from `windowOffset` on. Locations are file offsets.
    ///
    /// - Returns: nil when the entry is within `used` but does not end within the window (the caller
    ///   reads the next window from `offset`).
    /// - Throws: `DBFileError.entryOutOfRange` when the entry runs past `used`.
    package static func entry(at offset: Int, inWindow window: UnsafeRawBufferPointer, windowOffset: Int, used: Int)
        throws(DBFileError) -> EntryLocation?
    {
        guard offset + 4 <= used else {
            throw .entryOutOfRange(offset: offset, keyLength: 0, used: used)
        }
        let windowEnd = windowOffset + window.count
        guard offset >= windowOffset, offset + 4 <= windowEnd else { return nil }
        let keyLength = Int(
            Int32(littleEndian: window.loadUnaligned(fromByteOffset: offset - windowOffset, as: Int32.self)))
        guard keyLength >= 0, keyLength <= used else {
            throw .entryOutOfRange(offset: offset, keyLength: keyLength, used: used)
        }
        let valueOffset = offset + 4 + keyLength + paddingLength(forKeyLength: keyLength)
        guard valueOffset + 16 <= used else {
            throw .entryOutOfRange(offset: offset, keyLength: keyLength, used: used)
        }
        guard valueOffset + 16 <= windowEnd else { return nil }
        return EntryLocation(
            offset: offset, keyRange: (offset + 4)..<(offset + 4 + keyLength), valueOffset: valueOffset)
    }

    /// Calls `body` with every entry from `start` up to `used`, in file order.
    ///
    /// - Throws: the first `DBFileError` of the walk or of `body`.
    package static func forEachEntry(
        in bytes: UnsafeRawBufferPointer, used: Int, from start: Int = headerSize,
        _ body: (EntryLocation) throws(DBFileError) -> Void
    ) throws(DBFileError) {
        var offset = start
        while offset < used {
            let location = try entry(at: offset, in: bytes, used: used)
            try body(location)
            offset = location.end
        }
    }

    /// Where the key of the entry at `offset` lies and where its tail (what follows the padding)
    /// starts, checked so that the tail's first `tailHeaderSize` bytes lie within `used`: the key
    /// walk the companion files (``ExemplarFileLayout``, ``NativeBucketFileLayout``) share with
    /// this format.
    ///
    /// - Throws: `DBFileError.entryOutOfRange` when the key or that much of the tail runs past `used`.
    package static func keyedEntry(at offset: Int, in bytes: UnsafeRawBufferPointer, used: Int, tailHeaderSize: Int)
        throws(DBFileError) -> (keyRange: Range<Int>, tailOffset: Int)
    {
        guard offset + 4 <= used, used <= bytes.count else {
            throw .entryOutOfRange(offset: offset, keyLength: 0, used: used)
        }
        let keyLength = Int(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int32.self)))
        guard keyLength >= 0, keyLength <= used else {
            throw .entryOutOfRange(offset: offset, keyLength: keyLength, used: used)
        }
        let tailOffset = offset + 4 + keyLength + paddingLength(forKeyLength: keyLength)
        guard tailOffset + tailHeaderSize <= used else {
            throw .entryOutOfRange(offset: offset, keyLength: keyLength, used: used)
        }
        return ((offset + 4)..<(offset + 4 + keyLength), tailOffset)
    }

    /// Calls `body` with every entry of a companion file from the header up to `used`, each found
    /// by `entry` at the offset where the previous one ended.
    ///
    /// - Throws: the first `DBFileError` of `entry` or of `body`.
    package static func forEachCompanionEntry<Entry>(
        in bytes: UnsafeRawBufferPointer, used: Int, entry: (Int) throws(DBFileError) -> Entry,
        end: (Entry) -> Int, _ body: (Entry) throws(DBFileError) -> Void
    ) throws(DBFileError) {
        var offset = headerSize
        while offset < used {
            let location = try entry(offset)
            try body(location)
            offset = end(location)
        }
    }

    /// The little-endian double at `offset`.
    @inlinable @inline(__always)
    package static func double(at offset: Int, in bytes: UnsafeRawBufferPointer) -> Double {
        Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
    }

    /// The header's raw `used` field.
    @inlinable @inline(__always)
    package static func header(of bytes: UnsafeRawBufferPointer) -> UInt32 {
        UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
    }

    /// What a key is padded with: an ASCII space. Every entry has at least one, right before its
    /// value, which a reader can check.
    package static let paddingByte: UInt8 = 0x20

    /// The number of padding spaces after a key of `keyLength` bytes (1...8, never 0: Python's
    /// formula, which its reader uses too).
    package static func paddingLength(forKeyLength keyLength: Int) -> Int {
        8 - (4 + keyLength) % 8
    }

    /// The total size of an entry whose key has `keyLength` bytes (always a multiple of 8).
    package static func entrySize(forKeyLength keyLength: Int) -> Int {
        4 + keyLength + paddingLength(forKeyLength: keyLength) + 16
    }

    /// The offset of the value double of an entry that starts at `entryOffset`.
    package static func valueOffset(entryOffset: Int, keyLength: Int) -> Int {
        entryOffset + 4 + keyLength + paddingLength(forKeyLength: keyLength)
    }

    /// The capacity a file grows to so that `requiredSize` bytes fit: `current`, doubled as often as
    /// needed (Python's growth rule).
    package static func capacity(toFit requiredSize: Int, current: Int = initialFileSize) -> Int {
        var capacity = Swift.max(current, initialFileSize)
        while requiredSize > capacity {
            capacity *= 2
        }
        return capacity
    }

    /// Writes an entry's prefix at `entry`: the key's length, the key, and the space padding that
    /// aligns what follows to 8 bytes. The one writer of the prefix, for `.db` entries and the
    /// companion files' entries alike; the caller has room for the whole entry.
    ///
    /// - Returns: the address of the entry's tail (a `.db` entry's value, a companion's header).
    package static func writeEntryPrefix(key: [UInt8], at entry: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
        entry.storeBytes(of: UInt32(truncatingIfNeeded: key.count).littleEndian, as: UInt32.self)
        key.withUnsafeBytes { bytes in
            if let base = bytes.baseAddress { (entry + 4).copyMemory(from: base, byteCount: bytes.count) }
        }
        let padding = paddingLength(forKeyLength: key.count)
        (entry + 4 + key.count).initializeMemory(as: UInt8.self, repeating: paddingByte, count: padding)
        return entry + 4 + key.count + padding
    }

    /// Appends one complete entry (length, key, padding, value, timestamp) to `bytes`.
    package static func appendEntry(key: [UInt8], value: Double, timestamp: Double, to bytes: inout [UInt8]) {
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: entrySize(forKeyLength: key.count)))
        bytes.withUnsafeMutableBytes { raw in
            let tail = writeEntryPrefix(key: key, at: raw.baseAddress! + start)
            tail.storeBytes(of: value.bitPattern.littleEndian, as: UInt64.self)
            (tail + 8).storeBytes(of: timestamp.bitPattern.littleEndian, as: UInt64.self)
        }
    }

    /// A whole file holding `entries` in order, zero-filled up to the capacity Python would have
    /// grown to for the same entries.
    package static func makeFile(entries: [(key: [UInt8], value: Double, timestamp: Double)]) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: headerSize)
        for entry in entries {
            appendEntry(key: entry.key, value: entry.value, timestamp: entry.timestamp, to: &bytes)
        }
        let used = bytes.count
        withUnsafeBytes(of: UInt32(truncatingIfNeeded: used).littleEndian) { header in
            bytes.replaceSubrange(0..<4, with: header)
        }
        bytes.append(contentsOf: repeatElement(0, count: capacity(toFit: used) - used))
        return bytes
    }

    private static func appendLittleEndian<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }
}

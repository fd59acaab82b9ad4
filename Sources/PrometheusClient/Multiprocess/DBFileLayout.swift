/// The byte layout of a multiprocess `.db` file, identical to the Python client 0.25.0's.
///
/// ```
/// offset 0   Int32  used      bytes in use, including this 8-byte header
/// offset 4   4 bytes          zero
/// offset 8   entries, each 8-byte aligned:
///            Int32  keyLength
///            key bytes        UTF-8 JSON, see PythonJSONKey
///            padding          ASCII spaces, 8 - ((4 + keyLength) % 8): always 1...8, never 0
///            Float64 value
///            Float64 timestamp
/// ```
///
/// All numbers are little-endian (the native order of every platform we run on, which is what the
/// Python client writes). A new file is 64 KiB and doubles whenever an entry would not fit.
///
/// This type is pure: it works on byte arrays and offsets, never on files, so it can be tested and
/// fuzzed directly.
enum DBFileLayout {
    /// Size of the file header (`used` plus 4 bytes of zero).
    static let headerSize = 8
    /// Size of a new file.
    static let initialFileSize = 1 << 16

    /// The number of padding spaces after a key of `keyLength` bytes (1...8, never 0: Python's
    /// formula, which its reader uses too).
    static func paddingLength(forKeyLength keyLength: Int) -> Int {
        8 - (4 + keyLength) % 8
    }

    /// The total size of an entry whose key has `keyLength` bytes (always a multiple of 8).
    static func entrySize(forKeyLength keyLength: Int) -> Int {
        4 + keyLength + paddingLength(forKeyLength: keyLength) + 16
    }

    /// The offset of the value double of an entry that starts at `entryOffset`.
    static func valueOffset(entryOffset: Int, keyLength: Int) -> Int {
        entryOffset + 4 + keyLength + paddingLength(forKeyLength: keyLength)
    }

    /// The capacity a file grows to so that `requiredSize` bytes fit: `current`, doubled as often as
    /// needed (Python's growth rule).
    static func capacity(toFit requiredSize: Int, current: Int = initialFileSize) -> Int {
        var capacity = Swift.max(current, initialFileSize)
        while requiredSize > capacity {
            capacity *= 2
        }
        return capacity
    }

    /// Appends one complete entry (length, key, padding, value, timestamp) to `bytes`.
    static func appendEntry(key: [UInt8], value: Double, timestamp: Double, to bytes: inout [UInt8]) {
        appendLittleEndian(UInt32(truncatingIfNeeded: key.count), to: &bytes)
        bytes.append(contentsOf: key)
        bytes.append(contentsOf: repeatElement(0x20, count: paddingLength(forKeyLength: key.count)))
        appendLittleEndian(value.bitPattern, to: &bytes)
        appendLittleEndian(timestamp.bitPattern, to: &bytes)
    }

    /// A whole file holding `entries` in order, zero-filled up to the capacity Python would have
    /// grown to for the same entries.
    static func makeFile(entries: [(key: [UInt8], value: Double, timestamp: Double)]) -> [UInt8] {
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

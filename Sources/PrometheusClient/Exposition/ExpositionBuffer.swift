/// The bytes of an exposition being written, with the pieces both writers share: escaped label sets,
/// values and help text.
///
/// Lines are written through a raw cursor (``LineWriter``) into room reserved beforehand, one bounds
/// check per line instead of one per byte. The storage is an ordinary array whose elements past
/// ``count`` are padding, so a caller's array can be reused from one scrape to the next without
/// allocating: its capacity stays, and only growth beyond the previous size is zero-filled.
package struct ExpositionBuffer {
    private var storage: [UInt8]
    /// The number of bytes written.
    package private(set) var count = 0
    /// The last name escaped and its escaped form: consecutive samples mostly share names and label
    /// names, and checking a name is dearer than comparing it with the previous one.
    private var lastMetricName = (name: "", escaping: NameEscapingScheme.underscores, escaped: "")
    private var lastLabelName = (name: "", escaping: NameEscapingScheme.underscores, escaped: "")
    /// The family names an OpenMetrics 2.0 body has used so far, which must not repeat.
    private var familyNames = Set<ByteString>()

    /// Zeros to pad the storage with, copied instead of written one by one.
    private static let padding = [UInt8](repeating: 0, count: 1 << 16)

    /// Records that this body has a family called `name`; false when it already had one.
    mutating func claimFamilyName(_ name: String) -> Bool {
        familyNames.insert(ByteString(name)).inserted
    }

    package init(reservingCapacity capacity: Int) {
        storage = []
        storage.reserveCapacity(capacity)
    }

    /// Takes the storage of `bytes` (leaving it empty) to write over, keeping its capacity and its
    /// current elements as room to write into.
    package init(taking bytes: inout [UInt8]) {
        storage = []
        swap(&storage, &bytes)
    }

    /// Hands over the bytes written, the padding removed and the capacity kept, and starts empty.
    /// Swapped out first, so that the array is not shared while it is cut (which would copy it).
    package mutating func takeBytes() -> [UInt8] {
        var bytes: [UInt8] = []
        swap(&bytes, &storage)
        bytes.removeLast(bytes.count - count)
        count = 0
        return bytes
    }

    /// Forgets the bytes written, keeping the room.
    mutating func removeAll() {
        count = 0
    }

    /// Calls `body` with the bytes written.
    func withBytes<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        storage.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
    }

    /// Makes room for `extra` more bytes.
    @inline(__always)
    mutating func reserve(_ extra: Int) {
        if count &+ extra > storage.count { grow(extra) }
    }

    @inline(never)
    private mutating func grow(_ extra: Int) {
        let needed = count + extra
        // Pad in steps of at least 64 KiB, inside the capacity the array already has when it can:
        // a reused array then costs neither a reallocation nor a page fault.
        // Only what is needed decides whether the array reallocates: a reused array whose capacity
        // holds the exposition (but not a whole step of padding more) keeps its storage.
        if needed > storage.capacity {
            storage.reserveCapacity(Swift.max(needed, 2 * storage.capacity))
        }
        let target = Swift.min(Swift.max(needed, storage.count + Self.padding.count), storage.capacity)
        while storage.count < target {
            let chunk = Swift.min(target - storage.count, Self.padding.count)
            storage.append(contentsOf: Self.padding[0..<chunk])
        }
    }

    /// Writes at most `maximumBytes` through `body`, which must not write more.
    @inline(__always)
    mutating func write(atMost maximumBytes: Int, _ body: (inout LineWriter) -> Void) {
        reserve(maximumBytes)
        let start = count
        let written = storage.withUnsafeMutableBufferPointer { buffer in
            var writer = LineWriter(buffer.baseAddress! + start)
            body(&writer)
            return writer.position - (buffer.baseAddress! + start)
        }
        count = start + written
    }

    package mutating func append(_ text: String) {
        write(atMost: text.utf8.count) { $0.append(text) }
    }

    package mutating func append(_ byte: UInt8) {
        write(atMost: 1) { $0.append(byte) }
    }

    package mutating func append(_ bytes: [UInt8]) {
        write(atMost: bytes.count) { $0.append(bytes) }
    }

    mutating func appendValue(_ value: Double) {
        write(atMost: GoFloatFormat.maximumWrittenBytes) { $0.appendValue(value) }
    }

    /// Appends help text or a label value, escaping backslash and newline, and double quotes when
    /// `escapingQuotes` (label values always; help text in OpenMetrics only).
    mutating func appendEscaped(_ text: String, escapingQuotes: Bool) {
        write(atMost: 2 * text.utf8.count) { $0.appendEscaped(text, escapingQuotes: escapingQuotes) }
    }

    private static func isSorted(_ labels: [Label]) -> Bool {
        guard labels.count > 1 else { return true }
        for index in 1..<labels.count
        where !ByteIdentity.precedes(labels[index - 1].name, labels[index].name) {
            return false
        }
        return true
    }

    /// Appends `name="value",...` for labels sorted by name, label names escaped by `escaping`.
    package mutating func appendLabels(_ labels: [Label], escaping: NameEscapingScheme) {
        if Self.isSorted(labels) {
            appendSortedLabels(labels, escaping: escaping)
        } else {
            appendSortedLabels(labels.sorted { ByteIdentity.precedes($0.name, $1.name) }, escaping: escaping)
        }
    }

    private mutating func appendSortedLabels(_ labels: [Label], escaping: NameEscapingScheme) {
        for index in labels.indices {
            let name = labels[index].name
            if !ByteIdentity.equal(name, lastLabelName.name) || escaping != lastLabelName.escaping {
                lastLabelName = (name, escaping, escaping.escapeLabelName(name))
            }
            let escapedName = lastLabelName.escaped
            let value = labels[index].value
            write(atMost: escapedName.utf8.count + 2 * value.utf8.count + 4) { writer in
                if index > 0 { writer.append(UInt8(ascii: ",")) }
                writer.append(escapedName)
                writer.append(UInt8(ascii: "="))
                writer.append(0x22)
                writer.appendEscaped(value, escapingQuotes: true)
                writer.append(0x22)
            }
        }
    }

    /// Appends a sample's name and labels: `name{labels}`, or `{"name",labels}` for a name that must
    /// be quoted under allow-utf-8.
    mutating func appendSeries(name: String, labels: [Label], escaping: NameEscapingScheme) {
        if !ByteIdentity.equal(name, lastMetricName.name) || escaping != lastMetricName.escaping {
            lastMetricName = (name, escaping, escaping.escapeMetricName(name))
        }
        if escaping == .allowUTF8, !MetricNaming.isLegacyMetricName(name) {
            append(UInt8(ascii: "{"))
            append(escaping.escapeMetricName(name))
            if !labels.isEmpty {
                append(UInt8(ascii: ","))
                appendLabels(labels, escaping: escaping)
            }
            append(UInt8(ascii: "}"))
            return
        }
        append(lastMetricName.escaped)
        if !labels.isEmpty {
            append(UInt8(ascii: "{"))
            appendLabels(labels, escaping: escaping)
            append(UInt8(ascii: "}"))
        }
    }
}

/// A cursor writing into room an ``ExpositionBuffer`` reserved: no bounds checks, the caller having
/// reserved enough.
struct LineWriter {
    private(set) var position: UnsafeMutablePointer<UInt8>

    init(_ position: UnsafeMutablePointer<UInt8>) {
        self.position = position
    }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        position.pointee = byte
        position += 1
    }

    @inline(__always)
    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress else { return }
        let count = bytes.count
        let destination = UnsafeMutableRawPointer(position)
        // Most pieces are short names, label blocks and values: overlapping word copies beat a call
        // to memmove for them.
        if count >= 8 {
            if count > 64 {
                destination.copyMemory(from: source, byteCount: count)
            } else {
                var offset = 0
                while offset + 8 < count {
                    destination.storeBytes(
                        of: source.loadUnaligned(fromByteOffset: offset, as: UInt64.self), toByteOffset: offset,
                        as: UInt64.self)
                    offset += 8
                }
                destination.storeBytes(
                    of: source.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self), toByteOffset: count - 8,
                    as: UInt64.self)
            }
        } else if count >= 4 {
            destination.storeBytes(of: source.loadUnaligned(as: UInt32.self), as: UInt32.self)
            destination.storeBytes(
                of: source.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self), toByteOffset: count - 4,
                as: UInt32.self)
        } else {
            for index in 0..<count {
                destination.storeBytes(
                    of: source.load(fromByteOffset: index, as: UInt8.self), toByteOffset: index, as: UInt8.self)
            }
        }
        position += count
    }

    @inline(__always)
    mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    @inline(__always)
    mutating func append(_ text: String) {
        let done: Void? = text.utf8.withContiguousStorageIfAvailable { append(UnsafeRawBufferPointer($0)) }
        if done == nil {
            for byte in text.utf8 { append(byte) }
        }
    }

    @inline(__always)
    mutating func appendValue(_ value: Double) {
        position += GoFloatFormat.write(value, to: position)
    }

    /// Writes `text` escaping backslash and newline, and double quotes when `escapingQuotes`; needs
    /// room for twice its bytes.
    @inline(__always)
    mutating func appendEscaped(_ text: String, escapingQuotes: Bool) {
        let done: Void? = text.utf8.withContiguousStorageIfAvailable { bytes in
            appendEscaped(UnsafeRawBufferPointer(bytes), escapingQuotes: escapingQuotes)
        }
        if done == nil {
            var copy = text
            copy.withUTF8 { appendEscaped(UnsafeRawBufferPointer($0), escapingQuotes: escapingQuotes) }
        }
    }

    @inline(__always)
    mutating func appendEscaped(_ bytes: UnsafeRawBufferPointer, escapingQuotes: Bool) {
        if !Self.needsEscaping(bytes, escapingQuotes: escapingQuotes) {
            append(bytes)
            return
        }
        for byte in bytes {
            switch byte {
            case 0x5C:
                append(0x5C)
                append(0x5C)
            case 0x0A:
                append(0x5C)
                append(UInt8(ascii: "n"))
            case 0x22 where escapingQuotes:
                append(0x5C)
                append(0x22)
            default: append(byte)
            }
        }
    }

    /// Whether `bytes` hold a backslash, a newline or (when `escapingQuotes`) a double quote; eight
    /// bytes at a time (a word has a zero byte where it equals the pattern).
    @inline(__always)
    static func needsEscaping(_ bytes: UnsafeRawBufferPointer, escapingQuotes: Bool) -> Bool {
        guard let base = bytes.baseAddress else { return false }
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        @inline(__always) func hasByte(_ word: UInt64, _ byte: UInt8) -> Bool {
            let probe = word ^ (ones &* UInt64(byte))
            return (probe &- ones) & ~probe & highs != 0
        }
        var offset = 0
        while offset + 8 <= bytes.count {
            let word = base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            if hasByte(word, 0x5C) || hasByte(word, 0x0A) || (escapingQuotes && hasByte(word, 0x22)) { return true }
            offset += 8
        }
        while offset < bytes.count {
            let byte = base.load(fromByteOffset: offset, as: UInt8.self)
            if byte == 0x5C || byte == 0x0A || (byte == 0x22 && escapingQuotes) { return true }
            offset += 1
        }
        return false
    }
}

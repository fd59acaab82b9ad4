import CPrometheusSupport

/// The byte layout of a process's exemplar file (`counter_<id>.exemplars`,
/// `histogram_<id>.exemplars`), which holds the latest exemplar of each counter total and histogram
/// bucket the process recorded one for. The name does not end in `.db`, so Python's readers never
/// see it.
///
/// ```
/// offset 0   Int32  used      bytes in use, including this 8-byte header (as in a .db file)
/// offset 4   4 bytes          zero
/// offset 8   entries, each 8-byte aligned:
///            Int32  keyLength
///            key bytes        the DBKey of the sample the exemplar belongs to (as in the .db file)
///            padding          ASCII spaces, as in a .db file
///            UInt32 capacity  label bytes each record can hold (a multiple of 8)
///            UInt32           zero
///            record 0, record 1, each:
///              UInt64  generation   which record is newer
///              Float64 value
///              Float64 timestamp    Unix seconds
///              UInt64  checksum     FNV-1a over generation, value, timestamp, length and labels
///              UInt32  length       label bytes used
///              UInt32             zero
///              labels[capacity]     per label: UInt16 name length, name, UInt16 value length, value
/// ```
///
/// A writer overwrites the older record and stores the checksum last, so the newer record stays
/// whole while the other is written: a reader, whose copy of the file may catch a record half
/// written, or a writer killed in the middle, finds at least one record whose checksum matches
/// (until the first exemplar is complete, none). A series whose exemplar outgrows the capacity gets
/// a new entry with the same key; readers take the newest exemplar of a key across entries.
///
/// Pure: works on bytes, so it is tested and fuzzed in memory.
package enum ExemplarFileLayout {
    /// The largest exemplar file a reader takes in (larger ones are reported): far more than 10,000
    /// series with exemplars in every bucket.
    package static let sizeLimit = 64 << 20
    /// Bytes before a record's labels.
    package static let recordHeaderSize = 40
    /// Bytes between an entry's padding and its first record.
    package static let slotHeaderSize = 8
    /// The most label bytes a record can need: 128 characters of names and values (OpenMetrics'
    /// limit) are at most 512 UTF-8 bytes, plus 4 length bytes for each of at most 128 labels.
    package static let maximumCapacity = 1024

    /// The capacity a record gets for labels of `byteCount` encoded bytes: a multiple of 64, so
    /// that an exemplar a little longer than the previous one still fits.
    package static func capacity(forLabelBytes byteCount: Int) -> Int {
        Swift.min(maximumCapacity, Swift.max(64, (byteCount + 63) / 64 * 64))
    }

    /// The size of an entry's tail (slot header and both records) for `capacity`.
    package static func tailSize(capacity: Int) -> Int {
        slotHeaderSize + 2 * (recordHeaderSize + capacity)
    }

    /// The size of a whole entry.
    package static func entrySize(forKeyLength keyLength: Int, capacity: Int) -> Int {
        4 + keyLength + DBFileLayout.paddingLength(forKeyLength: keyLength) + tailSize(capacity: capacity)
    }

    /// One entry of an exemplar file.
    package struct EntryLocation: Equatable {
        package var offset: Int
        package var keyRange: Range<Int>
        /// Offset of the slot header (capacity), right after the padding.
        package var slotOffset: Int
        package var capacity: Int
        package var end: Int { slotOffset + ExemplarFileLayout.tailSize(capacity: capacity) }
    }

    /// The entry at `offset` of a file whose used bytes are `bytes`.
    ///
    /// - Throws: `DBFileError.entryOutOfRange` when it runs past `used`, and
    ///   `DBFileError.invalidEntry` for an impossible capacity.
    package static func entry(at offset: Int, in bytes: UnsafeRawBufferPointer, used: Int) throws(DBFileError)
        -> EntryLocation
    {
        let (keyRange, slotOffset) = try DBFileLayout.keyedEntry(
            at: offset, in: bytes, used: used, tailHeaderSize: slotHeaderSize)
        let capacity = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: slotOffset, as: UInt32.self)))
        guard capacity > 0, capacity <= maximumCapacity, capacity % 8 == 0 else {
            throw .invalidEntry(offset: offset, reason: "an exemplar capacity of \(capacity) bytes is impossible")
        }
        let location = EntryLocation(offset: offset, keyRange: keyRange, slotOffset: slotOffset, capacity: capacity)
        guard location.end <= used else {
            throw .entryOutOfRange(offset: offset, keyLength: keyRange.count, used: used)
        }
        return location
    }

    /// Calls `body` with every entry from the header up to `used`.
    ///
    /// - Throws: the first `DBFileError` of the walk or of `body`.
    package static func forEachEntry(
        in bytes: UnsafeRawBufferPointer, used: Int, _ body: (EntryLocation) throws(DBFileError) -> Void
    ) throws(DBFileError) {
        try DBFileLayout.forEachCompanionEntry(
            in: bytes, used: used,
            entry: { offset throws(DBFileError) in try entry(at: offset, in: bytes, used: used) },
            end: \.end, body)
    }

    /// The newest whole exemplar of the entry at `location`, or nil when neither record is whole
    /// (never written, or torn and not yet written again) or its labels are invalid.
    package static func exemplar(at location: EntryLocation, in bytes: UnsafeRawBufferPointer) -> (
        exemplar: Exemplar, generation: UInt64
    )? {
        var best: (exemplar: Exemplar, generation: UInt64)?
        for index in 0..<2 {
            let start = recordOffset(index, of: location)
            guard let record = record(at: start, capacity: location.capacity, in: bytes) else { continue }
            if best == nil || record.generation > best!.generation { best = record }
        }
        return best
    }

    /// Where record `index` (0 or 1) of the entry starts.
    package static func recordOffset(_ index: Int, of location: EntryLocation) -> Int {
        location.slotOffset + slotHeaderSize + index * (recordHeaderSize + location.capacity)
    }

    fileprivate static func record(at start: Int, capacity: Int, in bytes: UnsafeRawBufferPointer) -> (
        exemplar: Exemplar, generation: UInt64
    )? {
        let generation = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: start, as: UInt64.self))
        let storedChecksum = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: start + 24, as: UInt64.self))
        let length = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: start + 32, as: UInt32.self)))
        guard generation > 0, length <= capacity else { return nil }
        let checked = UnsafeRawBufferPointer(rebasing: bytes[start..<(start + 24)])
        let labelBytes = UnsafeRawBufferPointer(
            rebasing: bytes[(start + recordHeaderSize)..<(start + recordHeaderSize + length)])
        guard checksum(checked, length: UInt32(length), labels: labelBytes) == storedChecksum else { return nil }
        let value = DBFileLayout.double(at: start + 8, in: bytes)
        let timestamp = DBFileLayout.double(at: start + 16, in: bytes)
        guard timestamp.isFinite, let labels = decodeLabels(labelBytes) else { return nil }
        return (Exemplar(labels: labels, value: value, timestamp: Timestamp(unixSeconds: timestamp)), generation)
    }

    /// The checksum of a record: FNV-1a (64 bit) over its first 24 bytes, its length and its labels.
    package static func checksum(_ head: UnsafeRawBufferPointer, length: UInt32, labels: UnsafeRawBufferPointer)
        -> UInt64
    {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ byte: UInt8) {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
        }
        for byte in head { mix(byte) }
        withUnsafeBytes(of: length.littleEndian) { for byte in $0 { mix(byte) } }
        for byte in labels { mix(byte) }
        return hash
    }

    /// The record bytes of labels: per label its name and value, each after a 16-bit length.
    package static func encodeLabels(_ labels: [Label]) -> [UInt8] {
        var bytes: [UInt8] = []
        for label in labels {
            for text in [label.name, label.value] {
                let utf8 = Array(text.utf8)
                let length = UInt16(truncatingIfNeeded: utf8.count)
                bytes.append(UInt8(truncatingIfNeeded: length))
                bytes.append(UInt8(truncatingIfNeeded: length >> 8))
                bytes.append(contentsOf: utf8)
            }
        }
        return bytes
    }

    /// Labels decoded from record bytes; nil unless every name and value is UTF-8, every name a valid
    /// label name, and the bytes end exactly with the last label.
    package static func decodeLabels(_ bytes: UnsafeRawBufferPointer) -> [Label]? {
        var labels: [Label] = []
        var offset = 0
        func text() -> String? {
            guard offset + 2 <= bytes.count else { return nil }
            let length = Int(bytes[offset]) | Int(bytes[offset + 1]) << 8
            offset += 2
            guard offset + length <= bytes.count else { return nil }
            defer { offset += length }
            return String(
                validating: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + length)]), as: UTF8.self)
        }
        while offset < bytes.count {
            guard let name = text(), let value = text(), !name.isEmpty,
                (try? MetricNaming.validateLabelName(name, legacy: false)) != nil
            else { return nil }
            labels.append(Label(name, value))
        }
        return labels
    }
}

extension ExemplarFileLayout {
    /// Writes an exemplar into the slot at `slot` (its capacity field) of a mapped file: over the
    /// record that is not the newest whole one, checksum last. Only one thread of one process writes
    /// a slot at a time (the store's lock).
    ///
    /// - Parameter labels: ``encodeLabels(_:)`` of the exemplar's labels, at most the capacity.
    package static func write(value: Double, timestamp: Double, labels: [UInt8], toSlot slot: UnsafeMutableRawPointer) {
        let capacity = Int(UInt32(littleEndian: slot.loadUnaligned(as: UInt32.self)))
        precondition(labels.count <= capacity, "exemplar labels larger than the slot")
        let location = EntryLocation(offset: 0, keyRange: 0..<0, slotOffset: 0, capacity: capacity)
        let view = UnsafeRawBufferPointer(start: slot, count: tailSize(capacity: capacity))
        func generation(_ index: Int) -> UInt64 {
            UInt64(littleEndian: view.loadUnaligned(fromByteOffset: recordOffset(index, of: location), as: UInt64.self))
        }
        func isWhole(_ index: Int) -> Bool {
            record(at: recordOffset(index, of: location), capacity: capacity, in: view) != nil
        }
        let generations = (generation(0), generation(1))
        let target: Int
        switch (isWhole(0), isWhole(1)) {
        case (true, true): target = generations.0 <= generations.1 ? 0 : 1
        case (true, false): target = 1
        default: target = 0
        }
        let destination = slot + recordOffset(target, of: location)
        // The checksum goes first, so a reader never pairs the old checksum with new bytes.
        destination.storeBytes(of: UInt64(0), toByteOffset: 24, as: UInt64.self)
        destination.storeBytes(of: (Swift.max(generations.0, generations.1) + 1).littleEndian, as: UInt64.self)
        destination.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: 8, as: UInt64.self)
        destination.storeBytes(of: timestamp.bitPattern.littleEndian, toByteOffset: 16, as: UInt64.self)
        destination.storeBytes(of: UInt32(labels.count).littleEndian, toByteOffset: 32, as: UInt32.self)
        labels.withUnsafeBytes { bytes in
            if let base = bytes.baseAddress {
                (destination + recordHeaderSize).copyMemory(from: base, byteCount: bytes.count)
            }
        }
        let sum = checksum(
            UnsafeRawBufferPointer(start: destination, count: 24), length: UInt32(labels.count),
            labels: UnsafeRawBufferPointer(start: destination + recordHeaderSize, count: labels.count))
        prometheus_atomic_store_int64_release(
            (destination + 24).assumingMemoryBound(to: Int64.self), Int64(bitPattern: sum.littleEndian))
    }
}

extension ExemplarFileLayout {
    /// The newest whole exemplar of each key of a file's used bytes, in the order the keys first
    /// appear (a key with several entries, after its exemplars outgrew a capacity, gives the one
    /// with the latest timestamp).
    ///
    /// - Throws: `DBFileError` when an entry runs out of range or has an impossible capacity.
    package static func latestExemplars(in bytes: [UInt8]) throws(DBFileError) -> [(key: [UInt8], exemplar: Exemplar)] {
        let result: Result<[(key: [UInt8], exemplar: Exemplar)], DBFileError> = bytes.withUnsafeBytes { raw in
            var found: [(key: [UInt8], exemplar: Exemplar)] = []
            var positions: [[UInt8]: Int] = [:]
            do throws(DBFileError) {
                try forEachEntry(in: raw, used: raw.count) { location throws(DBFileError) in
                    guard let exemplar = exemplar(at: location, in: raw)?.exemplar else { return }
                    let key = Array(UnsafeRawBufferPointer(rebasing: raw[location.keyRange]))
                    if let index = positions[key] {
                        if isNewer(exemplar, than: found[index].exemplar) { found[index].exemplar = exemplar }
                    } else {
                        positions[key] = found.count
                        found.append((key, exemplar))
                    }
                }
                return .success(found)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Whether `candidate` was recorded after `current` (by timestamp).
    package static func isNewer(_ candidate: Exemplar, than current: Exemplar) -> Bool {
        (candidate.timestamp?.unixSeconds ?? 0) > (current.timestamp?.unixSeconds ?? 0)
    }

    /// A whole file holding one entry per key with its exemplar (for archives), sized like a new
    /// `.db` file.
    package static func makeFile(entries: [(key: [UInt8], exemplar: Exemplar)]) -> [UInt8] {
        var size = DBFileLayout.headerSize
        let encoded = entries.map { encodeLabels($0.exemplar.labels) }
        for (entry, labels) in zip(entries, encoded) {
            size += entrySize(forKeyLength: entry.key.count, capacity: capacity(forLabelBytes: labels.count))
        }
        var bytes = [UInt8](repeating: 0, count: DBFileLayout.capacity(toFit: size))
        bytes.withUnsafeMutableBytes { raw in
            let base = raw.baseAddress!
            var offset = DBFileLayout.headerSize
            for (entry, labels) in zip(entries, encoded) where labels.count <= maximumCapacity {
                let capacity = capacity(forLabelBytes: labels.count)
                let slot = DBFileLayout.writeEntryPrefix(key: entry.key, at: base + offset)
                slot.storeBytes(of: UInt32(capacity).littleEndian, as: UInt32.self)
                write(
                    value: entry.exemplar.value, timestamp: entry.exemplar.timestamp?.unixSeconds ?? 0,
                    labels: labels, toSlot: slot)
                offset += entrySize(forKeyLength: entry.key.count, capacity: capacity)
            }
            base.storeBytes(of: UInt32(offset).littleEndian, as: UInt32.self)
        }
        return bytes
    }
}

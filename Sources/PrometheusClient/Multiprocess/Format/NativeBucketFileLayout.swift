import CPrometheusSupport

/// The byte layout of a process's native histogram file, `histogram_<id>.native`: the native
/// buckets of its histograms that record them. The name does not end in `.db`, so Python's readers
/// never see it; the classic part, the sum and the count of the same histograms stay in
/// `histogram_<id>.db`, which Python reads.
///
/// ```
/// offset 0   Int32  used      bytes in use, including this 8-byte header (as in a .db file)
/// offset 4   4 bytes          zero
/// offset 8   entries, each 8-byte aligned:
///            Int32  keyLength
///            key bytes        the DBKey [name, name, labels, help] of the histogram series
///            padding          ASCII spaces, as in a .db file
///            a table            see NativeBucketTable: capacity, flags, schema, zero
///                               threshold, zero count, keys[capacity], counts[capacity]
/// ```
///
/// An entry is one table of one series at one schema and zero threshold (a generation of its
/// recorder). When a writer lowers a series' resolution it appends a new entry and leaves the old
/// one as it is, so a killed writer never leaves counts half moved; readers add up every entry of a
/// key (``NativeBucketTotal``). Keys are stored so that zero means empty, so a new table needs no
/// writes beyond its header and the file's new space stays sparse until buckets are claimed.
///
/// Pure: works on bytes, so it is tested and fuzzed in memory.
package enum NativeBucketFileLayout {
    /// Bytes of an entry's table header, after its padding (``NativeBucketTable`` owns the table).
    package static var tableHeaderSize: Int { NativeBucketTable.headerSize }
    /// The largest native file a reader takes in (larger ones are reported): 30,000 series at the
    /// default bucket limit, each with its resolution halved once.
    package static let sizeLimit = 512 << 20
    /// The most bucket slots a table may have (a writer uses at most 4,096).
    package static let maximumCapacity = 1 << 16
    /// The flag of a table whose series also keeps classic buckets.
    package static let keepsClassicBucketsFlag: UInt32 = 1
    /// The flag of a table whose series was removed (its counts no longer count).
    package static let removedFlag: UInt32 = 2
    /// What a stored key is XORed with: the empty key becomes 0.
    package static var keyMask: Int64 { NativeBucketTable.keyMask }

    /// The size of a whole entry.
    package static func entrySize(forKeyLength keyLength: Int, capacity: Int) -> Int {
        4 + keyLength + DBFileLayout.paddingLength(forKeyLength: keyLength) + tableHeaderSize + 16 * capacity
    }

    /// One entry of a native histogram file.
    package struct EntryLocation: Equatable {
        package var offset: Int
        package var keyRange: Range<Int>
        /// Offset of the table header (capacity), right after the padding.
        package var tableOffset: Int
        package var capacity: Int
        package var end: Int { tableOffset + NativeBucketFileLayout.tableHeaderSize + 16 * capacity }
    }

    /// What one table holds.
    package struct Table {
        package var flags: UInt32
        package var schema: Int32
        package var zeroThreshold: Double
        package var zeroCount: Int64
        /// Claimed buckets (`index * 2`, plus 1 when negative) with their counts.
        package var buckets: [(key: Int64, count: Int64)]

        package var isRemoved: Bool { flags & NativeBucketFileLayout.removedFlag != 0 }
        package var keepsClassicBuckets: Bool { flags & NativeBucketFileLayout.keepsClassicBucketsFlag != 0 }
    }

    /// The entry at `offset` of a file whose used bytes are `bytes`.
    ///
    /// - Throws: `DBFileError.entryOutOfRange` when it runs past `used`, and
    ///   `DBFileError.invalidEntry` for an impossible capacity.
    package static func entry(at offset: Int, in bytes: UnsafeRawBufferPointer, used: Int) throws(DBFileError)
        -> EntryLocation
    {
        let (keyRange, tableOffset) = try DBFileLayout.keyedEntry(
            at: offset, in: bytes, used: used, tailHeaderSize: tableHeaderSize)
        let capacity = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: tableOffset, as: UInt32.self)))
        guard capacity > 0, capacity <= maximumCapacity else {
            throw .invalidEntry(offset: offset, reason: "a native bucket table of \(capacity) slots is impossible")
        }
        let location = EntryLocation(offset: offset, keyRange: keyRange, tableOffset: tableOffset, capacity: capacity)
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

    /// The table of the entry at `location`.
    ///
    /// - Throws: `DBFileError.invalidEntry` for a schema outside -4...8, a zero threshold that is not
    ///   a finite non-negative number, a negative count, or a bucket index beyond any double's.
    package static func table(at location: EntryLocation, in bytes: UnsafeRawBufferPointer) throws(DBFileError) -> Table
    {
        let start = location.tableOffset
        func reject(_ reason: String) -> DBFileError { .invalidEntry(offset: location.offset, reason: reason) }
        let flags = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: start + 4, as: UInt32.self))
        let schema = Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: start + 8, as: Int32.self))
        let threshold = DBFileLayout.double(at: start + 16, in: bytes)
        let zeroCount = Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: start + 24, as: Int64.self))
        guard NativeBucketMath.schemaRange.contains(schema) else {
            throw reject("the native schema \(schema) is impossible")
        }
        guard threshold.isFinite, threshold >= 0 else { throw reject("the zero threshold \(threshold) is impossible") }
        guard zeroCount >= 0 else { throw reject("the zero bucket count \(zeroCount) is negative") }
        var buckets: [(key: Int64, count: Int64)] = []
        let keys = start + tableHeaderSize
        let counts = keys + 8 * location.capacity
        for slot in 0..<location.capacity {
            let stored = Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: keys + 8 * slot, as: Int64.self))
            guard stored != 0 else { continue }
            let key = stored ^ keyMask
            let count = Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: counts + 8 * slot, as: Int64.self))
            guard count >= 0 else { throw reject("a native bucket count of \(count) is negative") }
            guard Swift.abs(key >> 1) <= Int64(Int32.max) else {
                throw reject("the native bucket index \(key >> 1) is beyond any number's")
            }
            if count > 0 { buckets.append((key, count)) }
        }
        return Table(flags: flags, schema: schema, zeroThreshold: threshold, zeroCount: zeroCount, buckets: buckets)
    }

    /// Every table of a file's used bytes with its key bytes, in file order.
    ///
    /// - Throws: `DBFileError` when an entry runs out of range or holds impossible values.
    package static func tables(in bytes: [UInt8]) throws(DBFileError) -> [(key: [UInt8], table: Table)] {
        let result: Result<[(key: [UInt8], table: Table)], DBFileError> = bytes.withUnsafeBytes { raw in
            var found: [(key: [UInt8], table: Table)] = []
            do throws(DBFileError) {
                try forEachEntry(in: raw, used: raw.count) { location throws(DBFileError) in
                    let table = try table(at: location, in: raw)
                    found.append((Array(UnsafeRawBufferPointer(rebasing: raw[location.keyRange])), table))
                }
                return .success(found)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Writes an entry's key, padding and table header at `entry` (zeroed memory of
    /// ``entrySize(forKeyLength:capacity:)`` bytes), and returns the table header's address.
    package static func writeEntry(
        key: [UInt8], capacity: Int, flags: UInt32, schema: Int32, zeroThreshold: Double,
        at entry: UnsafeMutableRawPointer
    ) -> UnsafeMutableRawPointer {
        let table = DBFileLayout.writeEntryPrefix(key: key, at: entry)
        table.storeBytes(of: UInt32(capacity).littleEndian, as: UInt32.self)
        table.storeBytes(of: flags.littleEndian, toByteOffset: 4, as: UInt32.self)
        table.storeBytes(of: schema.littleEndian, toByteOffset: 8, as: Int32.self)
        table.storeBytes(of: zeroThreshold.bitPattern.littleEndian, toByteOffset: 16, as: UInt64.self)
        return table
    }

    /// A whole file holding one table per key (for archives), sized like a new `.db` file: each
    /// table exactly as large as its buckets.
    package static func makeFile(entries: [(key: [UInt8], flags: UInt32, total: NativeBucketTotal)]) -> [UInt8] {
        let sides = entries.map { $0.total.bucketsBySide }
        var size = DBFileLayout.headerSize
        for (entry, side) in zip(entries, sides) {
            size += entrySize(
                forKeyLength: entry.key.count, capacity: Swift.max(1, side.positive.count + side.negative.count))
        }
        var bytes = [UInt8](repeating: 0, count: DBFileLayout.capacity(toFit: size))
        bytes.withUnsafeMutableBytes { raw in
            let base = raw.baseAddress!
            var offset = DBFileLayout.headerSize
            for (entry, side) in zip(entries, sides) {
                let buckets =
                    side.positive.map { (key: Int64($0.index) * 2, count: $0.count) }
                    + side.negative.map { (key: Int64($0.index) * 2 + 1, count: $0.count) }
                let capacity = Swift.max(1, buckets.count)
                let table = writeEntry(
                    key: entry.key, capacity: capacity, flags: entry.flags, schema: entry.total.schema ?? 0,
                    zeroThreshold: entry.total.zeroThreshold, at: base + offset)
                table.storeBytes(of: entry.total.zeroCount.littleEndian, toByteOffset: 24, as: Int64.self)
                for (slot, bucket) in buckets.enumerated() {
                    (table + tableHeaderSize + 8 * slot).storeBytes(
                        of: (bucket.key ^ keyMask).littleEndian, as: Int64.self)
                    (table + tableHeaderSize + 8 * capacity + 8 * slot).storeBytes(
                        of: bucket.count.littleEndian, as: Int64.self)
                }
                offset += entrySize(forKeyLength: entry.key.count, capacity: capacity)
            }
            base.storeBytes(of: UInt32(offset).littleEndian, as: UInt32.self)
        }
        return bytes
    }
}

extension NativeBucketFileLayout {
    /// Sets the removed flag of the table at `table` (its header, in a mapped file): readers skip the
    /// table from then on.
    package static func markRemoved(_ table: UnsafeMutableRawPointer) {
        let flags = UInt32(littleEndian: table.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        prometheus_atomic_store_int32_release(
            (table + 4).assumingMemoryBound(to: Int32.self), Int32(bitPattern: (flags | removedFlag).littleEndian))
    }
}

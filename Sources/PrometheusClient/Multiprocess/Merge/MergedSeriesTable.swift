/// Every series a merge has met, numbered, with what it needs to merge and expose them; and the
/// memory of which raw key bytes mean which series, so a key is decoded once however many files
/// and scrapes repeat it.
///
/// It also keeps the families consistent across files: a family has one type, and no family may
/// use a name another family derives (`a_bucket` of histogram `a`), or the collector's own names.
/// Entries that would break this are rejected, not merged. Pure apart from its caches.
final class MergedSeriesTable {
    struct Series {
        var key: MergedSeriesKey
        var type: MetricType
        var help: String
        var rule: MergeRule
        /// Whether the merged value may only grow (counter totals, histogram buckets, summary counts).
        var isMonotonic: Bool
    }

    /// What the key bytes of an entry mean: a series number, or why it is rejected.
    enum Meaning {
        case series(Int)
        case rejected(reason: String)
    }

    /// Keys already decoded, per group of files whose keys mean the same series (all counter files;
    /// each process's `all`-mode gauge file, whose series carry its pid): raw key bytes → meaning.
    private struct KeyGroup {
        var meaningsByHash: [UInt64: [(key: [UInt8], meaning: Meaning)]] = [:]
        /// The entries of the longest file decoded in the group. Workers create the same metrics in the
        /// same order, so another process's file usually has the same key at the same offset: one
        /// byte comparison instead of a hash lookup.
        var template: [(offset: Int, key: [UInt8], meaning: Meaning)] = []
    }

    private(set) var series: [Series] = []
    /// `series[i].rule`, contiguous for the value loop of a merge.
    private(set) var rules: [MergeRule] = []
    private var index: [MergedSeriesKey: Int] = [:]
    private var groups: [String: KeyGroup] = [:]
    /// The type of each family met, and which family owns each name a family derives.
    private var familyTypes: [ByteString: MetricType] = [:]
    private var nameOwners: [ByteString: ByteString] = [:]

    /// Creates a table in which `reservedFamilies` (the collector's self-metrics) cannot be merged.
    init(reservedFamilies: [String]) {
        for name in reservedFamilies {
            nameOwners[ByteString(name)] = ByteString("")
        }
    }

    /// Decodes the entries of `file` from `start` to `used`, in file order.
    ///
    /// - Parameter bytes: a window of the file: its bytes from `bytesOffset` on.
    /// - Returns: where decoding stopped: `used`, or the start of the first entry that does not end
    ///   within the window. Each decoded entry's meaning and value offset is appended to `decoded`.
    /// - Throws: `DBFileError` when an entry is out of range or its key is not valid JSON; the file
    ///   is then unreadable as a whole.
    func decodeEntries(
        of file: DBFileName, bytes: UnsafeRawBufferPointer, bytesOffset: Int, from start: Int, used: Int,
        isFirstDecode: Bool, into decoded: inout [(meaning: Meaning, entryOffset: Int, valueOffset: Int)]
    ) throws(DBFileError) -> Int {
        let tag = Self.groupTag(of: file)
        var group = groups.removeValue(forKey: tag) ?? KeyGroup()
        defer { groups[tag] = group }
        var offset = start
        var templateIndex = 0
        var learned: [(offset: Int, key: [UInt8], meaning: Meaning)] = []
        while offset < used {
            guard
                let location = try DBFileLayout.entry(
                    at: offset, inWindow: bytes, windowOffset: bytesOffset, used: used)
            else { break }
            let keyBytes = UnsafeRawBufferPointer(
                rebasing: bytes[
                    (location.keyRange.lowerBound - bytesOffset)..<(location.keyRange.upperBound - bytesOffset)])
            while templateIndex < group.template.count && group.template[templateIndex].offset < offset {
                templateIndex += 1
            }
            let meaning: Meaning
            if templateIndex < group.template.count, group.template[templateIndex].offset == offset,
                group.template[templateIndex].key.withUnsafeBytes({ $0.elementsEqual(keyBytes) })
            {
                meaning = group.template[templateIndex].meaning
            } else {
                let hash = Self.hash(keyBytes)
                if let known = group.meaningsByHash[hash]?.first(where: {
                    $0.key.withUnsafeBytes { $0.elementsEqual(keyBytes) }
                }) {
                    meaning = known.meaning
                } else {
                    meaning = try interpret(keyBytes, in: file, at: offset)
                    group.meaningsByHash[hash, default: []].append((Array(keyBytes), meaning))
                }
            }
            decoded.append((meaning, offset, location.valueOffset))
            if isFirstDecode {
                learned.append((offset, Array(keyBytes), meaning))
            }
            offset = location.end
        }
        if learned.count > group.template.count {
            group.template = learned
        }
        return offset
    }

    /// Decodes and interprets one key never seen in its group.
    private func interpret(_ keyBytes: UnsafeRawBufferPointer, in file: DBFileName, at offset: Int) throws(DBFileError)
        -> Meaning
    {
        let key: DBKey
        do {
            key = try DBKey(json: keyBytes.assumingMemoryBound(to: UInt8.self))
        } catch {
            throw .invalidKey(offset: offset, reason: error.reason)
        }
        let seriesKey: MergedSeriesKey
        do {
            seriesKey = try MergedSeriesKey(
                key: key, kind: file.kind, processIdentifier: file.processIdentifier, offset: offset)
        } catch {
            if case .invalidEntry(_, let reason) = error { return .rejected(reason: reason) }
            throw error
        }
        if let existing = index[seriesKey] { return .series(existing) }
        let type = file.kind.metricType
        if let rejection = registerFamily(seriesKey.familyName, type: type) {
            return .rejected(reason: rejection)
        }
        let rule = MergeRule(file.kind)
        let sample = seriesKey.sampleName.string
        let isMonotonic =
            type == .counter || (type == .histogram && seriesKey.bucketBound != nil)
            || (type == .summary && sample.hasSuffix("_count"))
        rules.append(rule)
        series.append(Series(key: seriesKey, type: type, help: key.help, rule: rule, isMonotonic: isMonotonic))
        index[seriesKey] = series.count - 1
        return .series(series.count - 1)
    }

    /// Records that family `name` has `type`; the reason it cannot, if another family has another
    /// type under that name or derives it.
    private func registerFamily(_ name: ByteString, type: MetricType) -> String? {
        if let known = familyTypes[name] {
            return known == type ? nil : "\(name) is a \(known.rawValue) in other files, not a \(type.rawValue)"
        }
        let derived = [name] + type.reservedSuffixes.map { ByteString(name.string + $0) }
        for candidate in derived {
            if let owner = nameOwners[candidate], owner != name {
                return owner.string.isEmpty
                    ? "\(candidate) is the name of a metric of the collector itself"
                    : "\(candidate) is already a name of the family \(owner)"
            }
        }
        familyTypes[name] = type
        for candidate in derived { nameOwners[candidate] = name }
        return nil
    }

    /// Files whose keys mean the same series share a group: every file of a kind, except that each
    /// process's per-process gauge file is its own group (its series carry its pid).
    private static func groupTag(of file: DBFileName) -> String {
        MergeRule(file.kind) == .perProcess ? file.kind.filePrefix + "_" + file.processIdentifier : file.kind.filePrefix
    }

    /// A hash of the key bytes, seeded per process (SipHash): the bytes come from files anybody with
    /// access to the directory can write, so collisions must not be constructible.
    private static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hasher = Hasher()
        hasher.combine(bytes: bytes)
        return UInt64(bitPattern: Int64(hasher.finalize()))
    }
}

import PrometheusClient
import PrometheusSystem

/// Every series a merge has met, numbered, with what it needs to merge and expose them; and the
/// memory of which raw key bytes mean which series, so a key is decoded once however many files
/// and scrapes repeat it.
///
/// A series is known by its key and its type: files may give one family two types, or a name
/// another family derives (`a_bucket` of histogram `a`); which of them a scrape shows is decided at
/// each scrape from the files present (``FamilyClashes``), not here, so that a file deleted or mended
/// stops mattering. Only the collector's own names are rejected here, once and for all. Pure apart
/// from its caches.
final class MergedSeriesTable {
    struct Series {
        var key: MergedSeriesKey
        var type: MetricType
        var help: String
        var rule: MergeRule
        /// Whether the merged value may only grow (counter totals, histogram buckets, summary counts).
        var isMonotonic: Bool
    }

    /// What the key bytes of an entry mean: a series number, or why it is rejected. A plain integer
    /// (a series number, or the negated position of the reason in ``rejections``), so the arrays of
    /// meanings a cold merge builds per file hold no references.
    struct Meaning: Equatable {
        fileprivate let code: Int

        /// The series the entry feeds, or nil when it is rejected.
        var series: Int? { code >= 0 ? code : nil }

        static func series(_ number: Int) -> Meaning { Meaning(code: number) }
        fileprivate static func rejection(_ index: Int) -> Meaning { Meaning(code: -1 - index) }
        fileprivate var rejectionIndex: Int? { code < 0 ? -1 - code : nil }
    }

    /// Why entries were rejected, by ``Meaning``.
    private var rejections: [String] = []

    /// Why an entry with this meaning was rejected, or nil when it feeds a series.
    func rejectionReason(_ meaning: Meaning) -> String? {
        meaning.rejectionIndex.map { rejections[$0] }
    }

    private func reject(_ reason: String) -> Meaning {
        rejections.append(reason)
        return .rejection(rejections.count - 1)
    }

    /// Keys already decoded, per group of files whose keys mean the same series (all counter files;
    /// each process's `all`-mode gauge file, whose series carry its pid): raw key bytes → meaning.
    private struct KeyGroup {
        var meaningsByHash: [UInt64: [(key: [UInt8], meaning: Meaning)]] = [:]
        /// The entries of the longest file decoded in the group. Workers create the same metrics in the
        /// same order, so another process's file usually has the same key at the same offset: one
        /// byte comparison instead of a hash lookup.
        var template = Template()
    }

    /// A file's entries as offsets into one byte array of their keys: plain values, so walking it
    /// retains nothing per entry.
    private struct Template {
        var entries: [(offset: Int, keyStart: Int, keyCount: Int, meaning: Meaning)] = []
        var keys: [UInt8] = []
    }

    private(set) var series: [Series] = []
    /// `series[i].rule`, contiguous for the value loop of a merge.
    private(set) var rules: [MergeRule] = []
    /// A series' identity: a family met under two types has two series per key. Its hash is worked
    /// out once, so that growing the index rehashes integers, not every series' strings.
    private struct TypedKey: Hashable {
        let key: MergedSeriesKey
        let type: MetricType
        private let keyHash: Int

        init(key: MergedSeriesKey, type: MetricType) {
            self.key = key
            self.type = type
            var hasher = Hasher()
            key.hash(into: &hasher)
            hasher.combine(type)
            keyHash = hasher.finalize()
        }

        static func == (lhs: TypedKey, rhs: TypedKey) -> Bool {
            lhs.keyHash == rhs.keyHash && lhs.type == rhs.type && lhs.key == rhs.key
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(keyHash)
        }
    }

    private var index: [TypedKey: Int] = [:]
    private var groups: [GroupKey: KeyGroup] = [:]
    /// The names of the collector's own metrics, which no file may use or derive.
    private var reservedNames: Set<ByteString> = []
    /// The family checked last against ``reservedNames`` and what was found: a file's new keys
    /// mostly repeat the family of the key before.
    private var lastReservedCheck: (name: ByteString, type: MetricType, rejection: String?)?

    /// What decoding one file added to the table, so that a file found corrupt takes all of it back:
    /// a file the merge skips must decide nothing, not even a family's type.
    private struct Additions {
        var seriesCount: Int
        var rejectionCount: Int
        var meanings: [(group: GroupKey, hash: UInt64)] = []
    }

    private var additions: Additions?

    /// Starts recording what decoding one file adds (``rollBackFile()`` or ``commitFile()`` end it).
    func beginFile() {
        additions = Additions(seriesCount: series.count, rejectionCount: rejections.count)
    }

    /// Keeps what the file's decoding added.
    func commitFile() {
        additions = nil
    }

    /// Takes back everything the file's decoding added: its series and the meanings it remembered.
    func rollBackFile() {
        guard let added = additions else { return }
        additions = nil
        for (group, hash) in added.meanings.reversed() {
            groups[group]?.meaningsByHash[hash]?.removeLast()
            if groups[group]?.meaningsByHash[hash]?.isEmpty == true {
                groups[group]?.meaningsByHash.removeValue(forKey: hash)
            }
        }
        for added in series[added.seriesCount...] {
            index.removeValue(forKey: TypedKey(key: added.key, type: added.type))
        }
        series.removeLast(series.count - added.seriesCount)
        rules.removeLast(rules.count - added.seriesCount)
        rejections.removeLast(rejections.count - added.rejectionCount)
    }

    /// Creates a table in which `reservedFamilies` (the collector's self-metrics) cannot be merged.
    init(reservedFamilies: [String]) {
        reservedNames = Set(reservedFamilies.map { ByteString($0) })
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
        let groupKey = GroupKey(file)
        var group = groups.removeValue(forKey: groupKey) ?? KeyGroup()
        defer { groups[groupKey] = group }
        var offset = start
        var templateIndex = 0
        let firstDecoded = decoded.count
        let template = group.template
        let result: Result<Int, DBFileError> = template.keys.withUnsafeBytes { templateKeys in
            do throws(DBFileError) {
                while offset < used {
                    guard
                        let location = try DBFileLayout.entry(
                            at: offset, inWindow: bytes, windowOffset: bytesOffset, used: used)
                    else { break }
                    let keyBytes = UnsafeRawBufferPointer(
                        rebasing: bytes[
                            (location.keyRange.lowerBound - bytesOffset)..<(location.keyRange.upperBound - bytesOffset)]
                    )
                    while templateIndex < template.entries.count && template.entries[templateIndex].offset < offset {
                        templateIndex += 1
                    }
                    var meaning: Meaning?
                    if templateIndex < template.entries.count, template.entries[templateIndex].offset == offset {
                        let entry = template.entries[templateIndex]
                        let known = UnsafeRawBufferPointer(
                            rebasing: templateKeys[entry.keyStart..<(entry.keyStart + entry.keyCount)])
                        if ByteIdentity.equal(known, keyBytes) { meaning = entry.meaning }
                    }
                    if meaning == nil {
                        meaning = try lookUp(keyBytes, in: &group, file: file, offset: offset)
                    }
                    decoded.append((meaning!, offset, location.valueOffset))
                    offset = location.end
                }
                return .success(offset)
            } catch {
                return .failure(error)
            }
        }
        let stop = try result.get()
        // The longest file decoded from its start becomes the group's template; its keys are copied
        // once, here (an entry's key starts 4 bytes after it, its length is those 4 bytes).
        let learned = decoded.count - firstDecoded
        if isFirstDecode && learned > template.entries.count {
            var next = Template()
            next.entries.reserveCapacity(learned)
            for entry in decoded[firstDecoded...] {
                let local = entry.entryOffset - bytesOffset
                let keyLength = Int(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: local, as: Int32.self)))
                next.entries.append((entry.entryOffset, next.keys.count, keyLength, entry.meaning))
                next.keys.append(
                    contentsOf: UnsafeRawBufferPointer(rebasing: bytes[(local + 4)..<(local + 4 + keyLength)]))
            }
            group.template = next
        }
        return stop
    }

    /// The meaning of key bytes the template did not know: from the group's hash table, or decoded.
    private func lookUp(_ keyBytes: UnsafeRawBufferPointer, in group: inout KeyGroup, file: DBFileName, offset: Int)
        throws(DBFileError) -> Meaning
    {
        let hash = Self.hash(keyBytes)
        if let known = group.meaningsByHash[hash]?.first(where: {
            $0.key.withUnsafeBytes { ByteIdentity.equal($0, keyBytes) }
        }) {
            return known.meaning
        }
        let meaning = try interpret(keyBytes, in: file, at: offset)
        group.meaningsByHash[hash, default: []].append((Array(keyBytes), meaning))
        additions?.meanings.append((GroupKey(file), hash))
        return meaning
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
            if case .invalidEntry(_, let reason) = error { return reject(reason) }
            throw error
        }
        let type = file.kind.metricType
        let typedKey = TypedKey(key: seriesKey, type: type)
        if let existing = index[typedKey] { return .series(existing) }
        if let rejection = reservedNameRejection(seriesKey.familyName, type: type) {
            return reject(rejection)
        }
        let rule = MergeRule(file.kind)
        let sample = seriesKey.sampleName.string
        let isMonotonic =
            type == .counter || (type == .histogram && seriesKey.bucketBound != nil)
            || (type == .summary && sample.hasSuffix("_count"))
        rules.append(rule)
        series.append(Series(key: seriesKey, type: type, help: key.help, rule: rule, isMonotonic: isMonotonic))
        index[typedKey] = series.count - 1
        return .series(series.count - 1)
    }

    /// Why family `name` of `type` cannot be merged: it is, or derives, the name of one of the
    /// collector's own metrics; nil when it can.
    private func reservedNameRejection(_ name: ByteString, type: MetricType) -> String? {
        guard !reservedNames.isEmpty else { return nil }
        if let last = lastReservedCheck, last.type == type, last.name == name { return last.rejection }
        var rejection: String?
        for candidate in [name] + type.reservedSuffixes.map({ ByteString(name.string + $0) })
        where reservedNames.contains(candidate) {
            rejection = "\(candidate) is the name of a metric of the collector itself"
            break
        }
        lastReservedCheck = (name, type, rejection)
        return rejection
    }

    /// Files whose keys mean the same series share a group: every file of a kind, except that each
    /// process's per-process gauge file is its own group (its series carry its pid).
    private struct GroupKey: Hashable {
        var kind: StorageKind
        var process: ByteString?

        init(_ file: DBFileName) {
            kind = file.kind
            process = MergeRule(file.kind) == .perProcess ? ByteString(file.processIdentifier) : nil
        }
    }

    /// A hash of the key bytes, seeded per process (SipHash): the bytes come from files anybody with
    /// access to the directory can write, so collisions must not be constructible.
    private static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hasher = Hasher()
        hasher.combine(bytes: bytes)
        return UInt64(bitPattern: Int64(hasher.finalize()))
    }
}

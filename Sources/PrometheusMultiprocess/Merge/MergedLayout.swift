import PrometheusClient
import Synchronization

/// The order a merge's series are exposed in, worked out once for the series a merge knows and kept
/// until new series appear: families by name (and type, when files give one name two types), label
/// sets within a family, histogram buckets by bound, other samples by name; all comparisons on
/// bytes. Families that cannot be shown together are listed in ``clashes``. Which of them a scrape shows depends on its values
/// (``MergedScrape``); the order does not.
///
/// Also keeps, per name escaping scheme, the bytes the writers copy into every line
/// (``MergedLayout/Texts``): each label set's escaped label block, each bucket's `le` piece, each
/// sample name, so that a warm scrape escapes and formats nothing it did the scrape before.
/// Immutable apart from that cache, which is locked.
final class MergedLayout: Sendable {
    /// A family: its label sets are `sets[sets]`.
    struct Family {
        let name: String
        let type: MetricType
        let help: String
        let sets: Range<Int>
    }

    /// The series of one label set: bucket series (by bound) are `buckets[buckets]`, the others (by
    /// sample name) `others[others]`.
    struct LabelSet {
        let labels: [Label]
        let buckets: Range<Int>
        let others: Range<Int>
    }

    let families: [Family]
    /// For each family that cannot be shown beside some other (one name with two types, or a name
    /// the other derives), those others, by position. Empty unless files disagree.
    let clashes: [Int: [Int]]
    let sets: [LabelSet]
    /// The series number and bound of each bucket position.
    let buckets: [(series: Int, bound: Double)]
    /// The series number of each other sample's position.
    let others: [Int]
    /// The series the layout was made from.
    let series: [MergedSeriesTable.Series]

    private let texts = Mutex<[NameEscapingScheme: Texts]>([:])

    /// Lays out `series` (a merge's series table).
    init(series: [MergedSeriesTable.Series]) {
        self.series = series
        var grouped: [FamilyKey: (first: Int, sets: [[Label]: [Int]])] = [:]
        for index in series.indices {
            let key = series[index].key
            grouped[FamilyKey(name: key.familyName, type: series[index].type), default: (index, [:])]
                .sets[key.labels, default: []].append(index)
        }
        var families: [Family] = []
        var sets: [LabelSet] = []
        var buckets: [(series: Int, bound: Double)] = []
        var others: [Int] = []
        families.reserveCapacity(grouped.count)
        for name in grouped.keys.sorted(by: FamilyKey.precedes) {
            let family = grouped[name]!
            let firstSet = sets.count
            for labels in family.sets.keys.sorted(by: Self.labelsPrecede) {
                let members = family.sets[labels]!
                let firstBucket = buckets.count
                let firstOther = others.count
                for number in members {
                    if let bound = series[number].key.bucketBound {
                        buckets.append((number, bound))
                    } else {
                        others.append(number)
                    }
                }
                buckets[firstBucket...].sort { $0.bound < $1.bound }
                others[firstOther...].sort {
                    ByteIdentity.precedes(series[$0].key.sampleName.string, series[$1].key.sampleName.string)
                }
                sets.append(
                    LabelSet(labels: labels, buckets: firstBucket..<buckets.count, others: firstOther..<others.count))
            }
            let first = series[family.first]
            families.append(
                Family(name: name.name.string, type: name.type, help: first.help, sets: firstSet..<sets.count))
        }
        self.families = families
        clashes = Self.clashes(of: families)
        self.sets = sets
        self.buckets = buckets
        self.others = others
    }

    /// A family's name and type: files may give one name two types.
    private struct FamilyKey: Hashable {
        var name: ByteString
        var type: MetricType

        static func precedes(_ lhs: FamilyKey, _ rhs: FamilyKey) -> Bool {
            if !ByteIdentity.equal(lhs.name.string, rhs.name.string) {
                return ByteIdentity.precedes(lhs.name.string, rhs.name.string)
            }
            return lhs.type.rawValue < rhs.type.rawValue
        }
    }

    /// The families each family cannot be shown beside: one that has its name with another type,
    /// or whose name it derives (`a_bucket` beside histogram `a`), or that derives its name.
    private static func clashes(of families: [Family]) -> [Int: [Int]] {
        var byName: [ByteString: [Int]] = [:]
        for (position, family) in families.enumerated() {
            byName[ByteString(family.name), default: []].append(position)
        }
        var clashes: [Int: [Int]] = [:]
        for (position, family) in families.enumerated() {
            let names = [family.name] + family.type.reservedSuffixes.map { family.name + $0 }
            for name in names.map({ ByteString($0) }) {
                for other in byName[name] ?? [] where other != position {
                    clashes[position, default: []].append(other)
                    clashes[other, default: []].append(position)
                }
            }
        }
        return clashes.mapValues { Array(Set($0)).sorted() }
    }

    /// Calls `body` with the number of every series of the family at `position`.
    func forEachSeries(ofFamily position: Int, _ body: (Int) -> Void) {
        for set in sets[families[position].sets] {
            for bucket in buckets[set.buckets] { body(bucket.series) }
            for other in others[set.others] { body(other) }
        }
    }

    /// An empty layout.
    convenience init() {
        self.init(series: [])
    }

    /// Label sets are ordered by their labels in the order the files wrote them.
    private static func labelsPrecede(_ lhs: [Label], _ rhs: [Label]) -> Bool {
        for (left, right) in zip(lhs, rhs) {
            if !ByteIdentity.equal(left.name, right.name) { return ByteIdentity.precedes(left.name, right.name) }
            if !ByteIdentity.equal(left.value, right.value) { return ByteIdentity.precedes(left.value, right.value) }
        }
        return lhs.count < rhs.count
    }

    /// The bytes every line of the layout copies under `escaping`, made at the first scrape that
    /// asks for them.
    func texts(for escaping: NameEscapingScheme) -> Texts {
        texts.withLock { cache in
            if let known = cache[escaping] { return known }
            let made = Texts(self, escaping: escaping)
            cache[escaping] = made
            return made
        }
    }

    /// Escaped names and label blocks of a layout under one scheme.
    final class Texts: Sendable {
        /// Each set's label block (``SeriesLineWriter/keptBlock(for:escaping:extraLabelName:into:)``),
        /// from `blockStarts[set]` to `blockStarts[set + 1]`, split at `splits[set]`.
        let blocks: [UInt8]
        let blockStarts: [Int]
        let splits: [Int]
        /// Each family's `_bucket`, `_count` and `_created` sample names.
        let familyNames: [(bucket: [UInt8], count: [UInt8], created: [UInt8])]
        /// The `le="..."` piece of each bucket position, as an index into `pieces`.
        let bucketPieces: [Int]
        let pieces: [[UInt8]]
        /// The sample name of each other position, as an index into `names`.
        let otherNames: [Int]
        let names: [[UInt8]]

        init(_ layout: MergedLayout, escaping: NameEscapingScheme) {
            let writer = SeriesLineWriter(format: .prometheusText004, escaping: escaping)
            var blocks: [UInt8] = []
            var starts = [0]
            var splits: [Int] = []
            var familyNames: [(bucket: [UInt8], count: [UInt8], created: [UInt8])] = []
            var pieces: [[UInt8]] = []
            var pieceIndex: [UInt64: Int] = [:]
            var names: [[UInt8]] = []
            var nameIndex: [ByteString: Int] = [:]
            for family in layout.families {
                let bucket = writer.sampleName(family.name, suffix: "_bucket")
                let count = writer.sampleName(family.name, suffix: "_count")
                familyNames.append((bucket, count, writer.sampleName(family.name, suffix: "_created")))
                for set in layout.sets[family.sets] {
                    splits.append(
                        SeriesLineWriter.keptBlock(
                            for: set.labels, escaping: escaping, extraLabelName: set.buckets.isEmpty ? nil : "le",
                            into: &blocks))
                    starts.append(blocks.count)
                }
            }
            bucketPieces = layout.buckets.map { bucket in
                if let known = pieceIndex[bucket.bound.bitPattern] { return known }
                pieces += writer.extraLabels(name: "le", values: [GoFloatFormat.string(bucket.bound)])
                pieceIndex[bucket.bound.bitPattern] = pieces.count - 1
                return pieces.count - 1
            }
            otherNames = layout.others.map { number in
                let name = layout.series[number].key.sampleName
                if let known = nameIndex[name] { return known }
                names.append(writer.sampleName(name.string))
                nameIndex[name] = names.count - 1
                return names.count - 1
            }
            self.blocks = blocks
            blockStarts = starts
            self.splits = splits
            self.familyNames = familyNames
            self.pieces = pieces
            self.names = names
        }
    }
}

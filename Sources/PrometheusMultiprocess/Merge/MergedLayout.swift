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

    /// Lays out `series` (a merge's series table): one sort of the series numbers on bytes
    /// (``MergedSeriesOrder``), then one walk that cuts it into families and label sets.
    init(series: [MergedSeriesTable.Series]) {
        self.series = series
        let order = MergedSeriesOrder(series)
        let numbers = order.numbers
        var families: [Family] = []
        var sets: [LabelSet] = []
        var buckets: [(series: Int, bound: Double)] = []
        var others: [Int] = []
        buckets.reserveCapacity(series.count)
        others.reserveCapacity(series.count)
        var firstSet = 0
        var firstBucket = 0
        var firstOther = 0
        var firstMet = Int.max
        for position in numbers.indices {
            let number = numbers[position]
            firstMet = min(firstMet, number)
            if let bound = series[number].key.bucketBound {
                buckets.append((number, bound))
            } else {
                others.append(number)
            }
            let next = position + 1 < numbers.count ? numbers[position + 1] : nil
            let familyEnds = next.map { !order.sameFamily(number, $0) } ?? true
            guard familyEnds || !order.sameLabels(number, next!) else { continue }
            sets.append(
                LabelSet(
                    labels: series[number].key.labels, buckets: firstBucket..<buckets.count,
                    others: firstOther..<others.count))
            firstBucket = buckets.count
            firstOther = others.count
            guard familyEnds else { continue }
            // A family's help is that of its series met first, as when families were grouped in order.
            families.append(
                Family(
                    name: series[number].key.familyName.string, type: series[number].type,
                    help: series[firstMet].help, sets: firstSet..<sets.count))
            firstSet = sets.count
            firstMet = Int.max
        }
        self.families = families
        clashes = Self.clashes(of: families)
        self.sets = sets
        self.buckets = buckets
        self.others = others
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

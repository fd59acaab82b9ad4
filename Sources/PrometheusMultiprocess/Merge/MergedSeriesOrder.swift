import PrometheusClient

/// The exposition order of a merge's series, worked out on bytes: families by name and then type,
/// label sets by their labels in the order the files wrote them, histogram buckets by bound, other
/// samples by name, and first met first among equals.
///
/// Each series' family name, labels and sample name are copied once into one byte array, the labels
/// in an order-preserving encoding, so that sorting compares bytes with `memcmp` and retains
/// nothing: a cold merge of 16,000 new series spent a fifth of its time comparing `[Label]` arrays.
struct MergedSeriesOrder {
    /// Series numbers in exposition order.
    let numbers: [Int]
    private let bytes: [UInt8]
    private let spans: [Span]

    /// Where one series' pieces are in ``bytes``: family name, encoded labels, sample name, in turn.
    private struct Span {
        var family: Int
        var labels: Int
        var sample: Int
        var end: Int
        var typeRank: Int
        var bound: Double?
    }

    /// Orders `series` (a merge's series table).
    init(_ series: [MergedSeriesTable.Series]) {
        var bytes: [UInt8] = []
        var spans: [Span] = []
        spans.reserveCapacity(series.count)
        for entry in series {
            let key = entry.key
            let family = bytes.count
            bytes.append(contentsOf: key.familyName.string.utf8)
            let labels = bytes.count
            for label in key.labels {
                Self.appendEncoded(label.name, to: &bytes)
                Self.appendEncoded(label.value, to: &bytes)
            }
            let sample = bytes.count
            bytes.append(contentsOf: key.sampleName.string.utf8)
            spans.append(
                Span(
                    family: family, labels: labels, sample: sample, end: bytes.count,
                    typeRank: Self.typeRanks[entry.type] ?? 0, bound: key.bucketBound))
        }
        var numbers = Array(series.indices)
        bytes.withUnsafeBytes { bytes in
            spans.withUnsafeBufferPointer { spans in
                numbers.withUnsafeMutableBufferPointer { numbers in
                    numbers.sort { Self.precedes($0, $1, bytes: bytes, spans: spans) }
                }
            }
        }
        self.numbers = numbers
        self.bytes = bytes
        self.spans = spans
    }

    /// Whether series `lhs` and `rhs` belong to one family (name and type).
    func sameFamily(_ lhs: Int, _ rhs: Int) -> Bool {
        let left = spans[lhs]
        let right = spans[rhs]
        return left.typeRank == right.typeRank
            && bytes.withUnsafeBytes {
                ByteIdentity.equal(
                    UnsafeRawBufferPointer(rebasing: $0[left.family..<left.labels]),
                    UnsafeRawBufferPointer(rebasing: $0[right.family..<right.labels]))
            }
    }

    /// Whether series `lhs` and `rhs` have the same labels.
    func sameLabels(_ lhs: Int, _ rhs: Int) -> Bool {
        let left = spans[lhs]
        let right = spans[rhs]
        return bytes.withUnsafeBytes {
            ByteIdentity.equal(
                UnsafeRawBufferPointer(rebasing: $0[left.labels..<left.sample]),
                UnsafeRawBufferPointer(rebasing: $0[right.labels..<right.sample]))
        }
    }

    /// Types in the order of their names, as families of one name with two types are listed.
    private static let typeRanks: [MetricType: Int] = Dictionary(
        uniqueKeysWithValues: MetricType.allCases.sorted { $0.rawValue < $1.rawValue }.enumerated().map { ($1, $0) })

    /// Appends `string`'s bytes so that byte order of encodings is the order of sequences of strings:
    /// a zero byte becomes 0x00 0xFF and the string ends with 0x00 0x00, which sorts before any
    /// continuation, so a prefix precedes what extends it and the next string starts level.
    private static func appendEncoded(_ string: String, to bytes: inout [UInt8]) {
        if string.utf8.contains(0) {
            for byte in string.utf8 {
                bytes.append(byte)
                if byte == 0 { bytes.append(0xFF) }
            }
        } else {
            bytes.append(contentsOf: string.utf8)
        }
        bytes.append(0)
        bytes.append(0)
    }

    private static func precedes(
        _ lhs: Int, _ rhs: Int, bytes: UnsafeRawBufferPointer, spans: UnsafeBufferPointer<Span>
    ) -> Bool {
        let left = spans[lhs]
        let right = spans[rhs]
        func piece(_ range: Range<Int>) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[range]) }
        func order(_ leftRange: Range<Int>, _ rightRange: Range<Int>) -> Bool? {
            let leftBytes = piece(leftRange)
            let rightBytes = piece(rightRange)
            if ByteIdentity.equal(leftBytes, rightBytes) { return nil }
            return ByteIdentity.precedes(leftBytes, rightBytes)
        }
        if let family = order(left.family..<left.labels, right.family..<right.labels) { return family }
        if left.typeRank != right.typeRank { return left.typeRank < right.typeRank }
        if let labels = order(left.labels..<left.sample, right.labels..<right.sample) { return labels }
        switch (left.bound, right.bound) {
        case (let leftBound?, let rightBound?):
            if leftBound != rightBound { return leftBound < rightBound }
        case (nil, nil):
            if let sample = order(left.sample..<left.end, right.sample..<right.end) { return sample }
        case (.some, nil):
            return true
        case (nil, .some):
            return false
        }
        return lhs < rhs
    }
}

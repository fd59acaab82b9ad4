/// How the label set of one metric's series is written: its declared labels ordered by the bytes of
/// their names (as the writers order every label set), each as `name="value"` with the value
/// escaped, joined by commas, and split where a label some lines add (a bucket's `le`) belongs.
///
/// Built once per metric for names as declared (each series' block is then kept by its metric's
/// child table) and once per scrape for a scheme that changes the names.
final class LabelBlockLayout: Sendable {
    /// The number of labels.
    let count: Int
    /// The declared positions, in the order of their names' bytes.
    private let sortedPositions: [Int]
    /// Each sorted label's `name="`, concatenated; `openingStarts` has one more entry for the end.
    private let openingBytes: [UInt8]
    private let openingStarts: [Int]
    /// How many sorted labels precede the extra label (all of them when there is none).
    private let extraLabelPosition: Int

    /// - Parameters:
    ///   - labelNames: the declared label names, in declaration order.
    ///   - escaping: how label names are written, or nil for as declared.
    ///   - extraLabelName: the name of a label some lines add, placed among the others by bytes.
    init(labelNames: [String], escaping: NameEscapingScheme?, extraLabelName: String?) {
        let sorted = labelNames.indices.sorted { ByteIdentity.precedes(labelNames[$0], labelNames[$1]) }
        let openings = sorted.map {
            Array(((escaping?.escapeLabelName(labelNames[$0]) ?? labelNames[$0]) + "=\"").utf8)
        }
        count = sorted.count
        sortedPositions = sorted
        openingBytes = openings.flatMap { $0 }
        var starts = [0]
        for opening in openings { starts.append(starts[starts.count - 1] + opening.count) }
        openingStarts = starts
        if let extraLabelName {
            extraLabelPosition = sorted.count { ByteIdentity.precedes(labelNames[$0], extraLabelName) }
        } else {
            extraLabelPosition = sorted.count
        }
    }

    /// Whether `escaping` writes every one of `labelNames` as declared, so that blocks built for the
    /// declared names serve it.
    static func keepsNames(_ labelNames: [String], under escaping: NameEscapingScheme) -> Bool {
        labelNames.allSatisfy { ByteIdentity.equal(escaping.escapeLabelName($0), $0) }
    }

    /// The most bytes ``write(_:to:)`` writes for `values`.
    func maximumBytes(for values: [String]) -> Int {
        var bound = openingBytes.count + 3 * count
        for value in values { bound += 2 * value.utf8.count }
        return bound
    }

    /// Writes the block of a series with label `values` (in declaration order) and returns how many
    /// of its bytes precede the extra label.
    @inline(__always)
    func write(_ values: [String], to writer: inout LineWriter) -> Int {
        let start = writer.position
        var split = 0
        openingBytes.withUnsafeBytes { opening in
            for index in 0..<count {
                if index > 0 && index != extraLabelPosition { writer.append(UInt8(ascii: ",")) }
                if index == extraLabelPosition { split = writer.position - start }
                writer.append(
                    UnsafeRawBufferPointer(rebasing: opening[openingStarts[index]..<openingStarts[index + 1]]))
                writer.appendEscaped(values[sortedPositions[index]], escapingQuotes: true)
                writer.append(0x22)
            }
        }
        return extraLabelPosition == count ? writer.position - start : split
    }
}

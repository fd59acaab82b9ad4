/// Writes the sample lines of an in-process metric's family straight from its children, without
/// building ``Sample`` values: the scrape path of the built-in metric types.
///
/// Each series' label block (see ``LabelBlockLayout``) is escaped once, when the child is created,
/// and kept by the metric's child table; every line of the series copies it, with the line's extra
/// label (a bucket's `le`) in its sorted place. Under a name escaping scheme that changes the label
/// names the blocks are written again per scrape. The bytes equal those ``Exposition`` writes for
/// the same family collected into samples.
package struct SeriesLineWriter {
    package let format: ExpositionFormat
    package let escaping: NameEscapingScheme
    /// The layout for this scrape's scheme when the kept blocks do not serve it.
    private let rewriting: LabelBlockLayout?
    /// The current series' label block: the labels before the extra label, then those after it.
    private var block = UnsafeRawBufferPointer(start: nil, count: 0)
    private var split = 0
    /// Where rewritten blocks are written.
    private var scratch = ExpositionBuffer(reservingCapacity: 0)

    /// - Parameters:
    ///   - labelNames: the metric's declared label names, in declaration order.
    ///   - extraLabelName: the name of a label some lines add (`le`), placed among the others by bytes.
    init(format: ExpositionFormat, escaping: NameEscapingScheme, labelNames: [String], extraLabelName: String?) {
        self.format = format
        self.escaping = escaping
        rewriting =
            LabelBlockLayout.keepsNames(labelNames, under: escaping)
            ? nil : LabelBlockLayout(labelNames: labelNames, escaping: escaping, extraLabelName: extraLabelName)
    }

    /// A writer for series whose kept blocks were built for `escaping` itself (see
    /// ``keptBlock(for:escaping:extraLabelName:into:)``), so they serve the scrape as they are.
    package init(format: ExpositionFormat, escaping: NameEscapingScheme) {
        self.format = format
        self.escaping = escaping
        rewriting = nil
    }

    /// Appends to `bytes` the kept block of a series with `labels` under `escaping`, the bytes the
    /// sample writers put between the braces (labels sorted by name), split where `extraLabelName`
    /// belongs; returns the split, relative to the block's start.
    package static func keptBlock(
        for labels: [Label], escaping: NameEscapingScheme, extraLabelName: String?, into bytes: inout [UInt8]
    ) -> Int {
        let sorted = labels.sorted { ByteIdentity.precedes($0.name, $1.name) }
        let beforeCount = extraLabelName.map { extra in sorted.count { ByteIdentity.precedes($0.name, extra) } }
        var buffer = ExpositionBuffer(reservingCapacity: 0)
        buffer.appendLabels(Array(sorted[..<(beforeCount ?? sorted.count)]), escaping: escaping)
        let split = buffer.count
        buffer.appendLabels(Array(sorted[(beforeCount ?? sorted.count)...]), escaping: escaping)
        bytes += buffer.takeBytes()
        return split
    }

    /// Whether the writer produces what the sample writers would for a family called `name`: a name
    /// that allow-utf-8 must quote (`{"name",...}`) is left to them.
    package static func canWrite(familyName name: String, escaping: NameEscapingScheme) -> Bool {
        escaping != .allowUTF8 || MetricNaming.isLegacyMetricName(name)
    }

    /// The escaped bytes of the sample name `familyName + suffix`, to pass to the line writers.
    package func sampleName(_ familyName: String, suffix: String = "") -> [UInt8] {
        Array(escaping.escapeMetricName(familyName + suffix).utf8)
    }

    /// Escaped `name="value"` pieces of an extra label, one per value (a histogram's buckets).
    package func extraLabels(name: String, values: [String]) -> [[UInt8]] {
        let opening = escaping.escapeLabelName(name) + "=\""
        return values.map { value in
            var piece = ExpositionBuffer(reservingCapacity: 32)
            piece.append(opening)
            piece.appendEscaped(value, escapingQuotes: true)
            piece.append(0x22)
            return piece.takeBytes()
        }
    }

    /// Starts the lines of the series whose kept block is `block` (split at `split`) and whose label
    /// values are `values`; `block` must stay valid until the next series starts.
    package mutating func beginSeries(block: UnsafeRawBufferPointer, split: Int, values: [String]) {
        guard let rewriting else {
            self.block = block
            self.split = split
            return
        }
        scratch.removeAll()
        var rewrittenSplit = 0
        scratch.write(atMost: rewriting.maximumBytes(for: values)) { rewrittenSplit = rewriting.write(values, to: &$0) }
        self.split = rewrittenSplit
    }

    /// Calls `body` with the current series' block: the kept one, or the one rewritten into `scratch`.
    @inline(__always)
    private func withBlock(_ body: (UnsafeRawBufferPointer) -> Void) {
        if rewriting == nil {
            body(block)
        } else {
            scratch.withBytes(body)
        }
    }

    /// Whether the kept blocks serve this scrape, so that a whole pass over the children can be
    /// written into room reserved once per chunk of children (see ``passBound(children:labelBytes:lineBytes:linesPerChild:)``).
    var keepsBlocks: Bool { rewriting == nil }

    /// The most bytes a pass writes that gives each of `children` series `linesPerChild` lines of
    /// at most `lineBytes` together besides their kept label blocks, the blocks taking `labelBytes`
    /// together (only while ``keepsBlocks``: rewritten blocks have no size known in advance).
    static func passBound(children: Int, labelBytes: Int, lineBytes: Int, linesPerChild: Int) -> Int {
        children * (lineBytes + 4 * linesPerChild) + labelBytes * linesPerChild
    }

    /// The most bytes of a line of `name` and a value, besides the label block and an extra label.
    static func lineBytes(name: [UInt8]) -> Int {
        name.count + GoFloatFormat.maximumWrittenBytes + 6
    }

    /// Writes `name{labels} value` and a newline: the series' labels with `extraLabel` (an escaped
    /// `name="value"` piece) in its sorted place, if given.
    ///
    /// The mutating writers lend the current block and split to the closures that write, never
    /// `self`: a closure that uses an `inout self` copies it at every call (reference counting the
    /// scratch buffer and the layout), which cost a merged scrape several percent.
    @inline(__always)
    package mutating func writeLine(
        _ name: [UInt8], extraLabel: [UInt8]? = nil, value: Double, to buffer: inout ExpositionBuffer
    ) {
        let bound = blockBytes + (extraLabel?.count ?? 0) + Self.lineBytes(name: name)
        let split = self.split
        withBlock { labels in
            buffer.write(atMost: bound) { writer in
                Self.writeLine(name, extraLabel: extraLabel, value: value, labels: labels, split: split, to: &writer)
            }
        }
    }

    /// Writes a line as ``writeLine(_:extraLabel:value:to:)`` does, into room already reserved.
    @inline(__always)
    func writeLine(_ name: [UInt8], extraLabel: [UInt8]? = nil, value: Double, to writer: inout LineWriter) {
        let split = self.split
        withBlock { labels in
            Self.writeLine(name, extraLabel: extraLabel, value: value, labels: labels, split: split, to: &writer)
        }
    }

    /// Writes a line into room already reserved, the name and the extra label given as bytes in
    /// place: a pass over many series keeps its names in one array and lends them without reference
    /// counting.
    @inline(__always)
    func writeLine(
        bytes name: UnsafeRawBufferPointer, extraLabel: UnsafeRawBufferPointer?, value: Double,
        to writer: inout LineWriter
    ) {
        let split = self.split
        withBlock { labels in
            Self.writeSeries(name, extraLabel: extraLabel, labels: labels, split: split, to: &writer)
            writer.appendValue(value)
            writer.append(UInt8(ascii: "\n"))
        }
    }

    /// Writes a line as ``writeLine(_:extraLabel:value:to:)`` does, taking the value's digits from
    /// `cached` when they were written for the same value before (a `_created` time, formatted once
    /// instead of at every scrape), and keeping them there otherwise.
    @inline(__always)
    mutating func writeLine(
        _ name: [UInt8], value: Double, cached: inout CachedDigits, to buffer: inout ExpositionBuffer
    ) {
        let bound = blockBytes + Self.lineBytes(name: name)
        let split = self.split
        withBlock { labels in
            buffer.write(atMost: bound) { writer in
                name.withUnsafeBytes { name in
                    Self.writeLine(
                        bytes: name, value: value, cached: &cached, labels: labels, split: split, to: &writer)
                }
            }
        }
    }

    /// Writes a line as ``writeLine(_:value:cached:to:)`` does, into room already reserved.
    @inline(__always)
    func writeLine(_ name: [UInt8], value: Double, cached: inout CachedDigits, to writer: inout LineWriter) {
        name.withUnsafeBytes { writeLine(bytes: $0, value: value, cached: &cached, to: &writer) }
    }

    /// Writes a line as ``writeLine(_:value:cached:to:)`` does, the name given as bytes in place.
    @inline(__always)
    func writeLine(
        bytes name: UnsafeRawBufferPointer, value: Double, cached: inout CachedDigits, to writer: inout LineWriter
    ) {
        let split = self.split
        withBlock { labels in
            Self.writeLine(bytes: name, value: value, cached: &cached, labels: labels, split: split, to: &writer)
        }
    }

    /// Writes a line as ``writeLine(_:extraLabel:value:to:)`` does, with an exemplar after the value
    /// in OpenMetrics (the text format carries none).
    package mutating func writeLine(
        _ name: [UInt8], extraLabel: [UInt8]? = nil, value: Double, exemplar: Exemplar?,
        to buffer: inout ExpositionBuffer
    ) {
        guard let exemplar, format.isOpenMetrics else {
            writeLine(name, extraLabel: extraLabel, value: value, to: &buffer)
            return
        }
        let bound = blockBytes + (extraLabel?.count ?? 0) + Self.lineBytes(name: name)
        let split = self.split
        withBlock { labels in
            buffer.write(atMost: bound) { writer in
                name.withUnsafeBytes { name in
                    guard let extraLabel else {
                        return Self.writeSeries(name, extraLabel: nil, labels: labels, split: split, to: &writer)
                    }
                    extraLabel.withUnsafeBytes {
                        Self.writeSeries(name, extraLabel: $0, labels: labels, split: split, to: &writer)
                    }
                }
                writer.appendValue(value)
            }
        }
        OpenMetricsWriter.appendExemplar(exemplar, to: &buffer)
        buffer.append(UInt8(ascii: "\n"))
    }

    /// The size of the current series' label block.
    private var blockBytes: Int {
        rewriting == nil ? block.count : scratch.count
    }

    /// Writes `name{labels} value` and a newline, the names as arrays.
    @inline(__always)
    private static func writeLine(
        _ name: [UInt8], extraLabel: [UInt8]?, value: Double, labels: UnsafeRawBufferPointer, split: Int,
        to writer: inout LineWriter
    ) {
        name.withUnsafeBytes { name in
            guard let extraLabel else {
                return writeSeries(name, extraLabel: nil, labels: labels, split: split, to: &writer)
            }
            extraLabel.withUnsafeBytes { writeSeries(name, extraLabel: $0, labels: labels, split: split, to: &writer) }
        }
        writer.appendValue(value)
        writer.append(UInt8(ascii: "\n"))
    }

    /// Writes `name{labels} value` and a newline with the value's digits from `cached` (see
    /// ``writeLine(_:value:cached:to:)``).
    @inline(__always)
    private static func writeLine(
        bytes name: UnsafeRawBufferPointer, value: Double, cached: inout CachedDigits, labels: UnsafeRawBufferPointer,
        split: Int, to writer: inout LineWriter
    ) {
        if cached.bits != value.bitPattern || cached.length == 0 {
            cached = CachedDigits(value)
            guard cached.length > 0 else {
                writeSeries(name, extraLabel: nil, labels: labels, split: split, to: &writer)
                writer.appendValue(value)
                writer.append(UInt8(ascii: "\n"))
                return
            }
        }
        writeSeries(name, extraLabel: nil, labels: labels, split: split, to: &writer)
        let length = Int(cached.length)
        withUnsafeBytes(of: cached.storage) { writer.append(UnsafeRawBufferPointer(rebasing: $0[0..<length])) }
        writer.append(UInt8(ascii: "\n"))
    }

    /// Writes `name{labels} `: the block `labels` (split at `split`) with `extraLabel` in its sorted
    /// place.
    @inline(__always)
    private static func writeSeries(
        _ name: UnsafeRawBufferPointer, extraLabel: UnsafeRawBufferPointer?, labels: UnsafeRawBufferPointer,
        split: Int, to writer: inout LineWriter
    ) {
        let blockCount = labels.count
        writer.append(name)
        let before = UnsafeRawBufferPointer(rebasing: labels[0..<split])
        let after = UnsafeRawBufferPointer(rebasing: labels[split..<blockCount])
        if let extraLabel {
            writer.append(UInt8(ascii: "{"))
            if !before.isEmpty {
                writer.append(before)
                writer.append(UInt8(ascii: ","))
            }
            writer.append(extraLabel)
            if !after.isEmpty {
                writer.append(UInt8(ascii: ","))
                writer.append(after)
            }
            writer.append(UInt8(ascii: "}"))
        } else if blockCount > 0 {
            writer.append(UInt8(ascii: "{"))
            writer.append(before)
            if !before.isEmpty && !after.isEmpty { writer.append(UInt8(ascii: ",")) }
            writer.append(after)
            writer.append(UInt8(ascii: "}"))
        }
        writer.append(UInt8(ascii: " "))
    }
}

/// The formatted digits of one value, kept between scrapes for values that rarely change.
struct CachedDigits {
    static let capacity = 24
    /// The value's bit pattern.
    var bits: UInt64 = 0
    /// The number of digits, 0 when not cached (or too long to cache).
    var length: UInt8 = 0
    var storage: (UInt64, UInt64, UInt64) = (0, 0, 0)

    init() {}

    init(_ value: Double) {
        bits = value.bitPattern
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: GoFloatFormat.maximumWrittenBytes) { scratch in
            let written = GoFloatFormat.write(value, to: scratch.baseAddress!)
            guard written <= Self.capacity else { return }
            withUnsafeMutableBytes(of: &storage) {
                $0.baseAddress!.copyMemory(from: scratch.baseAddress!, byteCount: written)
            }
            length = UInt8(written)
        }
    }
}

/// The OpenMetrics 2.0 text of a native histogram value, both ways, as the Python client 0.25.0
/// writes it:
///
/// ```
/// {count:6,sum:0.13,schema:3,zero_threshold:1e-128,zero_count:1,negative_spans:[1:1],negative_deltas:[1],positive_spans:[-2:2],positive_deltas:[1,1]}
/// ```
///
/// Python's `str()` spells the values: counts are whole numbers (Python's own parser gives them as
/// `int`s and its writer prints them so), the sum and zero threshold floats (`0.13`, `1e-128`,
/// `1e+16`), as Swift spells them too; span lists and delta lists are omitted when empty. The reader takes any
/// number spelling, fields in any order, and fixes two bugs of Python's reader: a fractional sum
/// (`sum:0.13`, which Python reads as an integer and fails on) and negative span offsets
/// (`-2:2`, sub-second buckets, which Python's pattern drops).
enum NativeHistogramText {
    /// Appends the value text of `histogram`.
    static func append(_ histogram: NativeHistogram, to buffer: inout ExpositionBuffer) {
        buffer.append("{count:")
        buffer.append(spelledCount(histogram.count))
        buffer.append(",sum:")
        buffer.append(spelled(histogram.sum))
        buffer.append(",schema:\(histogram.schema),zero_threshold:")
        buffer.append(spelled(histogram.zeroThreshold))
        buffer.append(",zero_count:")
        buffer.append(spelledCount(histogram.zeroCount))
        if !histogram.negativeSpans.isEmpty {
            buffer.append(",negative_spans:[\(spans(histogram.negativeSpans))]")
            buffer.append(",negative_deltas:[\(histogram.negativeDeltas.map(String.init).joined(separator: ","))]")
        }
        if !histogram.positiveSpans.isEmpty {
            buffer.append(",positive_spans:[\(spans(histogram.positiveSpans))]")
            buffer.append(",positive_deltas:[\(histogram.positiveDeltas.map(String.init).joined(separator: ","))]")
        }
        buffer.append(UInt8(ascii: "}"))
    }

    /// A float as Python's `str()` spells it (shortest round trip; exponent below 1e-4 and from
    /// 1e16; `inf`, `nan`), which is Swift's `description`.
    static func spelled(_ value: Double) -> String {
        value.description
    }

    /// A count as Python's `str()` spells an `int` when it is whole, else as a float.
    static func spelledCount(_ value: Double) -> String {
        guard value.rounded() == value, abs(value) < 0x1p53 else { return spelled(value) }
        return String(Int64(value))
    }

    private static func spans(_ spans: [NativeHistogram.BucketSpan]) -> String {
        spans.map { "\($0.offset):\($0.length)" }.joined(separator: ",")
    }

    /// Reads a value text starting at the scanner's `{`, up to and including its `}`.
    ///
    /// - Throws: a failure naming the field that is missing, repeated, malformed or inconsistent
    ///   (deltas that do not match their spans, a negative count, a schema outside -4...8, a later
    ///   span with a negative offset).
    static func parse(_ scanner: inout LineScanner) throws(LineScanner.Failure) -> NativeHistogram {
        try scanner.expect(UInt8(ascii: "{"), "{ opening a native histogram")
        var numbers: [String: Double] = [:]
        var spanLists: [String: [NativeHistogram.BucketSpan]] = [:]
        var deltaLists: [String: [Int64]] = [:]
        let numberKeys: Set<String> = ["count", "sum", "schema", "zero_threshold", "zero_count"]
        while true {
            let keyOffset = scanner.position
            let key = scanWhile(&scanner) { $0 == UInt8(ascii: "_") || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) }
            try scanner.expect(UInt8(ascii: ":"), "\":\" after \(key.isEmpty ? "a field name" : key)")
            guard numbers[key] == nil, spanLists[key] == nil, deltaLists[key] == nil else {
                throw scanner.fail("native histogram field \(key) given twice", at: keyOffset)
            }
            if numberKeys.contains(key) {
                let offset = scanner.position
                let text = scanWhile(&scanner) { $0 != UInt8(ascii: ",") && $0 != UInt8(ascii: "}") && $0 != 0x20 }
                guard let number = LineScanner.parseNumber(text) else {
                    throw scanner.fail("invalid native histogram \(key) \"\(text)\"", at: offset)
                }
                numbers[key] = number
            } else if key == "positive_spans" || key == "negative_spans" {
                spanLists[key] = try list(&scanner) { text, offset, scanner throws(LineScanner.Failure) in
                    let parts = text.split(separator: ":", omittingEmptySubsequences: false)
                    guard parts.count == 2, let spanOffset = Int32(parts[0]), let length = UInt32(parts[1]) else {
                        throw scanner.fail("invalid span \"\(text)\" (offset:length)", at: offset)
                    }
                    return NativeHistogram.BucketSpan(offset: spanOffset, length: length)
                }
            } else if key == "positive_deltas" || key == "negative_deltas" {
                deltaLists[key] = try list(&scanner) { text, offset, scanner throws(LineScanner.Failure) in
                    guard let delta = Int64(text) else { throw scanner.fail("invalid delta \"\(text)\"", at: offset) }
                    return delta
                }
            } else {
                throw scanner.fail("unknown native histogram field \"\(key)\"", at: keyOffset)
            }
            if scanner.skip(UInt8(ascii: "}")) { break }
            try scanner.expect(UInt8(ascii: ","), ", or } in a native histogram")
        }
        for key in ["count", "sum", "schema", "zero_threshold", "zero_count"] where numbers[key] == nil {
            throw scanner.fail("native histogram without \(key)")
        }
        let count = numbers["count"]!
        let zeroCount = numbers["zero_count"]!
        let schemaValue = numbers["schema"]!
        let threshold = numbers["zero_threshold"]!
        guard count >= 0, zeroCount >= 0 else { throw scanner.fail("native histogram counts cannot be negative") }
        guard threshold >= 0, !threshold.isNaN else { throw scanner.fail("invalid native histogram zero_threshold") }
        guard schemaValue.rounded() == schemaValue, (-4...8).contains(schemaValue) else {
            throw scanner.fail("native histogram schema \(schemaValue) is outside -4...8")
        }
        for side in ["positive", "negative"] {
            let spans = spanLists[side + "_spans"] ?? []
            let deltas = deltaLists[side + "_deltas"] ?? []
            let buckets = spans.reduce(0) { $0 + Int($1.length) }
            guard buckets == deltas.count else {
                throw scanner.fail("\(side) spans hold \(buckets) buckets but \(deltas.count) deltas are given")
            }
            guard spans.dropFirst().allSatisfy({ $0.offset >= 0 }) else {
                throw scanner.fail("only the first \(side) span may have a negative offset")
            }
            var running: Int64 = 0
            for delta in deltas {
                let (sum, overflow) = running.addingReportingOverflow(delta)
                guard !overflow, sum >= 0 else { throw scanner.fail("\(side) deltas give a negative bucket count") }
                running = sum
            }
        }
        return NativeHistogram(
            count: count, sum: numbers["sum"]!, schema: Int32(schemaValue), zeroThreshold: threshold,
            zeroCount: zeroCount, positiveSpans: spanLists["positive_spans"] ?? [],
            negativeSpans: spanLists["negative_spans"] ?? [], positiveDeltas: deltaLists["positive_deltas"] ?? [],
            negativeDeltas: deltaLists["negative_deltas"] ?? [])
    }

    private static func scanWhile(_ scanner: inout LineScanner, _ accept: (UInt8) -> Bool) -> String {
        let start = scanner.position
        while let byte = scanner.peek(), accept(byte) { scanner.position += 1 }
        return String(decoding: UnsafeBufferPointer(rebasing: scanner.bytes[start..<scanner.position]), as: UTF8.self)
    }

    /// `[item,item,...]` (possibly empty), each item read by `element`.
    private static func list<Element>(
        _ scanner: inout LineScanner,
        _ element: (String, Int, LineScanner) throws(LineScanner.Failure) -> Element
    ) throws(LineScanner.Failure) -> [Element] {
        try scanner.expect(UInt8(ascii: "["), "[ opening a list")
        var items: [Element] = []
        if scanner.skip(UInt8(ascii: "]")) { return items }
        while true {
            let offset = scanner.position
            let text = scanWhile(&scanner) { $0 != UInt8(ascii: ",") && $0 != UInt8(ascii: "]") && $0 != 0x20 }
            items.append(try element(text, offset, scanner))
            if scanner.skip(UInt8(ascii: "]")) { return items }
            try scanner.expect(UInt8(ascii: ","), ", or ] in a list")
        }
    }
}

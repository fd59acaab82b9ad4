/// Reads the native-histogram value text of the Python client's OpenMetrics 2.0 draft (0.25 and
/// 0.26 write it under `version=2.0.0`; this package writes the 2.0 release candidate instead, see
/// ``OpenMetrics2Writer``), so that ``OpenMetricsParser`` still reads what Python serves:
///
/// ```
/// {count:6,sum:0.13,schema:3,zero_threshold:1e-128,zero_count:1,negative_spans:[1:1],negative_deltas:[1],positive_spans:[-2:2],positive_deltas:[1,1]}
/// ```
///
/// The reader takes any number spelling, fields in any order, and fixes two bugs of Python's reader:
/// a fractional sum (`sum:0.13`, which Python reads as an integer and fails on) and negative span
/// offsets (`-2:2`, sub-second buckets, which Python's pattern drops).
enum PythonDraftNativeHistogram {
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

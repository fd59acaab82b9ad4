/// Reads the values of OpenMetrics 2.0 sample lines: numbers as the 2.0 grammar spells them, and
/// composite values with their fields in the one order the grammar allows.
struct OpenMetrics2ValueScanner {
    /// What a composite value turned out to be.
    enum Composite {
        case histogram(OpenMetrics2Line.HistogramValue, isGauge: Bool)
        case summary(OpenMetrics2Line.SummaryValue)
    }

    /// A number as 2.0 writes one: a real number, `Inf` or `Infinity` with an optional sign, or
    /// `NaN` (without a sign), case-insensitively for the words.
    static func number(_ text: some Collection<UInt8>) -> Double? {
        let string = String(decoding: text, as: UTF8.self)
        if OpenMetrics2Line.isRealNumber(text) { return Double(string) }
        switch string.lowercased() {
        case "nan": return .nan
        case "inf", "+inf", "infinity", "+infinity": return .infinity
        case "-inf", "-infinity": return -.infinity
        default: return nil
        }
    }

    /// Reads `{...}` at the scanner's position, up to and including the closing brace.
    ///
    /// - Throws: a failure naming the field that is missing, out of order or malformed.
    static func composite(_ scanner: inout LineScanner) throws(LineScanner.Failure) -> Composite {
        try scanner.expect(UInt8(ascii: "{"), "{ opening a composite value")
        let isGauge = scanner.peek() == UInt8(ascii: "g")
        let count = try field(isGauge ? "gcount" : "count", &scanner) { s throws(LineScanner.Failure) in
            try numberToken(&s)
        }
        try scanner.expect(UInt8(ascii: ","), "a comma after the count")
        let sum = try field(isGauge ? "gsum" : "sum", &scanner) { s throws(LineScanner.Failure) in try numberToken(&s) }
        try scanner.expect(UInt8(ascii: ","), "a comma after the sum")
        if !isGauge, scanner.remainder.starts(with: "quantile:".utf8) {
            let quantiles = try field("quantile", &scanner) { s throws(LineScanner.Failure) in
                try pairs(&s) { key, value in (key, value) }
            }
            try scanner.expect(UInt8(ascii: "}"), "} closing the summary value")
            return .summary(OpenMetrics2Line.SummaryValue(count: count, sum: sum, quantiles: quantiles))
        }
        var histogram = OpenMetrics2Line.HistogramValue(count: count, sum: sum, native: nil, buckets: [])
        if scanner.remainder.starts(with: "schema:".utf8) {
            histogram.native = try nativeFields(count: count, sum: sum, &scanner)
            if scanner.skip(UInt8(ascii: "}")) { return .histogram(histogram, isGauge: isGauge) }
            try scanner.expect(UInt8(ascii: ","), "a comma or } after the native buckets")
        }
        histogram.buckets = try field("bucket", &scanner) { s throws(LineScanner.Failure) in
            try pairs(&s) { key, value in (key, value) }
        }
        try scanner.expect(UInt8(ascii: "}"), "} closing the histogram value")
        return .histogram(histogram, isGauge: isGauge)
    }

    /// `schema:..,zero_threshold:..,zero_count:..` and the optional negative, then positive, spans
    /// and buckets.
    private static func nativeFields(count: Double, sum: Double, _ scanner: inout LineScanner)
        throws(LineScanner.Failure) -> NativeHistogram
    {
        let schemaOffset = scanner.position
        let schema = try field("schema", &scanner) { s throws(LineScanner.Failure) in try integerToken(&s) }
        guard let schema = Int32(exactly: schema) else { throw scanner.fail("schema out of range", at: schemaOffset) }
        try scanner.expect(UInt8(ascii: ","), "a comma after the schema")
        let threshold = try field("zero_threshold", &scanner) { s throws(LineScanner.Failure) in
            let offset = s.position
            let value = try numberToken(&s)
            guard value.isFinite else { throw s.fail("zero_threshold must be a real number", at: offset) }
            return value
        }
        try scanner.expect(UInt8(ascii: ","), "a comma after zero_threshold")
        let zeroCount = try field("zero_count", &scanner) { s throws(LineScanner.Failure) in try numberToken(&s) }
        var native = NativeHistogram(
            count: count, sum: sum, schema: schema, zeroThreshold: threshold, zeroCount: zeroCount)
        var counts: [String: [Double]] = [:]
        for sign in ["negative", "positive"] where scanner.remainder.starts(with: ",\(sign)_spans:".utf8) {
            _ = scanner.skip(UInt8(ascii: ","))
            let spans = try field("\(sign)_spans", &scanner) { s throws(LineScanner.Failure) in try spanList(&s) }
            try scanner.expect(UInt8(ascii: ","), "a comma after \(sign)_spans")
            counts[sign] = try field("\(sign)_buckets", &scanner) { s throws(LineScanner.Failure) in
                try list(&s) { s throws(LineScanner.Failure) in try numberToken(&s) }
            }
            if sign == "negative" { native.negativeSpans = spans } else { native.positiveSpans = spans }
        }
        let negative = counts["negative"] ?? []
        let positive = counts["positive"] ?? []
        if (negative + positive).allSatisfy({ $0 == $0.rounded() && abs($0) < 0x1p53 }) {
            native.negativeDeltas = deltas(negative)
            native.positiveDeltas = deltas(positive)
        } else {
            native.negativeCounts = negative
            native.positiveCounts = positive
        }
        return native
    }

    private static func deltas(_ counts: [Double]) -> [Int64] {
        var previous: Int64 = 0
        return counts.map { count in
            let value = Int64(count)
            defer { previous = value }
            return value &- previous
        }
    }

    /// `name:` then the field's value read by `body`.
    private static func field<Value>(
        _ name: String, _ scanner: inout LineScanner, _ body: (inout LineScanner) throws(LineScanner.Failure) -> Value
    ) throws(LineScanner.Failure) -> Value {
        guard scanner.remainder.starts(with: (name + ":").utf8) else {
            throw scanner.fail("expected the field \(name)")
        }
        scanner.position += name.utf8.count + 1
        return try body(&scanner)
    }

    /// `[a,b,...]`, each element read by `element`.
    private static func list<Element>(
        _ scanner: inout LineScanner, _ element: (inout LineScanner) throws(LineScanner.Failure) -> Element
    ) throws(LineScanner.Failure) -> [Element] {
        try scanner.expect(UInt8(ascii: "["), "[ opening a list")
        var elements: [Element] = []
        if scanner.skip(UInt8(ascii: "]")) { return elements }
        repeat {
            elements.append(try element(&scanner))
        } while scanner.skip(UInt8(ascii: ","))
        try scanner.expect(UInt8(ascii: "]"), "] closing a list")
        return elements
    }

    /// `[key:value,...]` with real-number keys kept as written and number values.
    private static func pairs<Pair>(_ scanner: inout LineScanner, _ make: (String, Double) -> Pair)
        throws(LineScanner.Failure) -> [Pair]
    {
        try list(&scanner) { s throws(LineScanner.Failure) in
            let offset = s.position
            let key = s.scan { $0 != UInt8(ascii: ":") && $0 != UInt8(ascii: ",") && $0 != UInt8(ascii: "]") }
            guard OpenMetrics2Line.isRealNumber(key.utf8) || key == "+Inf" || key == "-Inf" else {
                throw s.fail("invalid key \"\(key)\" (a real number, or +Inf/-Inf for buckets)", at: offset)
            }
            try s.expect(UInt8(ascii: ":"), "\":\" after \(key)")
            return make(key, try numberToken(&s))
        }
    }

    /// `[offset:length,...]`: the first offset any integer, the later ones and every length not
    /// negative.
    private static func spanList(_ scanner: inout LineScanner) throws(LineScanner.Failure)
        -> [NativeHistogram.BucketSpan]
    {
        var isFirst = true
        return try list(&scanner) { s throws(LineScanner.Failure) in
            let offsetAt = s.position
            let offset = try integerToken(&s)
            try s.expect(UInt8(ascii: ":"), "\":\" between a span's offset and length")
            let lengthAt = s.position
            let length = try integerToken(&s)
            guard let spanOffset = Int32(exactly: offset), isFirst || offset >= 0 else {
                throw s.fail("span offset \(offset) (only the first span may go back)", at: offsetAt)
            }
            guard let spanLength = UInt32(exactly: length) else {
                throw s.fail("span length \(length) must be a non-negative integer", at: lengthAt)
            }
            isFirst = false
            return NativeHistogram.BucketSpan(offset: spanOffset, length: spanLength)
        }
    }

    /// A number token, up to `,`, `]`, `}` or a space.
    private static func numberToken(_ scanner: inout LineScanner) throws(LineScanner.Failure) -> Double {
        let offset = scanner.position
        let text = scanner.scan { !Self.endsToken($0) }
        guard let value = number(text.utf8) else { throw scanner.fail("invalid number \"\(text)\"", at: offset) }
        return value
    }

    /// An integer token: an optional sign and digits.
    private static func integerToken(_ scanner: inout LineScanner) throws(LineScanner.Failure) -> Int64 {
        let offset = scanner.position
        let text = scanner.scan { !Self.endsToken($0) && $0 != UInt8(ascii: ":") }
        let digits = text.hasPrefix("+") ? String(text.dropFirst()) : text
        guard !digits.isEmpty,
            digits.utf8.dropFirst(digits.hasPrefix("-") ? 1 : 0).allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            let value = Int64(digits)
        else { throw scanner.fail("invalid integer \"\(text)\"", at: offset) }
        return value
    }

    private static func endsToken(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: ",") || byte == UInt8(ascii: "]") || byte == UInt8(ascii: "}") || byte == 0x20
    }
}

extension LineScanner {
    /// The bytes from the position to the end of the line.
    var remainder: UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: bytes[min(position, bytes.count)...])
    }

    /// Scans bytes while `accepts` holds; returns them as a string.
    mutating func scan(while accepts: (UInt8) -> Bool) -> String {
        let start = position
        while let byte = peek(), accepts(byte) { position += 1 }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
    }
}

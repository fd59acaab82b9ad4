/// Parses OpenMetrics 1.0 text into metric families, as strictly as the specification and its
/// official test suite ask, and no more: the counterpart of the Python client's OpenMetrics parser,
/// which agrees with it on every case of the suite. It rejects, with the line and column:
///
/// - a missing `# EOF` or anything after it (the final newline after `# EOF` is optional), blank
///   lines, comments other than HELP, TYPE and UNIT, HELP and UNIT lines without a space after the
///   name;
/// - metadata repeated or after the family's samples, unknown types, a unit that is not a suffix of
///   the name or is given to info or stateset, names that clash with an earlier family's names
///   (`a` after `a_created`, `a_total` after counter `a`, ...);
/// - tabs or double spaces as separators, label sets with empty terms or stray commas, duplicate labels;
/// - NaN or negative counter-like values (a `_gsum` may be negative only beside negative buckets),
///   non-integer buckets and counts, info values other than 1, state-set values other than 0 and 1,
///   quantiles outside [0, 1];
/// - histograms without `+Inf`, with unsorted or decreasing buckets, a `_count` that differs from
///   the `+Inf` bucket, a `_sum` without `_count` or the other way round, a `_sum` beside negative
///   buckets;
/// - exemplars anywhere but a counter's `_total` or a histogram's `_bucket`, or longer than 128
///   characters; interleaved series groups; timestamps that are not numbers, that go backwards within
///   a group, or that are given for some samples of a group and not for others.
///
/// As the Python parser does, a sample that repeats the series and the timestamp of an earlier
/// sample of its group is dropped and the first one kept. Timestamps are seconds, kept exactly to
/// the nanosecond (see ``Timestamp``). It never crashes on any input and takes linear time.
public enum OpenMetricsParser {
    /// Parses UTF-8 OpenMetrics text.
    ///
    /// - Throws: ``ParseError`` saying where and why the text is not valid OpenMetrics.
    public static func parse(_ text: String) throws(ParseError) -> [MetricFamily] {
        try ExpositionLines.parse(text, with: parse)
    }

    /// Parses OpenMetrics bytes.
    ///
    /// - Throws: ``ParseError`` saying where and why the text is not valid OpenMetrics.
    public static func parse(_ bytes: [UInt8]) throws(ParseError) -> [MetricFamily] {
        try ExpositionLines.parse(bytes, with: parse)
    }

    /// The families parsed so far, the one being parsed, and every name an earlier family reserved.
    private struct Progress {
        var families: [MetricFamily] = []
        var current: OpenMetricsFamilyState?
        var reservedNames = Set<ByteString>()

        /// Closes the current family and starts `name`, which must not clash with an earlier family.
        mutating func startFamily(_ name: String, scanner: LineScanner, at offset: Int) throws(LineScanner.Failure) {
            try finishFamily()
            guard !reservedNames.contains(ByteString(name)) else {
                throw scanner.fail("clashing name: \(name) is already used by an earlier family", at: offset)
            }
            current = OpenMetricsFamilyState(name: name)
        }

        mutating func finishFamily() throws(LineScanner.Failure) {
            guard let finished = current else { return }
            current = nil
            families.append(try finished.finish())
            for name in finished.reservedNames { reservedNames.insert(ByteString(name)) }
        }
    }

    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(ParseError) -> [MetricFamily] {
        var progress = Progress()
        let lineCount = try ExpositionLines.walkOpenMetrics(
            bytes,
            metadata: { scanner throws(LineScanner.Failure) in try parseMetadata(&scanner, progress: &progress) },
            sample: { scanner, line throws(LineScanner.Failure) in
                try parseSample(&scanner, line: line, progress: &progress)
            },
            end: { _ in })
        do throws(LineScanner.Failure) {
            try progress.finishFamily()
        } catch {
            throw ParseError(line: lineCount, column: 1, reason: error.reason)
        }
        return progress.families
    }

    private static func parseMetadata(_ scanner: inout LineScanner, progress: inout Progress)
        throws(LineScanner.Failure)
    {
        try scanner.expect(UInt8(ascii: "#"), "#")
        try scanner.expect(0x20, "a space after #")
        let keyword = scanner.scanToken()
        guard ["HELP", "TYPE", "UNIT"].contains(keyword.text) else {
            throw scanner.fail("only # HELP, # TYPE, # UNIT and # EOF comments are allowed", at: keyword.offset)
        }
        try scanner.expect(0x20, "a space after \(keyword.text)")
        let nameOffset = scanner.position
        let name = try scanner.scanMetricName()
        if let current = progress.current, ByteIdentity.equal(current.family.name, name) {
            guard current.family.samples.isEmpty else {
                throw scanner.fail("# \(keyword.text) must come before the family's samples", at: keyword.offset)
            }
        } else {
            try progress.startFamily(name, scanner: scanner, at: nameOffset)
        }
        // Every metadata line has a space after the name, even when the text after it is empty.
        try scanner.expect(0x20, "a space after the metric name")
        let text = String(decoding: UnsafeBufferPointer(rebasing: scanner.bytes[scanner.position...]), as: UTF8.self)
        try progress.current!.apply(keyword: keyword.text, text: text, scanner: scanner, at: keyword.offset)
        // The type decides the names the family derives (counter a: a_total, a_created); none may be
        // an earlier family's.
        if keyword.text == "TYPE",
            let clash = progress.current!.reservedNames.first(where: { progress.reservedNames.contains(ByteString($0)) }
            )
        {
            throw scanner.fail("clashing name: \(clash) is already used by an earlier family", at: nameOffset)
        }
    }

    private static func parseSample(_ scanner: inout LineScanner, line: Int, progress: inout Progress)
        throws(LineScanner.Failure)
    {
        let start = scanner.position
        var name: String?
        if scanner.peek() != UInt8(ascii: "{") {
            guard let legacy = scanner.scanLegacyName(colon: true) else {
                throw scanner.fail("invalid metric name (quote UTF-8 names inside the braces)")
            }
            name = legacy
        }
        var labels: [Label] = []
        if scanner.peek() == UInt8(ascii: "{") {
            let parsed = try scanner.scanLabels(strict: true)
            labels = parsed.labels
            if let inner = parsed.name {
                guard name == nil else { throw scanner.fail("metric name given twice", at: start) }
                name = inner
            }
        }
        guard let name else { throw scanner.fail("sample without a metric name", at: start) }
        try scanner.expect(0x20, "a single space before the value")
        let valueOffset = scanner.position
        var value = 0.0
        var native: NativeHistogram?
        if scanner.peek() == UInt8(ascii: "{") {
            native = try PythonDraftNativeHistogram.parse(&scanner)
        } else {
            let valueToken = scanner.scanToken()
            guard let number = LineScanner.parseNumber(valueToken.text) else {
                throw scanner.fail("invalid value \"\(valueToken.text)\"", at: valueToken.offset)
            }
            value = number
        }
        var timestamp: Timestamp?
        var exemplar: Exemplar?
        if scanner.skip(0x20) {
            if scanner.peek() != UInt8(ascii: "#") {
                timestamp = try scanTimestamp(&scanner)
                if scanner.skip(0x20) {
                    exemplar = try parseExemplar(&scanner)
                }
            } else {
                exemplar = try parseExemplar(&scanner)
            }
        }
        if native != nil, let first = exemplar {
            // A native histogram carries any number of exemplars, one after the other.
            native!.exemplars.append(first)
            exemplar = nil
            while scanner.skip(0x20) { native!.exemplars.append(try parseExemplar(&scanner)) }
        }
        guard scanner.isAtEnd else { throw scanner.fail("unexpected text after the sample") }
        if native != nil {
            guard progress.current?.family.type == .histogram || progress.current?.family.type == .gaugeHistogram,
                progress.current?.accepts(sampleName: name) == true,
                ByteIdentity.equal(progress.current!.family.name, name)
            else {
                throw scanner.fail(
                    "a native histogram value belongs to a histogram sample named after its family", at: start)
            }
        }

        // The sample belongs to the current family if its name fits the family's type.
        if progress.current?.accepts(sampleName: name) != true {
            try progress.startFamily(name, scanner: scanner, at: start)
        }
        try progress.current!.add(
            Sample(
                name: name, labels: labels, value: value, timestamp: timestamp, exemplar: exemplar,
                nativeHistogram: native), line: line, scanner: scanner, valueOffset: valueOffset, lineOffset: start)
    }

    private static func parseExemplar(_ scanner: inout LineScanner) throws(LineScanner.Failure) -> Exemplar {
        try scanner.expect(UInt8(ascii: "#"), "# before an exemplar")
        try scanner.expect(0x20, "a space after #")
        let parsed = try scanner.scanLabels(strict: true)
        guard parsed.name == nil else { throw scanner.fail("exemplar labels cannot name a metric") }
        try scanner.expect(0x20, "a space before the exemplar value")
        let token = scanner.scanToken()
        guard let value = LineScanner.parseNumber(token.text) else {
            throw scanner.fail("invalid exemplar value \"\(token.text)\"", at: token.offset)
        }
        var timestamp: Timestamp?
        if scanner.skip(0x20) {
            timestamp = try scanTimestamp(&scanner)
        }
        return Exemplar(labels: parsed.labels, value: value, timestamp: timestamp)
    }

    private static func scanTimestamp(_ scanner: inout LineScanner) throws(LineScanner.Failure) -> Timestamp {
        let token = scanner.scanToken()
        guard let timestamp = parseTimestamp(token.text) else {
            let isNumber = LineScanner.parseNumber(token.text)?.isFinite == true
            throw scanner.fail(
                isNumber
                    ? "timestamp \(token.text) is beyond ±2^127 seconds, which this parser cannot keep exactly"
                    : "invalid timestamp \"\(token.text)\"", at: token.offset)
        }
        return timestamp
    }

    /// Parses a timestamp in seconds. Decimal forms are kept exactly (to the nanosecond; further
    /// digits are cut, as Python does); exponent forms go through `Double`. Nil for anything that is
    /// not a finite number, and for magnitudes beyond ±2^127 seconds, which a ``Timestamp`` cannot
    /// hold: those are reported, never clamped.
    static func parseTimestamp(_ text: String) -> Timestamp? {
        guard let value = LineScanner.parseNumber(text), value.isFinite else { return nil }
        if text.utf8.contains(where: { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) {
            return Timestamp(exactly: value)
        }
        var digits = Substring(text)
        let negative = digits.first == "-"
        if negative || digits.first == "+" { digits.removeFirst() }
        let parts = digits.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let fractionDigits = parts.count == 2 ? parts[1].prefix(9) : ""
        guard let whole = parts[0].isEmpty ? 0 : Int128(parts[0]),
            let fraction = fractionDigits.isEmpty ? 0 : Int32(fractionDigits)
        else { return Timestamp(exactly: value) }
        let nanoseconds = fraction * Int32(pow10(9 - fractionDigits.count))
        if !negative || (whole == 0 && nanoseconds == 0) {
            return Timestamp(seconds: whole, nanoseconds: Int64(nanoseconds))
        }
        // Before the epoch: -1.25 s is 2 s before it plus 0.75 s.
        return nanoseconds == 0
            ? Timestamp(seconds: -whole, nanoseconds: 0)
            : Timestamp(seconds: -whole - 1, nanoseconds: Int64(1_000_000_000 - nanoseconds))
    }

    private static func pow10(_ exponent: Int) -> Int {
        (0..<exponent).reduce(1) { result, _ in result * 10 }
    }
}

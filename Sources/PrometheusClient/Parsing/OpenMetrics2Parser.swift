/// Parses OpenMetrics 2.0 text (release candidate 0) into metric families of this package's model,
/// the counterpart of ``OpenMetricsWriter``'s 2.0 sibling: a family written by this package and read
/// back equals the family collected (see ``OpenMetrics2Line`` for how 2.0 lines map to the model).
///
/// It follows the specification's grammar and rejects, with the line and column, what its data
/// model says MUST NOT be:
///
/// - anything after `# EOF`, a missing `# EOF`, blank lines, comments other than TYPE, HELP, UNIT;
///   metadata repeated or after the family's samples; a family name used by two families (or, since
///   the model names a counter `x` for `x_total`, by a counter and a family named like its model);
/// - a counter value that is NaN or negative; state-set values other than 0 and 1; info values other
///   than 1 or info names without `_info`; a unit on an info or state set;
/// - a histogram, gauge histogram or summary sample without its composite value (or with the other
///   type's), classic buckets out of order, not cumulative, or whose `+Inf` bucket is not the count;
///   native schemas outside -4...8, spans that do not cover the buckets, counts below the buckets;
///   summary counts that are not whole, sums that are NaN or negative, quantiles outside [0, 1] or
///   out of order; `le` or `quantile` labels where the composite value has them;
/// - a start timestamp (`st@`) on a gauge, state set, info or gauge histogram;
/// - a series whose samples are not together, or repeat without increasing timestamps; state-set
///   groups that come back after another group.
///
/// As the specification asks, exemplar problems never reject the text: exemplars that do not parse,
/// lack their timestamp, or sit on types that carry none are dropped. The model keeps one exemplar
/// per sample, so a counter keeps its latest one. Timestamps are kept to the nanosecond. Unknown
/// families with composite values unfold into the samples of the composite's kind.
public enum OpenMetrics2Parser {
    /// Parses UTF-8 OpenMetrics 2.0 text.
    ///
    /// - Throws: ``ParseError`` saying where and why the text is not valid OpenMetrics 2.0.
    public static func parse(_ text: String) throws(ParseError) -> [MetricFamily] {
        try ExpositionLines.parse(text, with: parse)
    }

    /// Parses OpenMetrics 2.0 bytes.
    ///
    /// - Throws: ``ParseError`` saying where and why the text is not valid OpenMetrics 2.0.
    public static func parse(_ bytes: [UInt8]) throws(ParseError) -> [MetricFamily] {
        try ExpositionLines.parse(bytes, with: parse)
    }

    /// The families parsed so far and the one being parsed.
    private struct Progress {
        var families: [MetricFamily] = []
        var current: OpenMetrics2FamilyState?
        var names = Set<ByteString>()
        var modelNames = Set<ByteString>()

        mutating func startFamily(_ name: String, scanner: LineScanner, at offset: Int) throws(LineScanner.Failure) {
            finishFamily()
            guard names.insert(ByteString(name)).inserted else {
                throw scanner.fail("the family \(name) was given before: families must not be interleaved", at: offset)
            }
            current = OpenMetrics2FamilyState(name: name)
        }

        mutating func finishFamily() {
            guard let finished = current else { return }
            current = nil
            families.append(finished.finish())
        }
    }

    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(ParseError) -> [MetricFamily] {
        var progress = Progress()
        _ = try ExpositionLines.walkOpenMetrics(
            bytes,
            metadata: { scanner throws(LineScanner.Failure) in try parseMetadata(&scanner, progress: &progress) },
            sample: { scanner, _ throws(LineScanner.Failure) in try parseSample(&scanner, progress: &progress) },
            end: { scanner throws(LineScanner.Failure) in try checkModelName(of: &progress, scanner: scanner) })
        return progress.families
    }

    /// Finishes the current family, making sure no earlier family has its model name.
    private static func checkModelName(of progress: inout Progress, scanner: LineScanner) throws(LineScanner.Failure) {
        guard progress.current != nil else { return }
        progress.finishFamily()
        guard let family = progress.families.last else { return }
        guard progress.modelNames.insert(ByteString(family.name)).inserted else {
            throw scanner.fail("two families would both be \(family.name) in the model (a counter x_total and an x)")
        }
    }

    private static func parseMetadata(_ scanner: inout LineScanner, progress: inout Progress)
        throws(LineScanner.Failure)
    {
        try scanner.expect(UInt8(ascii: "#"), "#")
        try scanner.expect(0x20, "a space after #")
        let keyword = scanner.scanToken()
        guard ["HELP", "TYPE", "UNIT"].contains(keyword.text) else {
            throw scanner.fail("only # TYPE, # HELP, # UNIT and # EOF comments are allowed", at: keyword.offset)
        }
        try scanner.expect(0x20, "a space after \(keyword.text)")
        let nameOffset = scanner.position
        let name = try scanner.scanMetricName()
        guard !name.isEmpty else { throw scanner.fail("empty metric name", at: nameOffset) }
        if progress.current.map({ ByteIdentity.equal($0.name, name) }) != true {
            try checkModelName(of: &progress, scanner: scanner)
            try progress.startFamily(name, scanner: scanner, at: nameOffset)
        }
        try scanner.expect(0x20, "a space after the metric name")
        let raw = String(decoding: scanner.remainder, as: UTF8.self)
        let text = keyword.text == "HELP" ? LineScanner.unescape(raw, quotes: true) : raw
        try progress.current!.apply(keyword: keyword.text, text: text, scanner: scanner, at: keyword.offset)
    }

    private static func parseSample(_ scanner: inout LineScanner, progress: inout Progress)
        throws(LineScanner.Failure)
    {
        let start = scanner.position
        let (name, labels) = try scanSeries(&scanner)
        if progress.current.map({ ByteIdentity.equal($0.name, name) }) != true {
            try checkModelName(of: &progress, scanner: scanner)
            try progress.startFamily(name, scanner: scanner, at: start)
        }
        let type = progress.current!.type
        try scanner.expect(0x20, "a single space before the value")
        let valueOffset = scanner.position
        var line = OpenMetrics2Line(labels: labels, value: .number(0))
        if scanner.peek() == UInt8(ascii: "{") {
            switch try OpenMetrics2ValueScanner.composite(&scanner) {
            case .histogram(let histogram, let isGauge):
                try OpenMetrics2Rules.checkForm(
                    isGauge: isGauge, type: type, family: name, scanner: scanner, at: valueOffset)
                line.value = .histogram(histogram)
            case .summary(let summary):
                line.value = .summary(summary)
            }
        } else {
            let token = scanner.scanToken()
            guard let number = OpenMetrics2ValueScanner.number(token.text.utf8) else {
                throw scanner.fail("invalid value \"\(token.text)\"", at: token.offset)
            }
            line.value = .number(number)
        }
        try scanSuffixes(&scanner, into: &line)
        try progress.current!.add(line, scanner: scanner, at: start)
    }

    /// `name{labels}` or `{"name",labels}`.
    private static func scanSeries(_ scanner: inout LineScanner) throws(LineScanner.Failure) -> (String, [Label]) {
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
        guard let name, !name.isEmpty else { throw scanner.fail("sample without a metric name", at: start) }
        guard labels.allSatisfy({ !$0.name.isEmpty }) else { throw scanner.fail("empty label name", at: start) }
        return (name, labels)
    }

    /// ` timestamp`, ` st@start` and ` # {labels} value timestamp` exemplars, each optional, in that
    /// order.
    private static func scanSuffixes(_ scanner: inout LineScanner, into line: inout OpenMetrics2Line)
        throws(LineScanner.Failure)
    {
        while scanner.skip(0x20) {
            if scanner.peek() == UInt8(ascii: "#") {
                line.exemplars = exemplars(&scanner)
                return
            }
            let token = scanner.scanToken()
            if token.text.hasPrefix("st@") {
                guard line.start == nil, let start = realNumber(token.text.dropFirst(3)) else {
                    throw scanner.fail("invalid or repeated start timestamp \"\(token.text)\"", at: token.offset)
                }
                line.start = start
            } else {
                guard line.timestamp == nil, line.start == nil, OpenMetrics2Line.isRealNumber(token.text.utf8),
                    let timestamp = OpenMetricsParser.parseTimestamp(token.text)
                else {
                    throw scanner.fail("invalid or misplaced timestamp \"\(token.text)\"", at: token.offset)
                }
                line.timestamp = timestamp
            }
        }
        guard scanner.isAtEnd else { throw scanner.fail("unexpected text after the sample") }
    }

    /// The exemplars from ` # ...` to the end of the line, or none when any of them is malformed or
    /// lacks its timestamp (the specification drops exemplar problems instead of failing).
    private static func exemplars(_ scanner: inout LineScanner) -> [Exemplar] {
        var exemplars: [Exemplar] = []
        do throws(LineScanner.Failure) {
            while true {
                try scanner.expect(UInt8(ascii: "#"), "# before an exemplar")
                try scanner.expect(0x20, "a space after #")
                let parsed = try scanner.scanLabels(strict: true)
                guard parsed.name == nil else { throw scanner.fail("exemplar labels cannot name a metric") }
                try scanner.expect(0x20, "a space before the exemplar value")
                guard let value = OpenMetrics2ValueScanner.number(scanner.scanToken().text.utf8) else {
                    throw scanner.fail("invalid exemplar value")
                }
                try scanner.expect(0x20, "the exemplar's timestamp")
                let token = scanner.scanToken().text
                guard OpenMetrics2Line.isRealNumber(token.utf8), let timestamp = OpenMetricsParser.parseTimestamp(token)
                else { throw scanner.fail("invalid exemplar timestamp") }
                exemplars.append(Exemplar(labels: parsed.labels, value: value, timestamp: timestamp))
                if scanner.isAtEnd { return exemplars }
                try scanner.expect(0x20, "a space before the next exemplar")
            }
        } catch {
            scanner.position = scanner.bytes.count
            return []
        }
    }

    private static func realNumber(_ text: Substring) -> Double? {
        OpenMetrics2Line.isRealNumber(text.utf8) ? Double(String(text)) : nil
    }
}

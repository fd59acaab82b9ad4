/// Parses OpenMetrics 1.0 text into metric families, strictly: the counterpart of the Python client's
/// OpenMetrics parser. It rejects, with the line and column:
///
/// - a missing `# EOF`, anything after it, blank lines, comments other than HELP, TYPE and UNIT;
/// - metadata repeated or after the family's samples, unknown types, a unit that is not a suffix of
///   the name or is given to info or stateset, family names that clash with earlier ones;
/// - tabs or double spaces as separators, label sets with empty terms or stray commas, duplicate labels;
/// - NaN or negative counter-like values, info values other than 1, state-set values other than 0 and
///   1, quantiles outside [0, 1];
/// - histograms without `+Inf`, with unsorted or decreasing buckets, non-integer counts, or a `_count`
///   that differs from the `+Inf` bucket;
/// - exemplars anywhere but a counter's `_total` or a histogram's `_bucket`, or longer than 128
///   characters; interleaved series groups; timestamps that are not finite.
///
/// Timestamps are seconds (nanoseconds kept). It never crashes on any input and takes linear time.
public enum OpenMetricsParser {
    /// Parses UTF-8 OpenMetrics text.
    ///
    /// - Throws: ``ParseError`` saying where and why the text is not valid OpenMetrics.
    public static func parse(_ text: String) throws(ParseError) -> [MetricFamily] {
        var copy = text
        let result = copy.withUTF8 { bytes in Result { () throws(ParseError) in try parse(bytes) } }
        return try result.get()
    }

    /// Parses OpenMetrics bytes.
    ///
    /// - Throws: ``ParseError`` saying where and why the text is not valid OpenMetrics.
    public static func parse(_ bytes: [UInt8]) throws(ParseError) -> [MetricFamily] {
        let result = bytes.withUnsafeBufferPointer { buffer in Result { () throws(ParseError) in try parse(buffer) } }
        return try result.get()
    }

    private struct Current {
        var family: MetricFamily
        var hasHelp = false
        var hasType = false
        var hasUnit = false
        var groups: [[Label]] = []
        var seenGroups: Set<[Label]> = []
        var timestamped: Bool?
    }

    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(ParseError) -> [MetricFamily] {
        let lines = ExpositionLines(text: bytes)
        let (ranges, endsWithNewline) = lines.ranges()
        var families: [MetricFamily] = []
        var current: Current?
        var usedNames = Set<String>()
        var sawEOF = false
        for (index, range) in ranges.enumerated() {
            let lineNumber = index + 1
            var scanner = LineScanner(lines.line(range))
            do throws(LineScanner.Failure) {
                if sawEOF { throw scanner.fail("text after # EOF") }
                guard !scanner.isAtEnd else { throw scanner.fail("blank lines are not allowed") }
                if scanner.peek() == UInt8(ascii: "#") {
                    if range.count == 5, String(decoding: lines.line(range), as: UTF8.self) == "# EOF" {
                        sawEOF = true
                        continue
                    }
                    try parseMetadata(&scanner, current: &current, families: &families, usedNames: &usedNames)
                } else {
                    try parseSample(&scanner, current: &current, families: &families, usedNames: &usedNames)
                }
            } catch {
                throw ExpositionLines.error(error, line: lineNumber)
            }
        }
        guard sawEOF else {
            throw ParseError(line: max(ranges.count, 1), column: 1, reason: "the text must end with # EOF")
        }
        guard endsWithNewline else {
            throw ParseError(line: ranges.count, column: 6, reason: "# EOF must be followed by a newline")
        }
        if let current {
            do throws(LineScanner.Failure) {
                families.append(try finish(current))
            } catch {
                throw ParseError(line: ranges.count, column: 1, reason: error.reason)
            }
        }
        return families
    }

    private static func parseMetadata(
        _ scanner: inout LineScanner, current: inout Current?, families: inout [MetricFamily],
        usedNames: inout Set<String>
    ) throws(LineScanner.Failure) {
        try scanner.expect(UInt8(ascii: "#"), "#")
        try scanner.expect(0x20, "a space after #")
        let keyword = scanner.scanToken()
        guard ["HELP", "TYPE", "UNIT"].contains(keyword.text) else {
            throw scanner.fail("only # HELP, # TYPE, # UNIT and # EOF comments are allowed", at: keyword.offset)
        }
        try scanner.expect(0x20, "a space after \(keyword.text)")
        let nameOffset = scanner.position
        let name = try scanner.scanMetricName()
        if current?.family.name != name {
            if let finished = current { families.append(try finish(finished)) }
            guard usedNames.insert(name).inserted else {
                throw scanner.fail("clashing name: family \(name) appears twice", at: nameOffset)
            }
            current = Current(family: MetricFamily(name: name, help: "", type: .unknown))
        }
        guard current!.family.samples.isEmpty else {
            throw scanner.fail("# \(keyword.text) must come before the family's samples", at: keyword.offset)
        }
        let hasText = scanner.skip(0x20)
        let text = String(decoding: UnsafeBufferPointer(rebasing: scanner.bytes[scanner.position...]), as: UTF8.self)
        switch keyword.text {
        case "HELP":
            guard !current!.hasHelp else { throw scanner.fail("duplicate # HELP for \(name)", at: keyword.offset) }
            current!.hasHelp = true
            current!.family.help = hasText ? LineScanner.unescape(text, quotes: true) : ""
        case "TYPE":
            guard !current!.hasType else { throw scanner.fail("duplicate # TYPE for \(name)", at: keyword.offset) }
            guard hasText, let type = MetricType(rawValue: text) else {
                throw scanner.fail("unknown metric type \"\(text)\"")
            }
            current!.hasType = true
            current!.family.type = type
        default:
            guard !current!.hasUnit else { throw scanner.fail("duplicate # UNIT for \(name)", at: keyword.offset) }
            current!.hasUnit = true
            current!.family.unit = hasText ? text : ""
        }
        if !current!.family.unit.isEmpty {
            if current!.family.type == .info || current!.family.type == .stateSet {
                throw scanner.fail("\(current!.family.type.rawValue) metrics cannot have a unit")
            }
            guard name.hasSuffix("_" + current!.family.unit) else {
                throw scanner.fail("unit \(current!.family.unit) is not a suffix of the name \(name)")
            }
        }
    }

    private static func suffixes(for type: MetricType) -> [String] {
        switch type {
        case .counter: return ["_total", "_created"]
        case .gauge, .stateSet, .unknown: return [""]
        case .summary: return ["", "_count", "_sum", "_created"]
        case .histogram: return ["_bucket", "_count", "_sum", "_created", ""]
        case .gaugeHistogram: return ["_bucket", "_gcount", "_gsum"]
        case .info: return ["_info"]
        }
    }

    private static func parseSample(
        _ scanner: inout LineScanner, current: inout Current?, families: inout [MetricFamily],
        usedNames: inout Set<String>
    ) throws(LineScanner.Failure) {
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
        let valueToken = scanner.scanToken()
        guard let value = LineScanner.parseNumber(valueToken.text) else {
            throw scanner.fail("invalid value \"\(valueToken.text)\"", at: valueToken.offset)
        }
        var timestamp: Timestamp?
        var exemplar: Exemplar?
        if scanner.skip(0x20) {
            if scanner.peek() != UInt8(ascii: "#") {
                let token = scanner.scanToken()
                guard let parsed = parseTimestamp(token.text) else {
                    throw scanner.fail("invalid timestamp \"\(token.text)\"", at: token.offset)
                }
                timestamp = parsed
                if scanner.skip(0x20) {
                    exemplar = try parseExemplar(&scanner)
                }
            } else {
                exemplar = try parseExemplar(&scanner)
            }
        }
        guard scanner.isAtEnd else { throw scanner.fail("unexpected text after the sample") }

        // Which family the sample belongs to: the current one if the name fits its type.
        if current == nil || !suffixes(for: current!.family.type).contains(where: { current!.family.name + $0 == name })
        {
            if let finished = current { families.append(try finish(finished)) }
            guard usedNames.insert(name).inserted else {
                throw scanner.fail("clashing name: \(name) appears twice", at: start)
            }
            current = Current(family: MetricFamily(name: name, help: "", type: .unknown))
        }
        let family = current!.family
        let suffix = String(name.dropFirst(family.name.count))
        try checkValue(value, suffix: suffix, labels: labels, family: family, scanner: scanner, at: valueToken.offset)
        if let exemplar {
            let allowed =
                (family.type == .counter && suffix == "_total")
                || ((family.type == .histogram || family.type == .gaugeHistogram) && suffix == "_bucket")
            guard allowed else {
                throw scanner.fail("only counter _total and histogram _bucket samples can have exemplars")
            }
            let characters = exemplar.labels.reduce(0) {
                $0 + $1.name.unicodeScalars.count + $1.value.unicodeScalars.count
            }
            guard characters <= Exemplar.maximumLabelCharacters else {
                throw scanner.fail("exemplar labels have \(characters) characters, more than 128")
            }
        }
        if let timestamped = current!.timestamped, timestamped != (timestamp != nil) {
            throw scanner.fail("timestamps must be given for all samples of a family or for none")
        }
        current!.timestamped = timestamp != nil
        let group = labels.filter { $0.name != "le" && $0.name != "quantile" }
        if current!.groups.last != group {
            guard current!.seenGroups.insert(group).inserted else {
                throw scanner.fail("invalid metric grouping: samples of one label set must be together", at: start)
            }
            current!.groups.append(group)
        }
        current!.family.samples.append(
            Sample(name: name, labels: labels, value: value, timestamp: timestamp, exemplar: exemplar))
    }

    private static func checkValue(
        _ value: Double, suffix: String, labels: [Label], family: MetricFamily, scanner: LineScanner, at offset: Int
    ) throws(LineScanner.Failure) {
        let counterLike =
            ["_total", "_count", "_sum", "_bucket", "_gcount", "_gsum"].contains(suffix)
            && !(family.type == .gauge || family.type == .unknown)
        if counterLike {
            guard !value.isNaN else { throw scanner.fail("\(suffix) values cannot be NaN", at: offset) }
            if suffix != "_gsum" && suffix != "_sum" {
                guard value >= 0 else { throw scanner.fail("\(suffix) values cannot be negative", at: offset) }
            }
        }
        if ["_bucket", "_count", "_gcount"].contains(suffix)
            && (family.type == .histogram || family.type == .gaugeHistogram)
        {
            guard value == value.rounded() else {
                throw scanner.fail("bucket and count values must be integers", at: offset)
            }
        }
        switch family.type {
        case .info:
            guard value == 1 else { throw scanner.fail("info values must be 1", at: offset) }
        case .stateSet:
            guard value == 0 || value == 1 else { throw scanner.fail("state set values must be 0 or 1", at: offset) }
            guard labels.contains(where: { $0.name == family.name }) else {
                throw scanner.fail("state set samples need the label \(family.name)")
            }
        case .summary where suffix.isEmpty:
            guard
                let quantile = labels.first(where: { $0.name == "quantile" }).flatMap({
                    LineScanner.parseNumber($0.value)
                }),
                quantile >= 0, quantile <= 1
            else { throw scanner.fail("summary quantiles need a quantile label in [0, 1]") }
            guard value.isNaN || value >= 0 else {
                throw scanner.fail("quantile values cannot be negative", at: offset)
            }
        case .histogram, .gaugeHistogram:
            if suffix == "_bucket" {
                guard let le = labels.first(where: { $0.name == "le" }) else {
                    throw scanner.fail("buckets need an le label")
                }
                guard le.value == "+Inf" || (LineScanner.parseNumber(le.value).map { $0.isFinite } ?? false) else {
                    throw scanner.fail("invalid le \"\(le.value)\" (use +Inf for the last bucket)")
                }
            }
        default:
            break
        }
    }

    /// Checks a finished family's histogram structure.
    private static func finish(_ current: Current) throws(LineScanner.Failure) -> MetricFamily {
        let family = current.family
        guard family.type == .histogram || family.type == .gaugeHistogram else { return family }
        let countSuffix = family.type == .histogram ? "_count" : "_gcount"
        for group in current.groups {
            let samples = family.samples.filter { $0.labels.filter { $0.name != "le" } == group }
            let buckets = samples.filter { $0.name == family.name + "_bucket" }
            if buckets.isEmpty && samples.contains(where: { $0.nativeHistogram != nil || $0.name == family.name }) {
                continue
            }
            guard let last = buckets.last, last.labels["le"] == "+Inf" else {
                throw LineScanner.Failure(
                    offset: 0, reason: "histogram \(family.name) needs a +Inf bucket for every label set")
            }
            var previousBound = -Double.infinity
            var previousCount = 0.0
            for bucket in buckets {
                let bound = LineScanner.parseNumber(bucket.labels["le"] ?? "") ?? .nan
                guard bound > previousBound else {
                    throw LineScanner.Failure(
                        offset: 0, reason: "histogram \(family.name) buckets are not in increasing order")
                }
                guard bucket.value >= previousCount else {
                    throw LineScanner.Failure(offset: 0, reason: "histogram \(family.name) bucket counts decrease")
                }
                previousBound = bound
                previousCount = bucket.value
            }
            if let count = samples.first(where: { $0.name == family.name + countSuffix }), count.value != last.value {
                throw LineScanner.Failure(
                    offset: 0, reason: "histogram \(family.name) \(countSuffix) differs from its +Inf bucket")
            }
        }
        return family
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
            let token = scanner.scanToken()
            guard let parsed = parseTimestamp(token.text) else {
                throw scanner.fail("invalid exemplar timestamp \"\(token.text)\"", at: token.offset)
            }
            timestamp = parsed
        }
        return Exemplar(labels: parsed.labels, value: value, timestamp: timestamp)
    }

    /// Seconds with an optional fraction kept to the nanosecond; exponent forms go through Double.
    static func parseTimestamp(_ text: String) -> Timestamp? {
        guard let value = LineScanner.parseNumber(text), value.isFinite else { return nil }
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        if !text.contains("e"), !text.contains("E"), let seconds = Int64(parts[0]), seconds >= 0 {
            var nanoseconds: Int32 = 0
            if parts.count == 2 {
                let digits = parts[1].prefix(9)
                guard digits.allSatisfy(\.isNumber), let fraction = Int32(digits.isEmpty ? "0" : String(digits)) else {
                    return nil
                }
                nanoseconds = fraction * Int32(pow10(9 - digits.count))
            }
            return try? Timestamp(seconds: seconds, nanoseconds: nanoseconds)
        }
        return Timestamp(unixSeconds: value)
    }

    private static func pow10(_ exponent: Int) -> Int {
        (0..<exponent).reduce(1) { result, _ in result * 10 }
    }
}

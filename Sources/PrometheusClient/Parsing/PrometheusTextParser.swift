/// Parses the Prometheus text format (0.0.4) into metric families, with the Python client's
/// `text_string_to_metric_families` semantics: `# HELP` and `# TYPE` start families, samples join the
/// current family when their name fits its type (summary `_count`/`_sum`, histogram
/// `_bucket`/`_count`/`_sum`), any other sample becomes a one-sample `unknown` family, counters lose
/// `_total` from the family name (samples gain it), timestamps are milliseconds. Lenient where the
/// format is: blank lines, other comments, tabs, trailing commas in label sets.
///
/// It never crashes on any input and takes linear time; malformed lines are a ``ParseError`` with the
/// line and column.
public enum PrometheusTextParser {
    /// Parses UTF-8 exposition text.
    ///
    /// - Throws: ``ParseError`` for a malformed line.
    public static func parse(_ text: String) throws(ParseError) -> [MetricFamily] {
        try ExpositionLines.parse(text, with: parse)
    }

    /// Parses exposition bytes.
    ///
    /// - Throws: ``ParseError`` for a malformed line.
    public static func parse(_ bytes: [UInt8]) throws(ParseError) -> [MetricFamily] {
        try ExpositionLines.parse(bytes, with: parse)
    }

    private struct Current {
        var name = ""
        var help = ""
        var type = "untyped"
        var samples: [Sample] = []
        var allowedNames: [String] = []
    }

    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(ParseError) -> [MetricFamily] {
        let lines = ExpositionLines(text: bytes)
        var families: [MetricFamily] = []
        var current = Current()
        for (index, range) in lines.ranges().lines.enumerated() {
            var scanner = LineScanner(lines.line(range))
            do throws(LineScanner.Failure) {
                scanner.skipBlanks()
                guard let first = scanner.peek() else { continue }
                if first == UInt8(ascii: "#") {
                    try parseComment(&scanner, current: &current, families: &families)
                } else {
                    let sample = try parseSample(&scanner)
                    if current.allowedNames.contains(sample.name) {
                        current.samples.append(sample)
                    } else {
                        if !current.name.isEmpty {
                            families.append(build(current))
                        }
                        current = Current()
                        families.append(build(Current(name: sample.name, samples: [sample])))
                    }
                }
            } catch {
                throw ExpositionLines.error(error, line: index + 1)
            }
        }
        if !current.name.isEmpty {
            families.append(build(current))
        }
        return families
    }

    private static func parseComment(
        _ scanner: inout LineScanner, current: inout Current, families: inout [MetricFamily]
    ) throws(LineScanner.Failure) {
        scanner.position += 1
        scanner.skipBlanks()
        let keyword = scanner.scanToken().text
        guard keyword == "HELP" || keyword == "TYPE" else { return }  // other comments are ignored
        scanner.skipBlanks()
        // A bare "# HELP" names nothing: ignored, as the Go and Python parsers do.
        if keyword == "HELP" && scanner.isAtEnd { return }
        let nameOffset = scanner.position
        let name: String
        if scanner.peek() == 0x22 {
            name = try scanner.scanQuoted()
        } else {
            let token = scanner.scanToken()
            guard MetricNaming.isLegacyMetricName(token.text) else {
                throw scanner.fail("invalid metric name \"\(token.text)\" (quote UTF-8 names)", at: nameOffset)
            }
            name = token.text
        }
        let afterName = scanner.position
        scanner.skipBlanks()
        let rest = String(decoding: UnsafeBufferPointer(rebasing: scanner.bytes[scanner.position...]), as: UTF8.self)
        if keyword == "HELP" {
            if name != current.name {
                if !current.name.isEmpty { families.append(build(current)) }
                current = Current(name: name, allowedNames: [name])
            }
            current.help = afterName == scanner.bytes.count ? "" : LineScanner.unescape(rest, quotes: false)
        } else {
            let type = rest.split(separator: " ").first.map(String.init) ?? ""
            guard !type.isEmpty else { throw scanner.fail("TYPE line without a type") }
            guard type == "untyped" || MetricType(rawValue: type) != nil else {
                throw scanner.fail("unknown metric type \"\(type)\"")
            }
            if name != current.name {
                if !current.name.isEmpty { families.append(build(current)) }
                current = Current(name: name)
            }
            current.type = type
            let suffixes: [String]
            switch type {
            case "summary": suffixes = ["_count", "_sum", ""]
            case "histogram": suffixes = ["_count", "_sum", "_bucket"]
            default: suffixes = [""]
            }
            current.allowedNames = suffixes.map { name + $0 }
        }
    }

    private static func parseSample(_ scanner: inout LineScanner) throws(LineScanner.Failure) -> Sample {
        var name: String?
        if let first = scanner.peek(), first != UInt8(ascii: "{") {
            let start = scanner.position
            guard let legacy = scanner.scanLegacyName(colon: true) else {
                throw scanner.fail("invalid metric name (quote UTF-8 names inside the braces)", at: start)
            }
            name = legacy
        }
        scanner.skipBlanks()
        var labels: [Label] = []
        if scanner.peek() == UInt8(ascii: "{") {
            let start = scanner.position
            let parsed = try scanner.scanLabels(strict: false)
            labels = parsed.labels
            if let inner = parsed.name {
                guard name == nil else { throw scanner.fail("metric name given twice", at: start) }
                name = inner
            }
        }
        guard let name, !name.isEmpty else { throw scanner.fail("sample without a metric name") }
        scanner.skipBlanks()
        let value = scanner.scanToken()
        guard let number = LineScanner.parseNumber(value.text) else {
            throw scanner.fail(
                value.text.isEmpty ? "missing value" : "invalid value \"\(value.text)\"", at: value.offset)
        }
        // Python uses the last of any further tokens as the timestamp, in milliseconds.
        var timestamp: Timestamp?
        while true {
            scanner.skipBlanks()
            guard !scanner.isAtEnd else { break }
            let token = scanner.scanToken()
            guard let milliseconds = LineScanner.parseNumber(token.text), milliseconds.isFinite else {
                throw scanner.fail("invalid timestamp \"\(token.text)\"", at: token.offset)
            }
            guard let parsed = Self.timestamp(milliseconds: milliseconds, text: token.text) else {
                throw scanner.fail("timestamp \(token.text) is beyond ±2^127 seconds", at: token.offset)
            }
            timestamp = parsed
        }
        return Sample(name: name, labels: labels, value: number, timestamp: timestamp)
    }

    /// A timestamp in milliseconds: integers exactly, other numbers through `Double`; nil beyond
    /// ±2^127 seconds.
    private static func timestamp(milliseconds: Double, text: String) -> Timestamp? {
        if let integer = Int128(text) {
            let (seconds, remainder) = integer.quotientAndRemainder(dividingBy: 1000)
            let adjusted = remainder < 0 ? (seconds - 1, remainder + 1000) : (seconds, remainder)
            return Timestamp(seconds: adjusted.0, nanoseconds: Int64(adjusted.1) * 1_000_000)
        }
        return Timestamp(exactly: milliseconds / 1000)
    }

    private static func build(_ current: Current) -> MetricFamily {
        var name = current.name
        var samples = current.samples
        let type = MetricType(typeName: current.type) ?? .unknown
        if type == .counter {
            if name.hasSuffix("_total") {
                name.removeLast("_total".count)
            } else {
                samples = samples.map { sample in
                    var renamed = sample
                    renamed.name += "_total"
                    return renamed
                }
            }
        }
        return MetricFamily(name: name, help: current.help, type: type, samples: samples)
    }
}

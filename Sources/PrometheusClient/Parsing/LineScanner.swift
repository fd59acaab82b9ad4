/// Reads the pieces of one exposition line (names, label sets, values, timestamps, exemplars) from
/// raw bytes, reporting the column of anything malformed. Shared by both parsers; the differences
/// between the formats (separators, commas, timestamps) are parameters.
struct LineScanner {
    /// What went wrong, and the 0-based byte offset within the line.
    struct Failure: Error {
        var offset: Int
        var reason: String
        /// The 1-based line, when the failure is about another line than the one being scanned (a
        /// family's structure, found when the family ends).
        var line: Int? = nil
    }

    let bytes: UnsafeBufferPointer<UInt8>
    var position: Int

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        position = 0
    }

    var isAtEnd: Bool { position >= bytes.count }

    func peek() -> UInt8? {
        position < bytes.count ? bytes[position] : nil
    }

    func fail(_ reason: String, at offset: Int? = nil) -> Failure {
        Failure(offset: offset ?? position, reason: reason)
    }

    mutating func skip(_ byte: UInt8) -> Bool {
        guard peek() == byte else { return false }
        position += 1
        return true
    }

    mutating func expect(_ byte: UInt8, _ what: String) throws(Failure) {
        guard skip(byte) else { throw fail("expected \(what)") }
    }

    mutating func skipBlanks() {
        while let byte = peek(), byte == 0x20 || byte == 0x09 { position += 1 }
    }

    static func isNameStart(_ byte: UInt8, colon: Bool) -> Bool {
        (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || byte == 0x5F || (colon && byte == 0x3A)
    }

    static func isNameContinuation(_ byte: UInt8, colon: Bool) -> Bool {
        isNameStart(byte, colon: colon) || (byte >= 0x30 && byte <= 0x39)
    }

    /// A legacy metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`), or nil when none starts here.
    mutating func scanLegacyName(colon: Bool) -> String? {
        guard let first = peek(), Self.isNameStart(first, colon: colon) else { return nil }
        let start = position
        position += 1
        while let byte = peek(), Self.isNameContinuation(byte, colon: colon) { position += 1 }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
    }

    /// A double-quoted string with `\\`, `\n` and `\"` escapes (other escapes are kept as written).
    mutating func scanQuoted() throws(Failure) -> String {
        let start = position
        try expect(0x22, "a double quote")
        var result: [UInt8] = []
        while true {
            guard let byte = peek() else { throw fail("unterminated quoted string", at: start) }
            position += 1
            switch byte {
            case 0x22:
                guard let text = result.withUnsafeBufferPointer({ String(validatingUTF8Bytes: $0) }) else {
                    throw fail("quoted string is not valid UTF-8", at: start)
                }
                return text
            case 0x5C:
                guard let escaped = peek() else { throw fail("unterminated escape") }
                position += 1
                switch escaped {
                case 0x5C: result.append(0x5C)
                case 0x6E: result.append(0x0A)
                case 0x22: result.append(0x22)
                default: result.append(contentsOf: [0x5C, escaped])
                }
            case 0x0A:
                throw fail("newline inside a quoted string")
            default:
                result.append(byte)
            }
        }
    }

    /// A metric name: legacy, or quoted (UTF-8).
    mutating func scanMetricName() throws(Failure) -> String {
        if peek() == 0x22 { return try scanQuoted() }
        guard let name = scanLegacyName(colon: true) else { throw fail("expected a metric name") }
        return name
    }

    /// `{name="value",...}` after the `{`; a bare quoted string is the metric name. Returns the labels
    /// and the metric name found inside the braces, if any.
    mutating func scanLabels(strict: Bool) throws(Failure) -> (labels: [Label], name: String?) {
        try expect(0x7B, "{")
        var labels: [Label] = []
        var name: String?
        var first = true
        while true {
            if !strict { skipBlanks() }
            if skip(0x7D) {
                if strict && !first && labels.isEmpty && name == nil { throw fail("empty label set") }
                return (labels, name)
            }
            if !first {
                let commaAt = position
                try expect(0x2C, "a comma or }")
                if !strict { skipBlanks() }
                if peek() == 0x7D {
                    if strict { throw fail("trailing comma in label set", at: commaAt) }
                    continue
                }
            }
            first = false
            let termStart = position
            let labelName: String
            if peek() == 0x22 {
                let quoted = try scanQuoted()
                if !strict { skipBlanks() }
                guard peek() == 0x3D else {
                    guard name == nil else { throw fail("metric name given twice", at: termStart) }
                    name = quoted
                    continue
                }
                labelName = quoted
            } else {
                guard let legacy = scanLegacyName(colon: false) else {
                    throw fail(peek() == 0x2C ? "empty label term" : "expected a label name")
                }
                labelName = legacy
            }
            if !strict { skipBlanks() }
            try expect(0x3D, "= after the label name")
            if !strict { skipBlanks() }
            let value = try scanQuoted()
            guard !labelName.hasPrefix("__") || labelName == "__name__" else {
                throw fail("label name \(labelName) is reserved (starts with __)", at: termStart)
            }
            if labelName == "__name__" {
                guard name == nil else { throw fail("metric name given twice", at: termStart) }
                name = value
                continue
            }
            if labels.contains(where: { ByteIdentity.equal($0.name, labelName) }) {
                throw fail("duplicate label name \(labelName)", at: termStart)
            }
            labels.append(Label(labelName, value))
        }
    }

    /// The next token, up to a space or tab (or the end).
    mutating func scanToken() -> (text: String, offset: Int) {
        let start = position
        while let byte = peek(), byte != 0x20, byte != 0x09 { position += 1 }
        return (String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self), start)
    }

    /// Parses a number as both formats allow: decimal with optional exponent, `Inf`/`Infinity` with a
    /// sign, `NaN`, case-insensitively. No underscores, no hexadecimal.
    static func parseNumber(_ text: String) -> Double? {
        let lower = text.lowercased()
        switch lower {
        case "nan", "+nan", "-nan": return .nan
        case "inf", "+inf", "infinity", "+infinity": return .infinity
        case "-inf", "-infinity": return -.infinity
        default: break
        }
        var sawDigit = false
        var previous: UInt8 = 0
        for byte in lower.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): sawDigit = true
            case UInt8(ascii: "+"), UInt8(ascii: "-"):
                guard previous == 0 || previous == UInt8(ascii: "e") else { return nil }
            case UInt8(ascii: "."), UInt8(ascii: "e"): break
            default: return nil
            }
            previous = byte
        }
        guard sawDigit else { return nil }
        return Double(lower)
    }

    /// Undoes the escapes of HELP text: `\\` and `\n`, and `\"` when `quotes` (OpenMetrics escapes
    /// quotes in HELP; the Prometheus text format does not). Any other backslash stays as it is.
    static func unescape(_ text: String, quotes: Bool) -> String {
        guard text.contains("\\") else { return text }
        var result = ""
        var escaping = false
        for character in text {
            if escaping {
                switch character {
                case "\\": result.append("\\")
                case "n": result.append("\n")
                case "\"" where quotes: result.append("\"")
                default:
                    result.append("\\")
                    result.append(character)
                }
                escaping = false
            } else if character == "\\" {
                escaping = true
            } else {
                result.append(character)
            }
        }
        if escaping { result.append("\\") }
        return result
    }
}

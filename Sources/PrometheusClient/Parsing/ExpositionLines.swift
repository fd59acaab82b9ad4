/// Splits an exposition into lines (without the newline), remembering line numbers, and turns a
/// scanner failure into a ``ParseError`` with a 1-based line and column.
struct ExpositionLines {
    let text: UnsafeBufferPointer<UInt8>

    /// Each line's byte range, and whether the text ends with a newline.
    func ranges() -> (lines: [Range<Int>], endsWithNewline: Bool) {
        var lines: [Range<Int>] = []
        var start = 0
        for index in 0..<text.count where text[index] == 0x0A {
            lines.append(start..<index)
            start = index + 1
        }
        if start < text.count {
            lines.append(start..<text.count)
        }
        return (lines, text.last == 0x0A)
    }

    func line(_ range: Range<Int>) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: text[range])
    }

    static func error(_ failure: LineScanner.Failure, line: Int) -> ParseError {
        ParseError(line: failure.line ?? line, column: failure.offset + 1, reason: failure.reason)
    }

    /// Runs a parser on the UTF-8 bytes of `text`, without copying a native string.
    static func parse(_ text: String, with parser: (UnsafeBufferPointer<UInt8>) throws(ParseError) -> [MetricFamily])
        throws(ParseError) -> [MetricFamily]
    {
        var copy = text
        let result = copy.withUTF8 { bytes in Result { () throws(ParseError) in try parser(bytes) } }
        return try result.get()
    }

    /// Runs a parser on `bytes`.
    static func parse(_ bytes: [UInt8], with parser: (UnsafeBufferPointer<UInt8>) throws(ParseError) -> [MetricFamily])
        throws(ParseError) -> [MetricFamily]
    {
        let result = bytes.withUnsafeBufferPointer { buffer in Result { () throws(ParseError) in try parser(buffer) } }
        return try result.get()
    }
}

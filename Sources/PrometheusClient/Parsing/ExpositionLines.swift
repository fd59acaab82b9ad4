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

    /// Walks OpenMetrics text (1.0 and 2.0 alike) line by line: `# EOF` must be the last line (a
    /// final newline after it is allowed), no line may be blank; other `#` lines go to `metadata`,
    /// the rest to `sample` with their 1-based line number, and `end` is called at `# EOF`.
    ///
    /// - Returns: the number of lines.
    /// - Throws: ``ParseError`` with the line and column of the first failure.
    static func walkOpenMetrics(
        _ text: UnsafeBufferPointer<UInt8>,
        metadata: (inout LineScanner) throws(LineScanner.Failure) -> Void,
        sample: (inout LineScanner, _ line: Int) throws(LineScanner.Failure) -> Void,
        end: (LineScanner) throws(LineScanner.Failure) -> Void
    ) throws(ParseError) -> Int {
        let lines = ExpositionLines(text: text)
        let ranges = lines.ranges().lines
        var sawEOF = false
        for (index, range) in ranges.enumerated() {
            var scanner = LineScanner(lines.line(range))
            do throws(LineScanner.Failure) {
                if sawEOF { throw scanner.fail("text after # EOF") }
                guard !scanner.isAtEnd else { throw scanner.fail("blank lines are not allowed") }
                if scanner.peek() == UInt8(ascii: "#") {
                    if lines.line(range).elementsEqual("# EOF".utf8) {
                        sawEOF = true
                        try end(scanner)
                    } else {
                        try metadata(&scanner)
                    }
                } else {
                    try sample(&scanner, index + 1)
                }
            } catch {
                throw Self.error(error, line: index + 1)
            }
        }
        guard sawEOF else {
            throw ParseError(line: max(ranges.count, 1), column: 1, reason: "the text must end with # EOF")
        }
        return ranges.count
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

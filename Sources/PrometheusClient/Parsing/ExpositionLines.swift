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
}

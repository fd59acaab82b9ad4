/// Why an exposition could not be parsed, and where: a 1-based line and column (in bytes) and a reason
/// a user can act on.
public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The 1-based line number.
    public var line: Int
    /// The 1-based byte column within the line.
    public var column: Int
    /// What is wrong.
    public var reason: String

    /// Creates a parse error.
    public init(line: Int, column: Int, reason: String) {
        self.line = line
        self.column = column
        self.reason = reason
    }

    /// `line L, column C: reason`.
    public var description: String {
        "line \(line), column \(column): \(reason)"
    }
}

/// One label of a sample: a name and its value.
///
/// Two labels are equal when their names and values have the same UTF-8 bytes; unlike `String`
/// equality, that keeps `"e\u{301}"` and `"\u{e9}"` apart, as Prometheus and the Python client do.
public struct Label: Sendable, Hashable {
    /// The label name, for example `method`.
    public var name: String
    /// The label value, any UTF-8 text.
    public var value: String

    /// Creates a label.
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    /// Whether both labels have the same name and value bytes.
    public static func == (lhs: Label, rhs: Label) -> Bool {
        ByteIdentity.equal(lhs.name, rhs.name) && ByteIdentity.equal(lhs.value, rhs.value)
    }

    /// Hashes the name and value bytes.
    public func hash(into hasher: inout Hasher) {
        ByteIdentity.hash(name, into: &hasher)
        ByteIdentity.hash(value, into: &hasher)
    }
}

extension Array where Element == Label {
    /// Builds labels from a dictionary, sorted by name (by bytes) so that equal sets compare equal.
    public init(_ dictionary: [String: String]) {
        self = dictionary.map { Label($0.key, $0.value) }.sorted { ByteIdentity.precedes($0.name, $1.name) }
    }

    /// The labels as a dictionary (a later duplicate name wins).
    public var dictionary: [String: String] {
        var result: [String: String] = [:]
        for label in self {
            result[label.name] = label.value
        }
        return result
    }

    /// The value of the label called `name`, if there is one.
    public subscript(name: String) -> String? {
        first { ByteIdentity.equal($0.name, name) }?.value
    }
}

/// One label of a sample: a name and its value.
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
}

extension Array where Element == Label {
    /// Builds labels from a dictionary, sorted by name so that equal sets compare equal.
    public init(_ dictionary: [String: String]) {
        self = dictionary.map { Label($0.key, $0.value) }.sorted { $0.name < $1.name }
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
        first { $0.name == name }?.value
    }
}

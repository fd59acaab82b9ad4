import PrometheusClient

/// One HTTP header field: a name (compared case-insensitively) and its value.
public struct HTTPHeader: Sendable, Hashable {
    /// The field name as sent, e.g. `Accept-Encoding`.
    public var name: String
    /// The field value with surrounding spaces and tabs removed.
    public var value: String

    /// Creates a header field.
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    /// Whether this field's name equals `other`, ignoring ASCII case.
    public func hasName(_ other: String) -> Bool {
        name.utf8.count == other.utf8.count
            && zip(name.utf8, other.utf8).allSatisfy { HTTPHeader.lowercased($0) == HTTPHeader.lowercased($1) }
    }

    static func lowercased(_ byte: UInt8) -> UInt8 {
        (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) ? byte | 0x20 : byte
    }
}

extension [HTTPHeader] {
    /// The value of the first field called `name` (case-insensitive), or `nil`.
    public func first(named name: String) -> String? {
        first { $0.hasName(name) }?.value
    }

    /// The values of every field called `name` (case-insensitive), in order.
    public func values(named name: String) -> [String] {
        filter { $0.hasName(name) }.map(\.value)
    }
}

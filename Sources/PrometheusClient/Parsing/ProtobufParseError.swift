/// Why bytes in the Prometheus protobuf format could not be read, and where (a byte offset).
public enum ProtobufParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The bytes end inside a field or message.
    case truncated(offset: Int)
    /// A field has the wrong wire type, an impossible value, or a message breaks the format's rules.
    case invalid(offset: Int, reason: String)

    /// A message a user can act on.
    public var description: String {
        switch self {
        case .truncated(let offset):
            return "the protobuf data ends inside a field or message at byte \(offset); was it cut short?"
        case .invalid(let offset, let reason):
            return "invalid protobuf data at byte \(offset): \(reason)"
        }
    }
}

/// The outcome of content negotiation: what to write and the `Content-Type` to announce.
public struct NegotiatedFormat: Sendable, Hashable {
    /// The format to render.
    public var format: ExpositionFormat
    /// The `Content-Type` header value.
    public var contentType: String
    /// How to escape names that are not legacy-valid.
    public var escaping: NameEscapingScheme

    /// Creates a negotiated format.
    public init(format: ExpositionFormat, contentType: String, escaping: NameEscapingScheme) {
        self.format = format
        self.contentType = contentType
        self.escaping = escaping
    }
}

/// A collector that threw during a collection: which one, and the error.
public struct CollectorFailure: Sendable, CustomStringConvertible {
    /// The collector's type name (and description, if it has one).
    public var collector: String
    /// What the collector threw.
    public var error: any Error

    /// Creates a failure record.
    public init(collector: String, error: any Error) {
        self.collector = collector
        self.error = error
    }

    /// `"<collector>: <error>"`.
    public var description: String { "\(collector): \(error)" }
}

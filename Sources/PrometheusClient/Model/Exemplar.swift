/// An exemplar: a reference (typically a trace id) to one observation behind a counter or bucket.
public struct Exemplar: Sendable, Hashable {
    /// The exemplar's labels, for example `trace_id`.
    public var labels: [Label]
    /// The observed value (the amount added, not the running total).
    public var value: Double
    /// When the observation happened, if known.
    public var timestamp: Timestamp?

    /// The most characters (Unicode scalars) that the names and values of an exemplar's labels may
    /// hold together, as OpenMetrics specifies.
    public static let maximumLabelCharacters = 128

    /// Creates an exemplar.
    public init(labels: [Label], value: Double, timestamp: Timestamp? = nil) {
        self.labels = labels
        self.value = value
        self.timestamp = timestamp
    }
}

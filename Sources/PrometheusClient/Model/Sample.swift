/// One sample of a metric family: a full sample name (with any suffix such as `_total`), labels and a
/// value, optionally with a timestamp and an exemplar.
public struct Sample: Sendable, Hashable {
    /// The sample name, including its suffix (`requests_total`, `latency_bucket`, ...).
    public var name: String
    /// The labels, in the order the writers print them (builders keep them sorted by name).
    public var labels: [Label]
    /// The value.
    public var value: Double
    /// An explicit timestamp; most samples have none.
    public var timestamp: Timestamp?
    /// An exemplar; only OpenMetrics exposes it, and only on counters' `_total` and buckets.
    public var exemplar: Exemplar?
    /// A native-histogram value (OpenMetrics 2.0 only); when set, `value` is ignored.
    public var nativeHistogram: NativeHistogram?

    /// Creates a sample.
    public init(
        name: String,
        labels: [Label] = [],
        value: Double,
        timestamp: Timestamp? = nil,
        exemplar: Exemplar? = nil,
        nativeHistogram: NativeHistogram? = nil
    ) {
        self.name = name
        self.labels = labels
        self.value = value
        self.timestamp = timestamp
        self.exemplar = exemplar
        self.nativeHistogram = nativeHistogram
    }
}

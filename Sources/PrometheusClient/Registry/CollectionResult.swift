/// The outcome of collecting a registry: the families of every collector that succeeded, and one
/// failure per collector that threw (whose families are missing).
public struct CollectionResult: Sendable {
    /// The collected families, target info first, then in registration order.
    public var families: [MetricFamily]
    /// Collectors that threw; empty when everything was collected.
    public var failures: [CollectorFailure]

    /// Creates a result.
    public init(families: [MetricFamily], failures: [CollectorFailure] = []) {
        self.families = families
        self.failures = failures
    }
}

/// Anything that can be collected for a scrape: a ``CollectorRegistry`` or a ``RestrictedRegistry``.
public protocol MetricsSource: Sendable {
    /// Collects every family, isolating collectors that throw into ``CollectionResult/failures``.
    func collect() -> CollectionResult
}

/// Anything that can be collected for a scrape: a ``CollectorRegistry`` or a ``RestrictedRegistry``.
public protocol MetricsSource: Sendable {
    /// Collects every family, isolating collectors that throw into ``CollectionResult/failures``.
    func collect() -> CollectionResult

    /// Renders every family in `format` into `bytes`, replacing its contents and keeping its
    /// capacity, and returns the failures of collectors that threw (their families are left out).
    /// The bytes equal ``Exposition/render(_:as:escaping:)`` of ``collect()``.
    func render(as format: ExpositionFormat, escaping: NameEscapingScheme, into bytes: inout [UInt8])
        -> [CollectorFailure]
}

extension MetricsSource {
    /// Renders ``collect()`` through ``Exposition``.
    public func render(as format: ExpositionFormat, escaping: NameEscapingScheme, into bytes: inout [UInt8])
        -> [CollectorFailure]
    {
        let result = collect()
        Exposition.render(result.families, as: format, escaping: escaping, into: &bytes)
        return result.failures
    }
}

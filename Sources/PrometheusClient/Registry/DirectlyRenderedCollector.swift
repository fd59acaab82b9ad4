/// A collector that writes its one family's lines itself at scrape time, without building
/// ``MetricFamily`` values first: the built-in metric types. The registry orders it among the other
/// families by ``familyName`` and falls back to ``Collector/collect()`` when it declines.
protocol DirectlyRenderedCollector: Collector {
    /// The name of the family it writes.
    var familyName: String { get }

    /// Writes the family, with or without `_created` samples, or returns false (writing nothing) to
    /// be rendered from ``collect(includingCreated:)``.
    func render(
        as format: ExpositionFormat, escaping: NameEscapingScheme, includingCreated: Bool,
        to buffer: inout ExpositionBuffer
    ) -> Bool

    /// The family, with or without `_created` samples, whatever ``CreatedSeries/isEnabled`` says.
    func collect(includingCreated: Bool) -> [MetricFamily]
}

extension Collector {
    /// Collects with or without `_created` samples where the collector lets the caller choose (the
    /// metric types); other collectors decide for themselves.
    func collect(includingCreated: Bool) throws -> [MetricFamily] {
        if let direct = self as? any DirectlyRenderedCollector {
            return direct.collect(includingCreated: includingCreated)
        }
        return try collect()
    }
}

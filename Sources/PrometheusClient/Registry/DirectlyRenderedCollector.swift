/// A collector that writes its one family's lines itself at scrape time, without building
/// ``MetricFamily`` values first: the built-in metric types. The registry orders it among the other
/// families by ``familyName`` and falls back to ``Collector/collect()`` when it declines.
protocol DirectlyRenderedCollector: Collector {
    /// The name of the family it writes.
    var familyName: String { get }

    /// Writes the family, or returns false (writing nothing) to be rendered from `collect()`.
    func render(as format: ExpositionFormat, escaping: NameEscapingScheme, to buffer: inout ExpositionBuffer) -> Bool
}

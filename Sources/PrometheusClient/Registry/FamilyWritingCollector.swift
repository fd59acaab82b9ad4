/// A collector that gathers several families per scrape and writes their lines itself, from what it
/// keeps between scrapes, instead of building ``MetricFamily`` values: the multiprocess merge.
///
/// The registry interleaves its families with the other collectors' by name, so it first asks for
/// them all (``prepareFamilies()``), then has each written where it belongs.
package protocol FamilyWritingCollector: Collector {
    /// Gathers what one scrape writes (for a merge: merges now).
    ///
    /// - Throws: whatever ``Collector/collect()`` would throw; the registry reports it as a failure.
    func prepareFamilies() throws -> any PreparedFamilies
}

/// The families of one scrape of a ``FamilyWritingCollector``, sorted by name.
package protocol PreparedFamilies {
    /// The names of the families, sorted by their bytes.
    var familyNames: [String] { get }

    /// The family at `index` as a value: for the protobuf format, for a name another collector
    /// also produces, and for ``Collector/collect()``.
    func family(at index: Int) -> MetricFamily

    /// Writes the family at `index` in `format` (the `# EOF` of OpenMetrics excepted), the bytes
    /// ``Exposition`` writes for ``family(at:)``.
    func writeFamily(
        at index: Int, as format: ExpositionFormat, escaping: NameEscapingScheme, to buffer: inout ExpositionBuffer)
}

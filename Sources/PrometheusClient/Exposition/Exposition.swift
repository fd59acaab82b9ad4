/// Renders metric families in a text exposition format.
///
/// ```swift
/// let body = Exposition.render(CollectorRegistry.default.collect().families, as: .openMetrics100)
/// ```
public enum Exposition {
    /// Renders `families` sorted by name (stable: families of the same name keep their order), each
    /// family's samples in the given order, labels sorted by name.
    ///
    /// - Parameters:
    ///   - format: the text format.
    ///   - escaping: how names that are not legacy-valid are written (default: underscores, as the
    ///     Python client).
    /// - Returns: the UTF-8 bytes of the exposition.
    public static func render(
        _ families: [MetricFamily],
        as format: ExpositionFormat,
        escaping: NameEscapingScheme = .underscores
    ) -> [UInt8] {
        // Collections that are sorted already (a multiprocess merge) are not sorted again: their
        // order is used as it is, without copying a family.
        let isSorted = zip(families, families.dropFirst()).allSatisfy { !ByteIdentity.precedes($1.name, $0.name) }
        let order =
            isSorted
            ? Array(families.indices)
            : families.indices.sorted { lhs, rhs in
                if !ByteIdentity.equal(families[lhs].name, families[rhs].name) {
                    return ByteIdentity.precedes(families[lhs].name, families[rhs].name)
                }
                return lhs < rhs
            }
        let sampleCount = families.reduce(0) { $0 + $1.samples.count }
        var buffer = ExpositionBuffer(reservingCapacity: 256 + sampleCount * 64)
        for index in order {
            switch format {
            case .prometheusText004, .prometheusText100:
                PrometheusTextWriter.write(families[index], escaping: escaping, to: &buffer)
            case .openMetrics100, .openMetrics200:
                OpenMetricsWriter.write(
                    families[index], escaping: escaping, nativeHistograms: format == .openMetrics200, to: &buffer)
            }
        }
        if format.isOpenMetrics {
            OpenMetricsWriter.writeEnd(to: &buffer)
        }
        return buffer.bytes
    }

    /// Renders `families` as a `String` (see ``render(_:as:escaping:)``).
    public static func string(
        _ families: [MetricFamily],
        as format: ExpositionFormat,
        escaping: NameEscapingScheme = .underscores
    ) -> String {
        String(decoding: render(families, as: format, escaping: escaping), as: UTF8.self)
    }
}

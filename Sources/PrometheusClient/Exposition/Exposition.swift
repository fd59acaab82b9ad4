/// Renders metric families in an exposition format (text, OpenMetrics or protobuf).
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
        var buffer = ExpositionBuffer(reservingCapacity: 256 + families.reduce(0) { $0 + $1.samples.count } * 64)
        write(families, as: format, escaping: escaping, to: &buffer)
        return buffer.takeBytes()
    }

    /// Renders `families` as ``render(_:as:escaping:)`` does into `bytes`, replacing its contents and
    /// keeping its capacity: an array reused from one scrape to the next is not allocated again.
    public static func render(
        _ families: [MetricFamily],
        as format: ExpositionFormat,
        escaping: NameEscapingScheme = .underscores,
        into bytes: inout [UInt8]
    ) {
        var buffer = ExpositionBuffer(taking: &bytes)
        write(families, as: format, escaping: escaping, to: &buffer)
        bytes = buffer.takeBytes()
    }

    static func write(
        _ families: [MetricFamily], as format: ExpositionFormat, escaping: NameEscapingScheme,
        to buffer: inout ExpositionBuffer
    ) {
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
        for index in order {
            write(families[index], as: format, escaping: escaping, to: &buffer)
        }
        if format.isOpenMetrics {
            OpenMetricsWriter.writeEnd(to: &buffer)
        }
    }

    /// Writes one family's lines (the `# EOF` of OpenMetrics excepted).
    package static func write(
        _ family: MetricFamily, as format: ExpositionFormat, escaping: NameEscapingScheme,
        to buffer: inout ExpositionBuffer
    ) {
        switch format {
        case .prometheusText004, .prometheusText100:
            PrometheusTextWriter.write(family, escaping: escaping, to: &buffer)
        case .openMetrics100:
            OpenMetricsWriter.write(family, escaping: escaping, to: &buffer)
        case .openMetrics200:
            OpenMetrics2Writer.write(family, escaping: escaping, to: &buffer)
        case .prometheusProtobuf:
            ProtobufWriter.write(family, escaping: escaping, to: &buffer)
        }
    }

    /// Writes the lines that open a family in the text formats (HELP, TYPE and, in OpenMetrics, UNIT),
    /// for writers that write the family's sample lines themselves (``SeriesLineWriter``).
    package static func writeFamilyHeader(
        name: String, type: MetricType, help: String, unit: String, as format: ExpositionFormat,
        escaping: NameEscapingScheme, to buffer: inout ExpositionBuffer
    ) {
        if format.isOpenMetrics {
            OpenMetricsWriter.writeFamilyHeader(
                name: name, type: type, help: help, unit: unit, escaping: escaping, to: &buffer)
        } else {
            PrometheusTextWriter.writeFamilyHeader(name: name, type: type, help: help, escaping: escaping, to: &buffer)
        }
    }

    /// Writes the HELP and TYPE lines of the gauge family that the text format moves the `_created`
    /// samples of family `name` into, after it (OpenMetrics writes them inline instead).
    package static func writeCreatedHeader(
        name: String, help: String, escaping: NameEscapingScheme, to buffer: inout ExpositionBuffer
    ) {
        PrometheusTextWriter.writeCreatedHeader(name: name, help: help, escaping: escaping, to: &buffer)
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

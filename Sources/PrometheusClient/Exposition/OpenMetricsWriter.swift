/// Writes OpenMetrics 1.0.0 as the Python client's OpenMetrics `generate_latest` does: HELP with
/// quotes escaped, TYPE, UNIT, `_created` inline, exemplars where the format allows them, timestamps
/// in seconds, `# EOF` at the end. Native-histogram samples, which 1.0 cannot carry, are left out
/// (OpenMetrics 2.0 has its own writer, ``OpenMetrics2Writer``).
///
/// Two deliberate differences from Python: an exemplar on a sample that may not carry one (anything
/// but a counter's `_total` or a histogram's `_bucket`) is left out instead of failing the scrape, and
/// sample names are escaped with the metric-name rules (keeping `:`), like the HELP and TYPE lines.
package enum OpenMetricsWriter {
    static func write(
        _ family: MetricFamily, escaping: NameEscapingScheme, to buffer: inout ExpositionBuffer
    ) {
        writeFamilyHeader(
            name: family.name, type: family.type, help: family.help, unit: family.unit, escaping: escaping, to: &buffer)
        // By index, not by element: copying a sample out of the array costs several reference counts.
        for index in family.samples.indices
        where family.samples[index].nativeHistogram == nil {
            writeSample(family.samples[index], of: family, escaping: escaping, to: &buffer)
        }
    }

    /// Writes the HELP, TYPE and (when there is a unit) UNIT lines that open a family.
    static func writeFamilyHeader(
        name: String, type: MetricType, help: String, unit: String, escaping: NameEscapingScheme,
        to buffer: inout ExpositionBuffer
    ) {
        let escapedName = escaping.escapeMetricName(name)
        appendMetadata("HELP", name: escapedName, text: help, to: &buffer)
        appendMetadata("TYPE", name: escapedName, text: type.rawValue, to: &buffer)
        if !unit.isEmpty {
            appendMetadata("UNIT", name: escapedName, text: unit, to: &buffer)
        }
    }

    /// Appends `# KEYWORD name text` and a newline; `name` is escaped already. HELP text is escaped
    /// as OpenMetrics escapes it (backslash, newline and double quote); TYPE and UNIT text never needs it.
    static func appendMetadata(_ keyword: String, name: String, text: String, to buffer: inout ExpositionBuffer) {
        buffer.append("# ")
        buffer.append(keyword)
        buffer.append(UInt8(ascii: " "))
        buffer.append(name)
        buffer.append(UInt8(ascii: " "))
        if keyword == "HELP" {
            buffer.appendEscaped(text, escapingQuotes: true)
        } else {
            buffer.append(text)
        }
        buffer.append(UInt8(ascii: "\n"))
    }

    private static func writeSample(
        _ sample: Sample, of family: MetricFamily, escaping: NameEscapingScheme, to buffer: inout ExpositionBuffer
    ) {
        buffer.appendSeries(name: sample.name, labels: sample.labels, escaping: escaping)
        buffer.append(UInt8(ascii: " "))
        buffer.appendValue(sample.value)
        if let timestamp = sample.timestamp {
            buffer.append(UInt8(ascii: " "))
            buffer.append(timestamp.description)
        }
        if mayCarryExemplar(sample, in: family) {
            if let exemplar = sample.exemplar {
                appendExemplar(exemplar, to: &buffer)
            }
        }
        buffer.append(UInt8(ascii: "\n"))
    }

    static func writeEnd(to buffer: inout ExpositionBuffer) {
        buffer.append("# EOF\n")
    }

    private static func mayCarryExemplar(_ sample: Sample, in family: MetricFamily) -> Bool {
        mayCarryExemplar(sampleName: sample.name, type: family.type, isNative: sample.nativeHistogram != nil)
    }

    /// Whether OpenMetrics lets a sample carry an exemplar: a counter's `_total`, a histogram's
    /// `_bucket` or native sample. Every writer of the format asks this.
    package static func mayCarryExemplar(sampleName: String, type: MetricType, isNative: Bool) -> Bool {
        switch type {
        case .counter: return sampleName.hasSuffix("_total")
        case .histogram, .gaugeHistogram: return sampleName.hasSuffix("_bucket") || isNative
        default: return false
        }
    }

    /// Appends ` # {labels} value [timestamp]` after a sample value.
    static func appendExemplar(_ exemplar: Exemplar, to buffer: inout ExpositionBuffer) {
        buffer.append(" # {")
        buffer.appendLabels(exemplar.labels, escaping: .allowUTF8)
        buffer.append("} ")
        buffer.appendValue(exemplar.value)
        if let timestamp = exemplar.timestamp {
            buffer.append(UInt8(ascii: " "))
            buffer.append(timestamp.description)
        }
    }

}

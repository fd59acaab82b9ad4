/// Writes the Prometheus text format (0.0.4, also served as 1.0.0), exactly as the Python client's
/// `generate_latest` does: counters get `_total` in HELP/TYPE, info becomes a gauge `_info`, state
/// sets gauges, gauge histograms histograms, unknown `untyped`; `_created`, `_gsum` and `_gcount`
/// samples move into gauge families after their family; timestamps are integer milliseconds;
/// exemplars and native-histogram samples, which the format cannot carry, are left out.
enum PrometheusTextWriter {
    static func write(_ family: MetricFamily, escaping: NameEscapingScheme, to buffer: inout ExpositionBuffer) {
        writeFamilyHeader(name: family.name, type: family.type, help: family.help, escaping: escaping, to: &buffer)

        // Written after the others, each under a gauge header of its own, sorted by suffix, as Python
        // writes them; the lists are made only for a family that has such samples.
        var trailing: [[Int]] = []
        // By index, not by element: copying a sample out of the array costs several reference counts.
        for index in family.samples.indices {
            if let slot = trailingSlot(of: family.samples[index].name, inFamily: family.name) {
                if trailing.isEmpty { trailing = Array(repeating: [], count: trailingSuffixes.count) }
                trailing[slot].append(index)
            } else if family.samples[index].nativeHistogram == nil {
                writeSample(family.samples[index], escaping: escaping, to: &buffer)
            }
        }
        for (slot, indices) in trailing.enumerated() where !indices.isEmpty {
            writeHeader(
                name: family.name + trailingSuffixes[slot], type: "gauge", help: family.help, escaping: escaping,
                to: &buffer)
            for index in indices {
                writeSample(family.samples[index], escaping: escaping, to: &buffer)
            }
        }
    }

    private static let trailingSuffixes = ["_created", "_gcount", "_gsum"]

    /// Which of ``trailingSuffixes`` the sample called `sample` is `family` with, compared as bytes
    /// in place (the names were concatenated, three allocations per family and scrape).
    private static func trailingSlot(of sample: String, inFamily family: String) -> Int? {
        guard sample.utf8.count > family.utf8.count else { return nil }
        return trailingSuffixes.firstIndex { ByteIdentity.equal(sample, concatenating: family, $0) }
    }

    /// Writes the HELP and TYPE lines that open a family of `type` called `name` (counters are
    /// announced as `<name>_total`, info as a gauge `<name>_info`, ...).
    static func writeFamilyHeader(
        name: String, type: MetricType, help: String, escaping: NameEscapingScheme, to buffer: inout ExpositionBuffer
    ) {
        let (headerName, typeName) = header(name: name, type: type)
        writeHeader(name: headerName, type: typeName, help: help, escaping: escaping, to: &buffer)
    }

    /// Writes the HELP and TYPE lines of the gauge family that `_created` samples move into, after
    /// the family `name`.
    static func writeCreatedHeader(
        name: String, help: String, escaping: NameEscapingScheme, to buffer: inout ExpositionBuffer
    ) {
        writeHeader(name: name + "_created", type: "gauge", help: help, escaping: escaping, to: &buffer)
    }

    private static func header(name: String, type: MetricType) -> (name: String, type: String) {
        switch type {
        case .counter: return (name + "_total", "counter")
        case .info: return (name + "_info", "gauge")
        case .stateSet: return (name, "gauge")
        case .gaugeHistogram: return (name, "histogram")
        case .unknown: return (name, "untyped")
        case .gauge, .summary, .histogram: return (name, type.rawValue)
        }
    }

    private static func writeHeader(
        name: String, type: String, help: String, escaping: NameEscapingScheme, to buffer: inout ExpositionBuffer
    ) {
        let escapedName = escaping.escapeMetricName(name)
        buffer.append("# HELP ")
        buffer.append(escapedName)
        buffer.append(UInt8(ascii: " "))
        buffer.appendEscaped(help, escapingQuotes: false)
        buffer.append("\n# TYPE ")
        buffer.append(escapedName)
        buffer.append(UInt8(ascii: " "))
        buffer.append(type)
        buffer.append(UInt8(ascii: "\n"))
    }

    private static func writeSample(_ sample: Sample, escaping: NameEscapingScheme, to buffer: inout ExpositionBuffer) {
        buffer.appendSeries(name: sample.name, labels: sample.labels, escaping: escaping)
        buffer.append(UInt8(ascii: " "))
        buffer.appendValue(sample.value)
        if let timestamp = sample.timestamp {
            buffer.append(UInt8(ascii: " "))
            buffer.append(timestamp.millisecondsDescription)
        }
        buffer.append(UInt8(ascii: "\n"))
    }
}

/// The bytes of an exposition being written, with the pieces both writers share: escaped label sets,
/// values and help text.
struct ExpositionBuffer {
    var bytes: [UInt8] = []
    /// The last name escaped and its escaped form: consecutive samples mostly share names and label
    /// names, and checking a name is dearer than comparing it with the previous one.
    private var lastMetricName = (name: "", escaping: NameEscapingScheme.underscores, escaped: "")
    private var lastLabelName = (name: "", escaping: NameEscapingScheme.underscores, escaped: "")

    init(reservingCapacity capacity: Int) {
        bytes.reserveCapacity(capacity)
    }

    mutating func append(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    mutating func append(_ byte: UInt8) {
        bytes.append(byte)
    }

    mutating func appendValue(_ value: Double) {
        GoFloatFormat.append(value, to: &bytes)
    }

    /// Appends help text or a label value, escaping backslash and newline, and double quotes when
    /// `escapingQuotes` (label values always; help text in OpenMetrics only).
    mutating func appendEscaped(_ text: String, escapingQuotes: Bool) {
        let utf8 = text.utf8
        guard utf8.contains(where: { $0 == 0x5C || $0 == 0x0A || ($0 == 0x22 && escapingQuotes) }) else {
            bytes.append(contentsOf: utf8)
            return
        }
        for byte in utf8 {
            switch byte {
            case 0x5C: bytes.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: bytes.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x22 where escapingQuotes: bytes.append(contentsOf: [0x5C, 0x22])
            default: bytes.append(byte)
            }
        }
    }

    private static func isSorted(_ labels: [Label]) -> Bool {
        guard labels.count > 1 else { return true }
        for index in 1..<labels.count
        where !ByteIdentity.precedes(labels[index - 1].name, labels[index].name) {
            return false
        }
        return true
    }

    /// Appends `name="value",...` for labels sorted by name, label names escaped by `escaping`.
    mutating func appendLabels(_ labels: [Label], escaping: NameEscapingScheme) {
        let sorted =
            Self.isSorted(labels) ? labels : labels.sorted { ByteIdentity.precedes($0.name, $1.name) }
        for (index, label) in sorted.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            if !ByteIdentity.equal(label.name, lastLabelName.name) || escaping != lastLabelName.escaping {
                lastLabelName = (label.name, escaping, escaping.escapeLabelName(label.name))
            }
            append(lastLabelName.escaped)
            bytes.append(contentsOf: [UInt8(ascii: "="), 0x22])
            appendEscaped(label.value, escapingQuotes: true)
            bytes.append(0x22)
        }
    }

    /// Appends a sample's name and labels: `name{labels}`, or `{"name",labels}` for a name that must
    /// be quoted under allow-utf-8.
    mutating func appendSeries(name: String, labels: [Label], escaping: NameEscapingScheme) {
        if !ByteIdentity.equal(name, lastMetricName.name) || escaping != lastMetricName.escaping {
            lastMetricName = (name, escaping, escaping.escapeMetricName(name))
        }
        if escaping == .allowUTF8, !MetricNaming.isLegacyMetricName(name) {
            bytes.append(UInt8(ascii: "{"))
            append(escaping.escapeMetricName(name))
            if !labels.isEmpty {
                bytes.append(UInt8(ascii: ","))
                appendLabels(labels, escaping: escaping)
            }
            bytes.append(UInt8(ascii: "}"))
            return
        }
        append(lastMetricName.escaped)
        if !labels.isEmpty {
            bytes.append(UInt8(ascii: "{"))
            appendLabels(labels, escaping: escaping)
            bytes.append(UInt8(ascii: "}"))
        }
    }
}

import PrometheusClient

/// Turns metric families into lines of Graphite's plaintext protocol, `<path> <value> <timestamp>\n`,
/// exactly as Python's `GraphiteBridge` writes them.
///
/// - The path is `[<prefix>.]<sample name>` followed by the labels sorted by name, as `.key.value`
///   pairs or, in tags form, as `;key=value`. Sample names, label names and label values are
///   sanitised: every character (Unicode scalar) outside `[a-zA-Z0-9_-]` becomes `_`. The prefix is
///   taken as given (it may hold dots to build a hierarchy).
/// - The value is the shortest text that reads back as the same double, in Python's `str(float)`
///   form: `1.0`, `0.30000000000000004`, `1e+22`, `inf`, `-inf`, `nan`. Carbon parses values with
///   Python's `float()`, so this is the form it reads natively (and it drops `nan` itself).
/// - The timestamp is whole Unix seconds, the same for every line of a push (sample timestamps are
///   ignored, as in Python).
///
/// Every sample is written, including `_created`, `_bucket` and `_info` samples.
public enum GraphiteFormatter {
    /// The lines for `families`, concatenated, each ending in `\n`.
    ///
    /// - Throws: ``GraphiteError/invalidPrefix(_:reason:)`` when the prefix holds whitespace, control
    ///   or non-ASCII characters.
    public static func lines(
        for families: [MetricFamily],
        prefix: String = "",
        tags: Bool = false,
        timestamp: Int64
    ) throws(GraphiteError) -> String {
        try validatePrefix(prefix)
        var output = ""
        let head = prefix.isEmpty ? "" : prefix + "."
        for family in families {
            for sample in family.samples where sample.nativeHistogram == nil {
                output += head
                output += sanitize(sample.name)
                for label in sample.labels.sorted(by: Self.byCodePoints) {
                    if tags {
                        output += ";" + sanitize(label.name) + "=" + sanitize(label.value)
                    } else {
                        output += "." + sanitize(label.name) + "." + sanitize(label.value)
                    }
                }
                output += " " + formatValue(sample.value) + " " + String(timestamp) + "\n"
            }
        }
        return output
    }

    // Python sorts label names by code point; Swift's `<` on String compares canonical equivalents,
    // which can order decomposed characters differently.
    private static func byCodePoints(_ lhs: Label, _ rhs: Label) -> Bool {
        lhs.name.unicodeScalars.lexicographicallyPrecedes(rhs.name.unicodeScalars)
    }

    /// `text` with every Unicode scalar outside `[a-zA-Z0-9_-]` replaced by `_`.
    public static func sanitize(_ text: String) -> String {
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", "_", "-":
                result.append(scalar)
            default:
                result.append("_")
            }
        }
        return String(result)
    }

    /// The value as Python's `str(float)` prints it (the shortest round-trip form).
    public static func formatValue(_ value: Double) -> String {
        value.description
    }

    /// Checks that `prefix` cannot break a line: printable ASCII without spaces.
    ///
    /// - Throws: ``GraphiteError/invalidPrefix(_:reason:)``.
    public static func validatePrefix(_ prefix: String) throws(GraphiteError) {
        for byte in prefix.utf8 where byte <= 0x20 || byte >= 0x7F {
            throw .invalidPrefix(
                prefix, reason: "a prefix may hold only printable ASCII without spaces (it is sent unchanged)")
        }
    }
}

/// How metric and label names that are not legacy-valid (`[a-zA-Z_:][a-zA-Z0-9_:]*`) are written, as
/// negotiated through the `escaping=` parameter of the `Accept` header. The Python client's schemes,
/// with the same output.
public enum NameEscapingScheme: String, Sendable, Hashable, CaseIterable {
    /// Names are written as they are, quoted when not legacy-valid (`{"my.metric",a="b"}`).
    case allowUTF8 = "allow-utf-8"
    /// Every invalid character becomes `_` (the default).
    case underscores
    /// `_` becomes `__`, `.` becomes `_dot_`, other invalid characters `__` (reversible for dots).
    case dots
    /// `U__` prefix, `_` becomes `__`, other invalid characters `_<hex code point>_` (reversible).
    case values

    /// The scheme an `escaping=` parameter names: a raw value, or `allow-utf8`, the spelling
    /// Prometheus' docs used before `allow-utf-8` and which is still sent; nil for an unknown one.
    public init?(parameter: String) {
        self.init(rawValue: parameter == "allow-utf8" ? NameEscapingScheme.allowUTF8.rawValue : parameter)
    }

    /// Writes a metric name under this scheme.
    public func escapeMetricName(_ name: String) -> String {
        escape(name, isLegacyValid: MetricNaming.isLegacyMetricName(name), allowsColon: true)
    }

    /// Writes a label name under this scheme.
    public func escapeLabelName(_ name: String) -> String {
        escape(name, isLegacyValid: MetricNaming.isLegacyLabelName(name), allowsColon: false)
    }

    private func escape(_ name: String, isLegacyValid: Bool, allowsColon: Bool) -> String {
        guard !name.isEmpty else { return name }
        switch self {
        case .allowUTF8:
            return isLegacyValid ? name : "\"" + Self.escapeQuoted(name) + "\""
        case .underscores:
            if isLegacyValid { return name }
            var result = ""
            for (index, scalar) in name.unicodeScalars.enumerated() {
                result.unicodeScalars.append(
                    Self.isLegacyRune(scalar, index: index, allowsColon: allowsColon) ? scalar : "_")
            }
            return result
        case .dots:
            var result = ""
            for (index, scalar) in name.unicodeScalars.enumerated() {
                if scalar == "_" {
                    result += "__"
                } else if scalar == "." {
                    result += "_dot_"
                } else if Self.isLegacyRune(scalar, index: index, allowsColon: allowsColon) {
                    result.unicodeScalars.append(scalar)
                } else {
                    result += "__"
                }
            }
            return result
        case .values:
            if isLegacyValid { return name }
            var result = "U__"
            for (index, scalar) in name.unicodeScalars.enumerated() {
                if scalar == "_" {
                    result += "__"
                } else if Self.isLegacyRune(scalar, index: index, allowsColon: allowsColon) {
                    result.unicodeScalars.append(scalar)
                } else {
                    result += "_" + String(scalar.value, radix: 16) + "_"
                }
            }
            return result
        }
    }

    /// Escapes backslash, newline and double quote, as label values and quoted names need.
    static func escapeQuoted(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 0x5C || $0 == 0x0A || $0 == 0x22 }) else { return text }
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\"": result += "\\\""
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    private static func isLegacyRune(_ scalar: Unicode.Scalar, index: Int, allowsColon: Bool) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "_": return true
        case "0"..."9": return index > 0
        case ":": return allowsColon
        default: return false
        }
    }
}

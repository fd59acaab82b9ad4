/// Chooses the exposition format from request headers, as the Python client's `choose_encoder` and
/// `gzip_accepted` do, with their bugs fixed: q-values are honoured (`q=0` means "not acceptable",
/// higher q wins, ties keep header order), quoted and pre-release versions (`"1.0.0"`, `1.0.0-rc1`)
/// are understood instead of raising, and `gzip;q=0` does not count as accepting gzip.
public enum ContentNegotiation {
    private struct MediaRange {
        var type: String
        var parameters: [String: String]
        var quality: Double
        var position: Int
    }

    /// The format for an `Accept` header (all `Accept` headers joined with commas):
    /// - `application/openmetrics-text` without a version: OpenMetrics 1.0.0, underscores escaping;
    /// - with a version ≥ 1.0.0: OpenMetrics 1.0.0 (2.0.0 from version 2), the `escaping=` parameter
    ///   honoured and echoed in the content type;
    /// - `text/plain` with a version ≥ 1.0.0: the text format as 1.0.0, escaping honoured and echoed;
    /// - `application/vnd.google.protobuf` with `proto=io.prometheus.client.MetricFamily` and
    ///   `encoding=delimited` (what Prometheus asks for first when native histograms are enabled):
    ///   the protobuf format, escaping honoured and echoed;
    /// - `text/plain` with an older or no version, `text/*`, `*/*`, or nothing acceptable: the text
    ///   format 0.0.4 with underscores escaping.
    ///
    /// Ranges are tried in order of their q-value; OpenMetrics ranges with a version below 1.0.0 and
    /// unknown types are skipped. A range without `escaping=` gets underscores, as Prometheus 3 and
    /// Go's reference negotiator decide; `allow-utf8` is read as `allow-utf-8`.
    public static func negotiate(accept: String) -> NegotiatedFormat {
        for range in mediaRanges(accept) where range.quality > 0 {
            let version = range.parameters["version"].flatMap(parseVersion)
            // As Go's negotiator: a range's own escaping, else underscores (Prometheus 3's default).
            let escaping = range.parameters["escaping"].flatMap(NameEscapingScheme.init(parameter:)) ?? .underscores
            switch range.type {
            case "application/vnd.google.protobuf":
                // Only the delimited MetricFamily stream is this format (as client_golang decides).
                guard range.parameters["proto"] == "io.prometheus.client.MetricFamily",
                    range.parameters["encoding"] == "delimited"
                else { continue }
                // Names in protobuf are escaped like text, and Go's negotiator always says how.
                return NegotiatedFormat(
                    format: .prometheusProtobuf,
                    contentType: ExpositionFormat.prometheusProtobuf.contentType + "; escaping=" + escaping.rawValue,
                    escaping: escaping)
            case "application/openmetrics-text":
                guard let version else {
                    if range.parameters["version"] == nil {
                        return NegotiatedFormat(
                            format: .openMetrics100, contentType: ExpositionFormat.openMetrics100.contentType,
                            escaping: .underscores)
                    }
                    continue
                }
                guard version >= [1, 0, 0] else { continue }
                let format: ExpositionFormat = version >= [2, 0, 0] ? .openMetrics200 : .openMetrics100
                return NegotiatedFormat(
                    format: format, contentType: format.contentType + "; escaping=" + escaping.rawValue,
                    escaping: escaping)
            case "text/plain", "text/*", "*/*":
                guard let version, version >= [1, 0, 0] else { return defaultFormat }
                return NegotiatedFormat(
                    format: .prometheusText100,
                    contentType: ExpositionFormat.prometheusText100.contentType + "; escaping=" + escaping.rawValue,
                    escaping: escaping)
            default:
                continue
            }
        }
        return defaultFormat
    }

    private static let defaultFormat = NegotiatedFormat(
        format: .prometheusText004, contentType: ExpositionFormat.prometheusText004.contentType,
        escaping: .underscores)

    /// Whether an `Accept-Encoding` header accepts gzip (`gzip` or `*` with a q-value above 0, or
    /// `x-gzip`).
    public static func acceptsGzip(_ acceptEncoding: String) -> Bool {
        var wildcard = false
        for range in mediaRanges(acceptEncoding) {
            switch range.type {
            case "gzip", "x-gzip": return range.quality > 0
            case "*": wildcard = range.quality > 0
            default: continue
            }
        }
        return wildcard
    }

    /// Splits a header into media ranges (or codings) with lower-cased types and parameter names,
    /// unquoted parameter values, sorted by quality (stable).
    private static func mediaRanges(_ header: String) -> [MediaRange] {
        var ranges: [MediaRange] = []
        for (position, element) in header.split(separator: ",").enumerated() {
            let parts = element.split(separator: ";", omittingEmptySubsequences: false)
            let type = parts[0].trimmingWhitespace().lowercased()
            guard !type.isEmpty else { continue }
            var parameters: [String: String] = [:]
            for parameter in parts.dropFirst() {
                guard let equals = parameter.firstIndex(of: "=") else { continue }
                let name = parameter[..<equals].trimmingWhitespace().lowercased()
                var value = parameter[parameter.index(after: equals)...].trimmingWhitespace()
                if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
                    value = String(value.dropFirst().dropLast())
                }
                parameters[name] = value
            }
            let quality = parameters["q"].flatMap(Double.init).map { min(max($0, 0), 1) } ?? 1
            ranges.append(MediaRange(type: type, parameters: parameters, quality: quality, position: position))
        }
        return ranges.sorted { ($0.quality, -$0.position) > ($1.quality, -$1.position) }
    }

    /// `1.0.0` → [1, 0, 0]; pre-release and build suffixes are ignored (`1.0.0-rc1` → [1, 0, 0]);
    /// nil when the version does not start with a number.
    private static func parseVersion(_ text: String) -> [Int]? {
        let core = text.prefix { $0.isNumber || $0 == "." }
        let numbers = core.split(separator: ".").compactMap { Int($0) }
        guard !numbers.isEmpty else { return nil }
        return numbers + Array(repeating: 0, count: max(0, 3 - numbers.count))
    }
}

extension Array where Element == Int {
    fileprivate static func >= (lhs: [Int], rhs: [Int]) -> Bool {
        !lhs.lexicographicallyPrecedes(rhs)
    }
}

extension StringProtocol {
    fileprivate func trimmingWhitespace() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}

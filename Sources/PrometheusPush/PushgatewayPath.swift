import Foundation
import PrometheusClient

/// Builds the path of a Pushgateway group, `/metrics/job/<job>{/<label>/<value>}`, escaping each part
/// the way the Pushgateway decodes it.
///
/// A value that is empty, holds a `/` or a space, or is `.`/`..` (which HTTP stacks may collapse) is
/// sent in the `<name>@base64/<urlsafe base64 with padding>` form (`=` for the empty value); any other
/// value is percent-encoded, keeping only `A-Z a-z 0-9 - _ . ~`. This matches Python's
/// `push_to_gateway` byte for byte except for `.`/`..`, which Python sends raw.
public enum PushgatewayPath {
    /// The path for `job` and `groupingKey`, label pairs sorted by name.
    ///
    /// - Throws: ``PushError/invalidJob(_:reason:)`` for an empty job and
    ///   ``PushError/invalidGroupingKey(name:reason:)`` for a label name the Pushgateway rejects.
    public static func path(job: String, groupingKey: [String: String]) throws(PushError) -> String {
        guard !job.isEmpty else {
            throw .invalidJob(job, reason: "the Pushgateway requires a non-empty job name")
        }
        var path = "/metrics/" + component(name: "job", value: job)
        for name in groupingKey.keys.sorted() {
            try validateLabelName(name)
            path += "/" + component(name: name, value: groupingKey[name] ?? "")
        }
        return path
    }

    /// One `<name>/<value>` pair, escaped.
    public static func component(name: String, value: String) -> String {
        if value.isEmpty {
            return name + "@base64/="
        }
        if value.contains("/") || value.contains(" ") || value == "." || value == ".." {
            let encoded = Data(value.utf8).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_")
            return name + "@base64/" + encoded
        }
        return name + "/" + percentEncode(value)
    }

    /// Checks that the Pushgateway accepts `name` as a grouping label: `[a-zA-Z_][a-zA-Z0-9_]*`, no
    /// `__` prefix, and not `job` (the job has its own place in the path).
    ///
    /// - Throws: ``PushError/invalidGroupingKey(name:reason:)``.
    public static func validateLabelName(_ name: String) throws(PushError) {
        guard MetricNaming.isLegacyLabelName(name) else {
            throw .invalidGroupingKey(
                name: name, reason: "grouping-key label names must match [a-zA-Z_][a-zA-Z0-9_]*")
        }
        guard !name.hasPrefix("__") else {
            throw .invalidGroupingKey(name: name, reason: "names starting with __ are reserved")
        }
        guard name != "job" else {
            throw .invalidGroupingKey(name: name, reason: "pass the job as the job argument, not in the grouping key")
        }
    }

    private static func percentEncode(_ value: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(value.utf8.count)
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"):
                bytes.append(byte)
            default:
                bytes.append(UInt8(ascii: "%"))
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 0xF)])
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

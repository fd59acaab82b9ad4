import PrometheusClient

/// Decodes `application/x-www-form-urlencoded` query strings, the way Python's `parse_qs` does for
/// `name[]` filters: `&` separates pairs, `+` is a space, `%XX` is a byte, the result is UTF-8.
package enum HTTPQuery {
    /// The decoded `(name, value)` pairs of `query` in order. Pairs without `=` get an empty value;
    /// empty pairs are skipped. Malformed percent escapes are kept literally instead of failing.
    package static func items(_ query: String) -> [(name: String, value: String)] {
        query.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            if let equals = pair.firstIndex(of: "=") {
                return (decode(pair[..<equals]), decode(pair[pair.index(after: equals)...]))
            }
            return (decode(pair), "")
        }
    }

    /// The decoded values of every pair named `name` in `query`.
    package static func values(named name: String, in query: String?) -> [String] {
        guard let query else { return [] }
        return items(query).filter { $0.name == name }.map(\.value)
    }

    /// Percent-decodes one component (`+` becomes a space).
    package static func decode(_ component: Substring) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(component.utf8.count)
        var iterator = Array(component.utf8)[...]
        while let byte = iterator.popFirst() {
            if byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), iterator.count >= 2,
                let high = hexValue(iterator[iterator.startIndex]),
                let low = hexValue(iterator[iterator.startIndex + 1])
            {
                bytes.append(high << 4 | low)
                iterator = iterator.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

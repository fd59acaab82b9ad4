/// The key of one entry of a multiprocess `.db` file, `[family, sample, {labels}, help]`: the one type
/// that both writes keys (byte for byte as the Python client does) and reads them back.
///
/// Writing is `json.dumps([family, sample, labels, help], sort_keys=True)`: `", "` and `": "`
/// separators, label names sorted by code point, and `ensure_ascii` escaping (printable ASCII stays
/// as it is except `"` and `\`; `\b \f \n \r \t` use short escapes; everything else becomes
/// `\uXXXX` in lowercase hex, with surrogate pairs beyond the BMP). Reading accepts any valid JSON
/// spelling of the key. Keys are equal when their parts have the same UTF-8 bytes.
package struct DBKey: Sendable, Hashable {
    package var familyName: String
    package var sampleName: String
    /// The labels in the order the key lists them (Python sorts them by name when writing).
    package var labels: [Label]
    package var help: String

    package init(familyName: String, sampleName: String, labels: [Label], help: String) {
        self.familyName = familyName
        self.sampleName = sampleName
        self.labels = labels
        self.help = help
    }

    /// Decodes the JSON of a key.
    ///
    /// - Throws: a reason when the bytes are not a JSON array of a string, a string, an object of
    ///   strings and a string.
    package init(json bytes: UnsafeBufferPointer<UInt8>) throws(DBKeyDecoder.Failure) {
        var decoder = DBKeyDecoder(bytes: bytes)
        self = try decoder.decodeKey()
    }

    /// The key's bytes as the Python client writes them.
    package var encoded: [UInt8] {
        Self.encode(familyName: familyName, sampleName: sampleName, labels: labels, help: help)
    }

    package static func == (lhs: DBKey, rhs: DBKey) -> Bool {
        ByteIdentity.equal(lhs.familyName, rhs.familyName) && ByteIdentity.equal(lhs.sampleName, rhs.sampleName)
            && lhs.labels == rhs.labels && ByteIdentity.equal(lhs.help, rhs.help)
    }

    package func hash(into hasher: inout Hasher) {
        ByteIdentity.hash(familyName, into: &hasher)
        ByteIdentity.hash(sampleName, into: &hasher)
        hasher.combine(labels)
        ByteIdentity.hash(help, into: &hasher)
    }

    /// The key bytes for one stored value.
    package static func encode(familyName: String, sampleName: String, labels: [Label], help: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(familyName.utf8.count * 2 + sampleName.utf8.count + help.utf8.count + 32)
        out.append(UInt8(ascii: "["))
        appendString(familyName, to: &out)
        out.append(contentsOf: [UInt8(ascii: ","), UInt8(ascii: " ")])
        appendString(sampleName, to: &out)
        out.append(contentsOf: [UInt8(ascii: ","), UInt8(ascii: " "), UInt8(ascii: "{")])
        let sorted = labels.sorted { ByteIdentity.precedes($0.name, $1.name) }
        for (index, label) in sorted.enumerated() {
            if index > 0 {
                out.append(contentsOf: [UInt8(ascii: ","), UInt8(ascii: " ")])
            }
            appendString(label.name, to: &out)
            out.append(contentsOf: [UInt8(ascii: ":"), UInt8(ascii: " ")])
            appendString(label.value, to: &out)
        }
        out.append(contentsOf: [UInt8(ascii: "}"), UInt8(ascii: ","), UInt8(ascii: " ")])
        appendString(help, to: &out)
        out.append(UInt8(ascii: "]"))
        return out
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private static func appendString(_ string: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for scalar in string.unicodeScalars {
            switch scalar.value {
            case 0x22: out.append(contentsOf: [0x5C, 0x22])  // \"
            case 0x5C: out.append(contentsOf: [0x5C, 0x5C])  // \\
            case 0x08: out.append(contentsOf: [0x5C, UInt8(ascii: "b")])
            case 0x0C: out.append(contentsOf: [0x5C, UInt8(ascii: "f")])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x20...0x7E: out.append(UInt8(scalar.value))
            case 0x10000...:
                let offset = scalar.value - 0x10000
                appendUnicodeEscape(0xD800 + (offset >> 10), to: &out)
                appendUnicodeEscape(0xDC00 + (offset & 0x3FF), to: &out)
            default: appendUnicodeEscape(scalar.value, to: &out)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func appendUnicodeEscape(_ unit: UInt32, to out: inout [UInt8]) {
        out.append(contentsOf: [0x5C, UInt8(ascii: "u")])
        for shift in stride(from: 12, through: 0, by: -4) {
            out.append(hexDigits[Int((unit >> UInt32(shift)) & 0xF)])
        }
    }
}

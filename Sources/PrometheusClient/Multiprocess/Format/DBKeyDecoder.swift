/// A strict, allocation-light parser for the JSON keys of `.db` files (any valid JSON spelling of the
/// key, not only Python's), over raw bytes so that corrupt input can never crash it. A label name
/// given twice keeps its last value, as Python's `json.loads` does.
package struct DBKeyDecoder {
    package struct Failure: Error {
        package var reason: String
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private var position = 0

    package init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    package mutating func decodeKey() throws(Failure) -> DBKey {
        try expect(UInt8(ascii: "["))
        let family = try parseString()
        try expect(UInt8(ascii: ","))
        let sample = try parseString()
        try expect(UInt8(ascii: ","))
        try expect(UInt8(ascii: "{"))
        var labels: [Label] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            position += 1
        } else {
            while true {
                let name = try parseString()
                try expect(UInt8(ascii: ":"))
                let value = try parseString()
                // A repeated name keeps its first place and its last value, as Python's json.loads.
                if let index = labels.firstIndex(where: { ByteIdentity.equal($0.name, name) }) {
                    labels[index].value = value
                } else {
                    labels.append(Label(name, value))
                }
                skipWhitespace()
                guard let next = peek() else { throw Failure(reason: "unterminated label object") }
                position += 1
                if next == UInt8(ascii: "}") { break }
                guard next == UInt8(ascii: ",") else { throw Failure(reason: "expected , or } in label object") }
            }
        }
        try expect(UInt8(ascii: ","))
        let help = try parseString()
        try expect(UInt8(ascii: "]"))
        skipWhitespace()
        guard position == bytes.count else { throw Failure(reason: "unexpected bytes after the key") }
        return DBKey(familyName: family, sampleName: sample, labels: labels, help: help)
    }

    private func peek() -> UInt8? {
        position < bytes.count ? bytes[position] : nil
    }

    private mutating func skipWhitespace() {
        while let byte = peek(), byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
            position += 1
        }
    }

    private mutating func expect(_ byte: UInt8) throws(Failure) {
        skipWhitespace()
        guard peek() == byte else {
            throw Failure(reason: "expected \"\(Character(Unicode.Scalar(byte)))\" at byte \(position)")
        }
        position += 1
    }

    private mutating func parseString() throws(Failure) -> String {
        try expect(0x22)
        let start = position
        // Fast path: no escapes, so the bytes are the string (validated as UTF-8).
        while let byte = peek(), byte != 0x22, byte != 0x5C, byte >= 0x20 {
            position += 1
        }
        if peek() == 0x22 {
            let slice = UnsafeBufferPointer(rebasing: bytes[start..<position])
            position += 1
            guard let text = String(validatingUTF8Bytes: slice) else {
                throw Failure(reason: "string at byte \(start) is not valid UTF-8")
            }
            return text
        }
        var scalars = String.UnicodeScalarView()
        guard let prefix = String(validatingUTF8Bytes: UnsafeBufferPointer(rebasing: bytes[start..<position]))
        else { throw Failure(reason: "string at byte \(start) is not valid UTF-8") }
        scalars.append(contentsOf: prefix.unicodeScalars)
        var rawStart = position
        while true {
            guard let byte = peek() else { throw Failure(reason: "unterminated string at byte \(start)") }
            if byte == 0x22 || byte == 0x5C {
                guard
                    let raw = String(validatingUTF8Bytes: UnsafeBufferPointer(rebasing: bytes[rawStart..<position]))
                else { throw Failure(reason: "string at byte \(start) is not valid UTF-8") }
                scalars.append(contentsOf: raw.unicodeScalars)
                position += 1
                if byte == 0x22 { return String(scalars) }
                scalars.append(try parseEscape())
                rawStart = position
            } else if byte < 0x20 {
                throw Failure(reason: "control character in string at byte \(position)")
            } else {
                position += 1
            }
        }
    }

    private mutating func parseEscape() throws(Failure) -> Unicode.Scalar {
        guard let byte = peek() else { throw Failure(reason: "unterminated escape") }
        position += 1
        switch byte {
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "/"): return "/"
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "u"):
            let unit = try parseHex4()
            if (0xD800...0xDBFF).contains(unit) {
                guard peek() == UInt8(ascii: "\\"), position + 1 < bytes.count, bytes[position + 1] == UInt8(ascii: "u")
                else { throw Failure(reason: "unpaired high surrogate at byte \(position)") }
                position += 2
                let low = try parseHex4()
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw Failure(reason: "invalid low surrogate at byte \(position)")
                }
                let value = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                return Unicode.Scalar(value)!
            }
            guard let scalar = Unicode.Scalar(unit) else {
                throw Failure(reason: "unpaired low surrogate at byte \(position)")
            }
            return scalar
        default:
            throw Failure(reason: "invalid escape at byte \(position - 1)")
        }
    }

    private mutating func parseHex4() throws(Failure) -> UInt32 {
        guard position + 4 <= bytes.count else { throw Failure(reason: "truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            position += 1
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw Failure(reason: "invalid hex digit in \\u escape")
            }
            value = value << 4 | digit
        }
        return value
    }
}

/// Formats floating-point values the way Prometheus clients print them: `+Inf`, `-Inf`, `NaN`, the
/// shortest round-trip digits otherwise, switching to exponent form for large positive values.
///
/// The output equals the Python client's `floatToGoString` (so `le` and `quantile` labels, and the
/// keys in multiprocess files, match Python's byte for byte) except for one Python bug: Python writes
/// `1e+010` for 1e10, we write `1e+10` as Go does. ``pythonString(_:)`` keeps the bug for the one
/// place that needs it: the keys of multiprocess files that a Python process must find again.
public enum GoFloatFormat {
    /// Formats `value` for exposition and labels: `1.0`, `0.25`, `1e+06`, `1e+10`, `+Inf`, `NaN`.
    public static func string(_ value: Double) -> String {
        format(value, pythonExponentBug: false)
    }

    /// Formats `value` exactly as the Python client 0.25.0's `floatToGoString` does, including its
    /// three-digit exponent for positive values from 1e10 to 1e16 (`1e+010`).
    public static func pythonString(_ value: Double) -> String {
        format(value, pythonExponentBug: true)
    }

    /// Formats `value` as Python's `repr(float)`: the shortest digits that read back as the same
    /// value, fixed-point from 1e-4 up to 1e16 (with `.0` for integral values), exponent form outside.
    public static func pythonRepr(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        let swiftForm = value.description
        guard let exponentIndex = swiftForm.firstIndex(where: { $0 == "e" || $0 == "E" }) else {
            return swiftForm
        }
        // Swift switches to exponent form at 2^53; Python only at 1e16. Rebuild from the digits.
        let mantissa = swiftForm[..<exponentIndex]
        guard let exponent = Int(swiftForm[swiftForm.index(after: exponentIndex)...]) else { return swiftForm }
        guard exponent >= -4 && exponent < 16 else { return swiftForm }
        let isNegative = mantissa.hasPrefix("-")
        let digits = mantissa.filter { $0.isNumber }
        let pointPosition = exponent + 1
        var result = isNegative ? "-" : ""
        if pointPosition <= 0 {
            result += "0." + String(repeating: "0", count: -pointPosition) + digits
        } else if pointPosition >= digits.count {
            result += digits + String(repeating: "0", count: pointPosition - digits.count) + ".0"
        } else {
            let split = digits.index(digits.startIndex, offsetBy: pointPosition)
            result += digits[..<split] + "." + digits[split...]
        }
        return result
    }

    /// Appends ``string(_:)`` of `value` to `bytes` without building intermediate strings for the
    /// common cases (integral values, and values whose shortest form needs no exponent change).
    static func append(_ value: Double, to bytes: inout [UInt8]) {
        if value.isNaN {
            bytes.append(contentsOf: [0x4E, 0x61, 0x4E])  // NaN
            return
        }
        if value.isInfinite {
            bytes.append(contentsOf: value < 0 ? [0x2D, 0x49, 0x6E, 0x66] : [0x2B, 0x49, 0x6E, 0x66])
            return
        }
        // Integral values below 1e6 (and negative ones above -1e15) print as their digits and ".0".
        if value > -1e15, value < 1e6, value == value.rounded(.towardZero) {
            if value == 0 {
                if value.sign == .minus { bytes.append(0x2D) }
                bytes.append(contentsOf: [0x30, 0x2E, 0x30])
                return
            }
            var integer = Int64(value)
            if integer < 0 {
                bytes.append(0x2D)
                integer = -integer
            }
            var digits: (UInt64, UInt64) = (0, 0)
            var count = 0
            withUnsafeMutableBytes(of: &digits) { buffer in
                var rest = integer
                while rest > 0 {
                    buffer[15 - count] = UInt8(truncatingIfNeeded: 0x30 + rest % 10)
                    rest /= 10
                    count += 1
                }
                bytes.append(contentsOf: buffer[(16 - count)...])
            }
            bytes.append(contentsOf: [0x2E, 0x30])
            return
        }
        var description = value.description
        let needsPythonRules = description.withUTF8 { utf8 -> Bool in
            var dotPosition = -1
            for position in 0..<utf8.count {
                if utf8[position] == UInt8(ascii: "e") { return true }
                if utf8[position] == UInt8(ascii: ".") { dotPosition = position }
            }
            guard value > 0, dotPosition > 6 else {
                bytes.append(contentsOf: utf8)
                return false
            }
            // Seven or more integer digits: Go's exponent form, d.ddde+XX, written in place.
            let mantissaStart = bytes.count
            bytes.append(utf8[0])
            bytes.append(UInt8(ascii: "."))
            for position in 1..<utf8.count where utf8[position] != UInt8(ascii: ".") {
                bytes.append(utf8[position])
            }
            while bytes.count > mantissaStart + 1,
                let last = bytes.last, last == UInt8(ascii: "0") || last == UInt8(ascii: ".")
            {
                bytes.removeLast()
            }
            bytes.append(contentsOf: [UInt8(ascii: "e"), UInt8(ascii: "+")])
            let exponent = dotPosition - 1
            if exponent < 10 { bytes.append(UInt8(ascii: "0")) }
            bytes.append(contentsOf: String(exponent).utf8)
            return false
        }
        if needsPythonRules {
            bytes.append(contentsOf: string(value).utf8)  // rare: exponent forms need Python's rules
        }
    }

    private static func format(_ value: Double, pythonExponentBug: Bool) -> String {
        if value.isNaN { return "NaN" }
        if value == .infinity { return "+Inf" }
        if value == -.infinity { return "-Inf" }
        let repr = pythonRepr(value)
        guard value > 0, let dot = repr.firstIndex(of: "."), repr.distance(from: repr.startIndex, to: dot) > 6 else {
            return repr
        }
        // Go switches to exponent form for seven or more integer digits; Python prints them in full.
        let integerDigits = repr[..<dot]
        let fraction = repr[repr.index(after: dot)...]
        var mantissa = String(integerDigits.prefix(1)) + "." + integerDigits.dropFirst() + fraction
        while let last = mantissa.last, last == "0" || last == "." {
            mantissa.removeLast()
        }
        let exponent = integerDigits.count - 1
        let exponentText = pythonExponentBug || exponent < 10 ? "0\(exponent)" : "\(exponent)"
        return "\(mantissa)e+\(exponentText)"
    }
}

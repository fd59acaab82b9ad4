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

    /// The most bytes ``write(_:to:)`` writes for one value.
    static let maximumWrittenBytes = 32

    /// Appends ``string(_:)`` of `value` to `bytes`.
    static func append(_ value: Double, to bytes: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maximumWrittenBytes) { scratch in
            let written = write(value, to: scratch.baseAddress!)
            bytes.append(contentsOf: UnsafeBufferPointer(start: scratch.baseAddress, count: written))
        }
    }

    /// Writes ``string(_:)`` of `value` at `destination`, which must have room for
    /// ``maximumWrittenBytes``, and returns the number of bytes written. Integral values are written
    /// from their integer digits; others from the shortest round-trip digits, produced on the stack
    /// (no allocation except for the rare exponent forms below 1e-4 and from 2^53 up, which need
    /// Python's rules).
    static func write(_ value: Double, to destination: UnsafeMutablePointer<UInt8>) -> Int {
        if value.isNaN {
            return copy([0x4E, 0x61, 0x4E], to: destination)  // NaN
        }
        if value.isInfinite {
            return copy(value < 0 ? [0x2D, 0x49, 0x6E, 0x66] : [0x2B, 0x49, 0x6E, 0x66], to: destination)
        }
        if value == 0 {
            return value.sign == .minus
                ? copy([0x2D, 0x30, 0x2E, 0x30], to: destination) : copy([0x30, 0x2E, 0x30], to: destination)
        }
        // Integral values below 2^53 in magnitude: their digits are their shortest round-trip form.
        if value > -9_007_199_254_740_992, value < 9_007_199_254_740_992 {
            let integer = Int64(value)
            if Double(integer) == value { return writeIntegral(integer, to: destination) }
        }
        var digits = ShortestDigits()
        value.write(to: &digits)
        return digits.withBytes { utf8 in
            var dotPosition = -1
            for position in 0..<utf8.count {
                if utf8[position] == UInt8(ascii: "e") {
                    return copy(Array(string(value).utf8), to: destination)  // rare: Python's rules
                }
                if utf8[position] == UInt8(ascii: ".") { dotPosition = position }
            }
            guard value > 0, dotPosition > 6 else {
                destination.update(from: utf8.baseAddress!, count: utf8.count)
                return utf8.count
            }
            // Seven or more integer digits: Go's exponent form, d.ddde+XX.
            var written = 0
            destination[0] = utf8[0]
            destination[1] = UInt8(ascii: ".")
            written = 2
            for position in 1..<utf8.count where utf8[position] != UInt8(ascii: ".") {
                destination[written] = utf8[position]
                written += 1
            }
            while written > 1,
                destination[written - 1] == UInt8(ascii: "0") || destination[written - 1] == UInt8(ascii: ".")
            {
                written -= 1
            }
            return written + writeExponent(dotPosition - 1, to: destination + written)
        }
    }

    /// Writes a nonzero integral value of magnitude below 2^53: `123.0` below 1e6 (and for every
    /// negative value, as Python prints them in full), Go's `1.234567e+06` from 1e6 up.
    private static func writeIntegral(_ integer: Int64, to destination: UnsafeMutablePointer<UInt8>) -> Int {
        var magnitude = integer.magnitude
        var reversed: (UInt64, UInt64) = (0, 0)
        var digitCount = 0
        withUnsafeMutableBytes(of: &reversed) { buffer in
            // Two digits per division.
            while magnitude >= 10 {
                let pair = Int(magnitude % 100)
                magnitude /= 100
                buffer[digitCount] = UInt8(truncatingIfNeeded: 0x30 &+ pair % 10)
                buffer[digitCount + 1] = UInt8(truncatingIfNeeded: 0x30 &+ pair / 10)
                digitCount += 2
            }
            if magnitude > 0 {
                buffer[digitCount] = UInt8(truncatingIfNeeded: 0x30 &+ magnitude)
                digitCount += 1
            }
        }
        return withUnsafeBytes(of: &reversed) { digits in
            var written = 0
            if integer < 0 {
                destination[0] = UInt8(ascii: "-")
                written = 1
            }
            if integer < 0 || digitCount <= 6 {
                for index in stride(from: digitCount - 1, through: 0, by: -1) {
                    destination[written] = digits[index]
                    written += 1
                }
                destination[written] = UInt8(ascii: ".")
                destination[written + 1] = UInt8(ascii: "0")
                return written + 2
            }
            var lastSignificant = 0
            while digits[lastSignificant] == UInt8(ascii: "0") { lastSignificant += 1 }
            destination[0] = digits[digitCount - 1]
            written = 1
            if lastSignificant < digitCount - 1 {
                destination[1] = UInt8(ascii: ".")
                written = 2
                for index in stride(from: digitCount - 2, through: lastSignificant, by: -1) {
                    destination[written] = digits[index]
                    written += 1
                }
            }
            return written + writeExponent(digitCount - 1, to: destination + written)
        }
    }

    /// Writes `e+XX` for a positive exponent below 100, at least two digits as Go writes them.
    private static func writeExponent(_ exponent: Int, to destination: UnsafeMutablePointer<UInt8>) -> Int {
        destination[0] = UInt8(ascii: "e")
        destination[1] = UInt8(ascii: "+")
        destination[2] = UInt8(truncatingIfNeeded: 0x30 + exponent / 10)
        destination[3] = UInt8(truncatingIfNeeded: 0x30 + exponent % 10)
        return 4
    }

    private static func copy(_ bytes: [UInt8], to destination: UnsafeMutablePointer<UInt8>) -> Int {
        destination.update(from: bytes, count: bytes.count)
        return bytes.count
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

/// The shortest round-trip digits of a `Double`, as the standard library writes them to a text
/// stream, kept on the stack: `description` would allocate a string for every value longer than
/// 15 bytes (a `_created` timestamp, for one).
private struct ShortestDigits: TextOutputStream {
    private var storage: (UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0)
    private var count = 0

    mutating func write(_ string: String) {
        for byte in string.utf8 where count < 40 {
            withUnsafeMutableBytes(of: &storage) { $0[count] = byte }
            count += 1
        }
    }

    /// The standard library's numeric types write their ASCII digits through this customisation
    /// point of `TextOutputStream`; taking them here avoids building a `String`. Without it the
    /// digits still arrive, through ``write(_:)``.
    mutating func _writeASCII(_ buffer: UnsafeBufferPointer<UInt8>) {
        let length = Swift.min(buffer.count, 40 - count)
        withUnsafeMutableBytes(of: &storage) { raw in
            raw.baseAddress!.advanced(by: count).copyMemory(from: buffer.baseAddress!, byteCount: length)
        }
        count += length
    }

    func withBytes<Result>(_ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        withUnsafeBytes(of: storage) { raw in
            body(UnsafeBufferPointer(start: raw.baseAddress!.assumingMemoryBound(to: UInt8.self), count: count))
        }
    }
}

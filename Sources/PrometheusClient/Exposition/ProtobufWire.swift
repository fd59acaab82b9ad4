/// The protocol-buffers wire format, both ways, as far as the Prometheus exposition needs it:
/// varints (plain and zig-zag), 64-bit doubles, and length-delimited fields (strings, nested
/// messages, packed repeated numbers). Pure: works on byte arrays.
enum ProtobufWire {
    /// How a field's value is encoded on the wire.
    enum WireType: UInt8 {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
        case fixed32 = 5
    }

    /// Builds one message's bytes.
    struct Writer {
        private(set) var bytes: [UInt8] = []

        mutating func appendVarint(_ value: UInt64) {
            var rest = value
            while rest >= 0x80 {
                bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
                rest >>= 7
            }
            bytes.append(UInt8(rest))
        }

        private mutating func appendTag(_ field: Int, _ wireType: WireType) {
            appendVarint(UInt64(field) << 3 | UInt64(wireType.rawValue))
        }

        /// An unsigned varint field (`uint32`, `uint64`, enums), written even when 0.
        mutating func unsigned(_ field: Int, _ value: UInt64) {
            appendTag(field, .varint)
            appendVarint(value)
        }

        /// A signed varint field (`int64`: two's complement, ten bytes when negative).
        mutating func signed(_ field: Int, _ value: Int64) {
            unsigned(field, UInt64(bitPattern: value))
        }

        /// A zig-zag field (`sint32`, `sint64`).
        mutating func zigZag(_ field: Int, _ value: Int64) {
            unsigned(field, ProtobufWire.zigZag(value))
        }

        /// A `double` field.
        mutating func double(_ field: Int, _ value: Double) {
            appendTag(field, .fixed64)
            withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
        }

        /// A `string` field.
        mutating func string(_ field: Int, _ value: String) {
            message(field, Array(value.utf8))
        }

        /// A nested message (or any length-delimited payload).
        mutating func message(_ field: Int, _ payload: [UInt8]) {
            appendTag(field, .lengthDelimited)
            appendVarint(UInt64(payload.count))
            bytes.append(contentsOf: payload)
        }

        /// A packed repeated zig-zag field (`repeated sint64`).
        mutating func packedZigZag(_ field: Int, _ values: [Int64]) {
            guard !values.isEmpty else { return }
            var packed = Writer()
            for value in values { packed.appendVarint(ProtobufWire.zigZag(value)) }
            message(field, packed.bytes)
        }

        /// A packed repeated `double` field.
        mutating func packedDoubles(_ field: Int, _ values: [Double]) {
            guard !values.isEmpty else { return }
            var packed: [UInt8] = []
            packed.reserveCapacity(values.count * 8)
            for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { packed.append(contentsOf: $0) } }
            message(field, packed)
        }
    }

    static func zigZag(_ value: Int64) -> UInt64 {
        UInt64(bitPattern: (value << 1) ^ (value >> 63))
    }

    static func unZigZag(_ value: UInt64) -> Int64 {
        Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1)
    }

    /// One field read from a message.
    struct Field {
        var number: Int
        var wireType: WireType
        /// The varint or the bits of a fixed-size value.
        var scalar: UInt64
        /// The payload of a length-delimited field, as offsets into the message's bytes.
        var payload: Range<Int>
    }

    /// Reads the fields of one message, in order, checking every length against the bytes.
    struct Reader {
        let bytes: UnsafeRawBufferPointer
        private(set) var offset: Int
        let end: Int

        init(_ bytes: UnsafeRawBufferPointer, range: Range<Int>) {
            self.bytes = bytes
            offset = range.lowerBound
            end = range.upperBound
        }

        var isAtEnd: Bool { offset >= end }

        mutating func varint() throws(ProtobufParseError) -> UInt64 {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            let start = offset
            while true {
                guard offset < end else { throw .truncated(offset: start) }
                let byte = bytes[offset]
                offset += 1
                guard shift < 64 else { throw .invalid(offset: start, reason: "a varint longer than ten bytes") }
                result |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return result }
                shift += 7
            }
        }

        /// The next field; unknown fields are read like known ones, and skipped by the caller.
        mutating func field() throws(ProtobufParseError) -> Field {
            let start = offset
            let tag = try varint()
            guard let wireType = WireType(rawValue: UInt8(tag & 7)) else {
                throw .invalid(offset: start, reason: "wire type \(tag & 7) (groups are not used by this format)")
            }
            let number = Int(truncatingIfNeeded: tag >> 3)
            guard number > 0 else { throw .invalid(offset: start, reason: "field number 0") }
            switch wireType {
            case .varint:
                return Field(number: number, wireType: wireType, scalar: try varint(), payload: offset..<offset)
            case .fixed64, .fixed32:
                let size = wireType == .fixed64 ? 8 : 4
                guard end - offset >= size else { throw .truncated(offset: start) }
                var bits: UInt64 = 0
                for index in 0..<size { bits |= UInt64(bytes[offset + index]) << (8 * UInt64(index)) }
                offset += size
                return Field(number: number, wireType: wireType, scalar: bits, payload: offset..<offset)
            case .lengthDelimited:
                let length = try varint()
                guard length <= UInt64(end - offset) else { throw .truncated(offset: start) }
                let payload = offset..<(offset + Int(length))
                offset = payload.upperBound
                return Field(number: number, wireType: wireType, scalar: 0, payload: payload)
            }
        }
    }
}

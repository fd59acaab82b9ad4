import CPrometheusSupport

/// Identity of names and label values by their UTF-8 bytes.
///
/// Swift's `String` equality is Unicode canonical equivalence: `"e\u{301}" == "\u{e9}"`. Prometheus,
/// the Python client and the multiprocess files identify series by bytes, so two label values that
/// only look alike must stay two series. Every place that keys or compares names and label values
/// goes through these functions or ``ByteString``.
package enum ByteIdentity {
    /// Whether two strings have the same UTF-8 bytes. Inlinable, as the other comparisons here: the
    /// master's merge, in another module, compares with them per entry.
    @inlinable @inline(__always)
    package static func equal(_ lhs: String, _ rhs: String) -> Bool {
        let left = lhs.utf8
        let right = rhs.utf8
        guard left.count == right.count else { return false }
        let contiguous = left.withContiguousStorageIfAvailable { leftBytes in
            right.withContiguousStorageIfAvailable { rightBytes in
                equal(UnsafeRawBufferPointer(leftBytes), UnsafeRawBufferPointer(rightBytes))
            }
        }
        if let contiguous, let result = contiguous { return result }
        return left.elementsEqual(right)
    }

    /// Whether two byte buffers hold the same bytes (one `memcmp`).
    @inlinable @inline(__always)
    package static func equal(_ lhs: UnsafeRawBufferPointer, _ rhs: UnsafeRawBufferPointer) -> Bool {
        lhs.count == rhs.count && prometheus_bytes_equal(lhs.baseAddress, rhs.baseAddress, lhs.count) != 0
    }

    /// Whether `string` has the bytes of `prefix` followed by those of `suffix`, compared in place
    /// (concatenating allocates for names longer than 15 bytes).
    @inlinable
    package static func equal(_ string: String, concatenating prefix: String, _ suffix: String) -> Bool {
        let (whole, head, tail) = (string.utf8, prefix.utf8, suffix.utf8)
        return whole.count == head.count + tail.count && whole.starts(with: head)
            && whole.dropFirst(head.count).elementsEqual(tail)
    }

    /// Whether two string arrays have the same length and the same bytes element by element.
    @inline(__always)
    package static func equal(_ lhs: [String], _ rhs: [String]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for index in lhs.indices where !equal(lhs[index], rhs[index]) {
            return false
        }
        return true
    }

    /// Feeds a string's UTF-8 bytes (and their count, so that concatenations differ) to `hasher`.
    @inline(__always)
    package static func hash(_ string: String, into hasher: inout Hasher) {
        let utf8 = string.utf8
        hasher.combine(utf8.count)
        let done: Void? = utf8.withContiguousStorageIfAvailable { bytes in
            hasher.combine(bytes: UnsafeRawBufferPointer(bytes))
        }
        if done == nil {
            for byte in utf8 { hasher.combine(byte) }
        }
    }

    /// Orders byte buffers as `memcmp` does, a shorter prefix first.
    @inline(__always)
    package static func precedes(_ lhs: UnsafeRawBufferPointer, _ rhs: UnsafeRawBufferPointer) -> Bool {
        let order = prometheus_bytes_compare(lhs.baseAddress, rhs.baseAddress, Swift.min(lhs.count, rhs.count))
        return order != 0 ? order < 0 : lhs.count < rhs.count
    }

    /// Orders strings by their UTF-8 bytes, which is Unicode code point order (Python's `str`
    /// ordering); Swift's `<` would compare normalised forms instead.
    package static func precedes(_ lhs: String, _ rhs: String) -> Bool {
        let left = lhs.utf8
        let right = rhs.utf8
        let contiguous = left.withContiguousStorageIfAvailable { leftBytes in
            right.withContiguousStorageIfAvailable { rightBytes in
                precedes(UnsafeRawBufferPointer(leftBytes), UnsafeRawBufferPointer(rightBytes))
            }
        }
        if let contiguous, let result = contiguous { return result }
        return left.lexicographicallyPrecedes(right)
    }
}

/// A string that is equal to another only when their UTF-8 bytes are: the key type for sets and
/// dictionaries of names and label values.
package struct ByteString: Hashable, Sendable, CustomStringConvertible {
    /// The string.
    package var string: String

    package init(_ string: String) {
        self.string = string
    }

    package var description: String { string }

    package static func == (lhs: ByteString, rhs: ByteString) -> Bool {
        ByteIdentity.equal(lhs.string, rhs.string)
    }

    package func hash(into hasher: inout Hasher) {
        ByteIdentity.hash(string, into: &hasher)
    }
}

/// Label values (or any list of strings) compared and hashed by bytes: the key of a metric's children.
package struct ByteStrings: Hashable, Sendable {
    /// The strings, in order.
    package var strings: [String]

    package init(_ strings: [String]) {
        self.strings = strings
    }

    package static func == (lhs: ByteStrings, rhs: ByteStrings) -> Bool {
        ByteIdentity.equal(lhs.strings, rhs.strings)
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(strings.count)
        for string in strings {
            ByteIdentity.hash(string, into: &hasher)
        }
    }
}

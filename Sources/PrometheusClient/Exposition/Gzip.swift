import CPrometheusSupport

/// gzip through the system zlib: compression for scrape responses and pushes, decompression (with a
/// size cap) for tests, parsers and request bodies.
public enum Gzip {
    /// The most bytes ``decompress(_:maximumSize:)`` produces by default: 64 MiB.
    public static let defaultMaximumSize = 64 << 20

    /// A zlib compression level, checked once: `0` (store) to `9` (smallest), or `-1` for zlib's
    /// default (6).
    public struct CompressionLevel: Sendable, Hashable {
        /// The zlib level.
        public let rawValue: Int32

        /// Checks a zlib level.
        ///
        /// - Throws: `GzipError.invalidLevel` for a level outside -1...9.
        public init(_ level: Int32) throws(GzipError) {
            guard (-1...9).contains(level) else { throw .invalidLevel(level) }
            rawValue = level
        }

        private init(unchecked level: Int32) {
            rawValue = level
        }

        /// zlib's default, level 6.
        public static let `default` = CompressionLevel(unchecked: -1)
        /// The fastest level, 1: what scrape responses use.
        public static let fastest = CompressionLevel(unchecked: 1)
        /// The smallest output, level 9.
        public static let smallest = CompressionLevel(unchecked: 9)
    }

    /// Compresses `bytes` into one gzip member. zlib only fails here when memory runs out, which
    /// Swift treats as fatal anyway. Costs one output allocation; level 1 is several times faster
    /// than the default for a few percent more bytes.
    public static func compress(_ bytes: [UInt8], level: CompressionLevel = .default) -> [UInt8] {
        var output: UnsafeMutablePointer<UInt8>?
        var length = 0
        let status = bytes.withUnsafeBufferPointer { input in
            prometheus_gzip_compress(input.baseAddress, input.count, level.rawValue, &output, &length)
        }
        precondition(status == 0 && output != nil, "zlib deflate failed with status \(status) (out of memory)")
        defer { prometheus_gzip_free(output) }
        return Array(UnsafeBufferPointer(start: output, count: length))
    }

    /// Compresses `bytes` into one gzip member at the start of `output`, an array kept from one call
    /// to the next: it grows (zero-filled) only when it has less room than the largest possible member
    /// (``compressedSizeBound(_:)``), and is never cut, so a reused array is not allocated again.
    ///
    /// - Returns: the length of the member; the bytes of `output` after it are left-over room.
    package static func compress(
        _ bytes: UnsafeRawBufferPointer, level: CompressionLevel = .default, into output: inout [UInt8]
    ) -> Int {
        let bound = compressedSizeBound(bytes.count)
        if output.count < bound {
            output.append(contentsOf: repeatElement(0, count: bound - output.count))
        }
        var written = 0
        let status = output.withUnsafeMutableBufferPointer { room in
            prometheus_gzip_compress_into(
                bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count, level.rawValue, room.baseAddress,
                bound, &written)
        }
        precondition(status == 0, "zlib deflate failed with status \(status) (out of memory)")
        return written
    }

    /// The most bytes a gzip member of `count` input bytes can take.
    package static func compressedSizeBound(_ count: Int) -> Int {
        prometheus_gzip_bound(count)
    }

    /// Compresses `bytes` at a numeric zlib level.
    ///
    /// - Throws: `GzipError.invalidLevel` for a level outside -1...9 (nothing is compressed).
    public static func compress(_ bytes: [UInt8], level: Int32) throws(GzipError) -> [UInt8] {
        compress(bytes, level: try CompressionLevel(level))
    }

    /// Decompresses gzip (or zlib) data.
    ///
    /// - Throws: `GzipError.tooLarge` when the result would exceed `maximumSize`, `GzipError.invalidData`
    ///   for data that is not gzip or is truncated.
    public static func decompress(_ bytes: [UInt8], maximumSize: Int = defaultMaximumSize) throws(GzipError)
        -> [UInt8]
    {
        var output: UnsafeMutablePointer<UInt8>?
        var length = 0
        let status = bytes.withUnsafeBufferPointer { input in
            prometheus_gzip_decompress(input.baseAddress, input.count, maximumSize, &output, &length)
        }
        switch status {
        case 0:
            defer { prometheus_gzip_free(output) }
            return Array(UnsafeBufferPointer(start: output, count: length))
        case -100:
            throw .tooLarge(maximumSize: maximumSize)
        default:
            throw .invalidData(zlibStatus: status)
        }
    }
}

/// Why gzip data could not be decompressed.
public enum GzipError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The decompressed data would be larger than allowed.
    case tooLarge(maximumSize: Int)
    /// The data is not valid gzip (or zlib) data, or it is truncated.
    case invalidData(zlibStatus: Int32)
    /// A compression level outside zlib's -1...9.
    case invalidLevel(Int32)

    /// A message a user can act on.
    public var description: String {
        switch self {
        case .tooLarge(let maximumSize):
            return "gzip data decompresses to more than \(maximumSize) bytes; raise the limit if that is expected"
        case .invalidData(let status):
            return "data is not valid or complete gzip (zlib status \(status))"
        case .invalidLevel(let level):
            return "gzip compression level \(level) is outside -1...9 (use -1 for the default, 1 for the fastest)"
        }
    }
}

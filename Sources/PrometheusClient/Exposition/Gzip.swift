import CPrometheusSupport
import Glibc

/// gzip through the system zlib: compression for scrape responses and pushes, decompression (with a
/// size cap) for tests, parsers and request bodies.
public enum Gzip {
    /// The most bytes ``decompress(_:maximumSize:)`` produces by default: 64 MiB.
    public static let defaultMaximumSize = 64 << 20

    /// Compresses `bytes` into one gzip member. zlib only fails here when memory runs out, which
    /// Swift treats as fatal anyway.
    public static func compress(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8] {
        var output: UnsafeMutablePointer<UInt8>?
        var length = 0
        let status = bytes.withUnsafeBufferPointer { input in
            prometheus_gzip_compress(input.baseAddress, input.count, level, &output, &length)
        }
        precondition(status == 0 && output != nil, "zlib deflate failed with status \(status) (out of memory)")
        defer { free(output) }
        return Array(UnsafeBufferPointer(start: output, count: length))
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
            defer { free(output) }
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

    /// A message a user can act on.
    public var description: String {
        switch self {
        case .tooLarge(let maximumSize):
            return "gzip data decompresses to more than \(maximumSize) bytes; raise the limit if that is expected"
        case .invalidData(let status):
            return "data is not valid or complete gzip (zlib status \(status))"
        }
    }
}

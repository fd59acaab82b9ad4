import PrometheusClient

/// Why a request could not be parsed. Each case maps to the status the server answers with before
/// closing the connection (``statusCode``).
package enum HTTPParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The request line is longer than the limit (414).
    case requestLineTooLong(limit: Int)
    /// The header section is larger than the limit in bytes (431).
    case headersTooLarge(limit: Int)
    /// More header fields than the limit (431).
    case tooManyHeaders(limit: Int)
    /// The request line is not `METHOD SP target SP HTTP/x.y` (400).
    case malformedRequestLine(String)
    /// The request line names an HTTP version other than 1.0 and 1.1 (505).
    case unsupportedVersion(String)
    /// A header line is not `name: value`, or contains forbidden bytes (400).
    case malformedHeader(String)
    /// Content-Length is not a decimal number, or several disagree (400).
    case invalidContentLength(String)
    /// The declared body is larger than the limit (413).
    case bodyTooLarge(length: Int, limit: Int)
    /// The request uses Transfer-Encoding, which the server does not accept for requests (400).
    case unsupportedTransferEncoding(String)
    /// An HTTP/1.1 request without exactly one Host header (400).
    case invalidHost(String)

    /// The HTTP status code to answer with.
    package var statusCode: Int {
        switch self {
        case .requestLineTooLong: return 414
        case .headersTooLarge, .tooManyHeaders: return 431
        case .unsupportedVersion: return 505
        case .bodyTooLarge: return 413
        case .malformedRequestLine, .malformedHeader, .invalidContentLength, .unsupportedTransferEncoding,
            .invalidHost:
            return 400
        }
    }

    /// A message for the client and for logs.
    package var description: String {
        switch self {
        case .requestLineTooLong(let limit):
            return "request line longer than \(limit) bytes"
        case .headersTooLarge(let limit):
            return "request header section larger than \(limit) bytes"
        case .tooManyHeaders(let limit):
            return "more than \(limit) request header fields"
        case .malformedRequestLine(let detail):
            return "malformed request line: \(detail)"
        case .unsupportedVersion(let version):
            return "HTTP version \(version) is not supported; use HTTP/1.1 or HTTP/1.0"
        case .malformedHeader(let detail):
            return "malformed header: \(detail)"
        case .invalidContentLength(let value):
            return "invalid Content-Length \(value)"
        case .bodyTooLarge(let length, let limit):
            return "request body of \(length) bytes exceeds the limit of \(limit) bytes"
        case .unsupportedTransferEncoding(let value):
            return "Transfer-Encoding \(value) is not supported for requests; send Content-Length instead"
        case .invalidHost(let detail):
            return "invalid Host: \(detail)"
        }
    }
}

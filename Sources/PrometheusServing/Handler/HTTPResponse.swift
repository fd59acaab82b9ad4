import PrometheusClient
import PrometheusSystem

/// An HTTP response: status, header fields and body.
///
/// The server adds the framing headers itself (`Content-Length`, `Connection`, `Date`), so a handler
/// sets only what describes the content. For a `HEAD` request the server sends the headers of the
/// response the handler produced, with the body's length but without the body.
public struct HTTPResponse: Sendable, Hashable {
    /// The status code, e.g. 200.
    public var status: Int
    /// Header fields describing the content (`Content-Type`, `Content-Encoding`, `Allow`, ...).
    public var headers: [HTTPHeader]
    /// The body bytes.
    public var body: [UInt8]

    /// Creates a response.
    public init(status: Int, headers: [HTTPHeader] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A plain-text response carrying `message` and a newline.
    public static func text(status: Int, _ message: String, headers: [HTTPHeader] = []) -> HTTPResponse {
        HTTPResponse(
            status: status, headers: [HTTPHeader("Content-Type", "text/plain; charset=utf-8")] + headers,
            body: Array((message + "\n").utf8))
    }

    /// The standard reason phrase for `status` (`Not Found` for 404), or `Unknown`.
    public static func reasonPhrase(for status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 204: return "No Content"
        case 301: return "Moved Permanently"
        case 302: return "Found"
        case 304: return "Not Modified"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 406: return "Not Acceptable"
        case 408: return "Request Timeout"
        case 411: return "Length Required"
        case 413: return "Content Too Large"
        case 414: return "URI Too Long"
        case 429: return "Too Many Requests"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        case 505: return "HTTP Version Not Supported"
        default: return "Unknown"
        }
    }

    /// The bytes on the wire: status line, headers (framing headers added, handler copies of them
    /// dropped, CR/LF in values neutralised so a handler cannot split the response), then the body
    /// unless `omitBody`.
    func serialized(version: HTTPVersion, keepAlive: Bool, omitBody: Bool) -> [UInt8] {
        body.withUnsafeBytes { serialized(version: version, keepAlive: keepAlive, body: $0, omitBody: omitBody) }
    }

    /// The bytes on the wire as ``serialized(version:keepAlive:omitBody:)`` makes them, with `body`
    /// instead of ``body``: head and body are written into one array of their exact size.
    func serialized(version: HTTPVersion, keepAlive: Bool, body: UnsafeRawBufferPointer, omitBody: Bool) -> [UInt8] {
        var head = "\(version.rawValue) \(status) \(Self.reasonPhrase(for: status))\r\n"
        for header in headers
        where !header.hasName("Content-Length") && !header.hasName("Connection")
            && !header.hasName("Transfer-Encoding") && !header.hasName("Date")
        {
            head += "\(Self.sanitized(header.name)): \(Self.sanitized(header.value))\r\n"
        }
        head += "Date: \(SystemClock.httpDate())\r\n"
        head += "Content-Length: \(body.count)\r\n"
        head += keepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n"
        let headLength = head.utf8.count
        let length = headLength + (omitBody ? 0 : body.count)
        return [UInt8](unsafeUninitializedCapacity: length) { bytes, initialized in
            _ = bytes.initialize(from: head.utf8)
            if !omitBody, let source = body.baseAddress, body.count > 0 {
                UnsafeMutableRawPointer(bytes.baseAddress! + headLength).copyMemory(from: source, byteCount: body.count)
            }
            initialized = length
        }
    }

    private static func sanitized(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) else { return text }
        return String(text.map { $0 == "\r" || $0 == "\n" || $0 == "\0" || $0 == "\r\n" ? " " : $0 })
    }
}

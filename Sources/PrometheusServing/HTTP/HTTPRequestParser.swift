import PrometheusClient

/// A pure HTTP/1.x request parser: bytes in, a request or a typed error out. It holds no socket and
/// no state, so it can be unit-tested and fuzzed on its own.
///
/// The parser is strict where leniency enables smuggling or resource abuse: it rejects bare CR,
/// obsolete line folding, whitespace before the colon, control bytes (including NUL) anywhere in the
/// head, conflicting Content-Length values, and any Transfer-Encoding. It is lenient only where RFC
/// 9112 allows: leading empty lines are skipped and a bare LF ends a line.
package struct HTTPRequestParser: Sendable {
    /// The result of feeding the bytes received so far.
    package enum Outcome: Sendable, Hashable {
        /// More bytes are needed; nothing seen so far is invalid or over a limit.
        case incomplete
        /// A whole request; its bytes are the first `consumedBytes` of the input (more may follow
        /// when the client pipelines).
        case complete(HTTPRequest, consumedBytes: Int)
    }

    /// The longest request line accepted, in bytes (longer: 414).
    package var maxRequestLineBytes: Int
    /// The largest header section accepted, in bytes, excluding the request line (larger: 431).
    package var maxHeaderBytes: Int
    /// The most header fields accepted (more: 431).
    package var maxHeaderCount: Int
    /// The largest body accepted, in bytes (larger Content-Length: 413). 0 rejects every body.
    package var maxBodyBytes: Int

    /// Creates a parser with the given limits.
    package init(
        maxRequestLineBytes: Int = 8192, maxHeaderBytes: Int = 16384, maxHeaderCount: Int = 100,
        maxBodyBytes: Int = 0
    ) {
        self.maxRequestLineBytes = maxRequestLineBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
    }

    /// Parses the first request in `bytes`.
    ///
    /// Limits are enforced on incomplete input too, so a client cannot make the server buffer more
    /// than the limits by never finishing its request.
    ///
    /// - Throws: ``HTTPParseError`` when the bytes cannot start a valid request within the limits.
    package func parse(_ bytes: [UInt8]) throws(HTTPParseError) -> Outcome {
        try bytes.withUnsafeBufferPointer { buffer throws(HTTPParseError) in try parse(buffer) }
    }

    /// Parses the first request in `buffer`; see ``parse(_:)-([UInt8])``.
    ///
    /// - Throws: ``HTTPParseError`` when the bytes cannot start a valid request within the limits.
    package func parse(_ buffer: UnsafeBufferPointer<UInt8>) throws(HTTPParseError) -> Outcome {
        let count = buffer.count
        var start = 0
        // RFC 9112 section 2.2: ignore at least one empty line before the request line.
        while start < count, buffer[start] == Self.cr || buffer[start] == Self.lf {
            start += 1
            if start > maxRequestLineBytes {
                throw .requestLineTooLong(limit: maxRequestLineBytes)
            }
        }
        guard let lineEnd = try findLineEnd(buffer, from: start, limit: maxRequestLineBytes, isRequestLine: true)
        else {
            return .incomplete
        }
        let requestLine = try parseRequestLine(buffer, from: start, to: lineEnd.contentEnd)

        var headers: [HTTPHeader] = []
        var position = lineEnd.next
        let headerStart = position
        while true {
            let remainingBudget = maxHeaderBytes - (position - headerStart)
            guard
                let line = try findLineEnd(
                    buffer, from: position, limit: max(remainingBudget, 0), isRequestLine: false)
            else {
                return .incomplete
            }
            if line.contentEnd == position {
                position = line.next
                break
            }
            if headers.count == maxHeaderCount {
                throw .tooManyHeaders(limit: maxHeaderCount)
            }
            headers.append(try parseHeader(buffer, from: position, to: line.contentEnd))
            position = line.next
        }

        let bodyLength = try validate(headers: headers, version: requestLine.version)
        guard count - position >= bodyLength else {
            return .incomplete
        }
        let body = Array(buffer[position..<(position + bodyLength)])
        let request = HTTPRequest(
            method: requestLine.method, target: requestLine.target, version: requestLine.version,
            headers: headers, body: body)
        return .complete(request, consumedBytes: position + bodyLength)
    }

    private static let cr = UInt8(ascii: "\r")
    private static let lf = UInt8(ascii: "\n")
    private static let space = UInt8(ascii: " ")
    private static let tab = UInt8(ascii: "\t")

    /// Finds the end of the line starting at `from`, checking every byte on the way; `nil` if the
    /// line is not finished yet. Throws when the line exceeds `limit` before it ends.
    private func findLineEnd(_ buffer: UnsafeBufferPointer<UInt8>, from: Int, limit: Int, isRequestLine: Bool)
        throws(HTTPParseError) -> (contentEnd: Int, next: Int)?
    {
        var index = from
        while index < buffer.count {
            let byte = buffer[index]
            if byte == Self.lf {
                return (index, index + 1)
            }
            if byte == Self.cr {
                guard index + 1 < buffer.count else { break }
                guard buffer[index + 1] == Self.lf else {
                    throw isRequestLine
                        ? .malformedRequestLine("bare CR") : .malformedHeader("bare CR inside a header line")
                }
                if index - from > limit { break }
                return (index, index + 2)
            }
            if isRequestLine {
                // A request line is visible ASCII separated by single spaces.
                if byte < 0x21 && byte != Self.space || byte >= 0x7F {
                    throw .malformedRequestLine("byte 0x\(String(byte, radix: 16)) is not allowed")
                }
            } else if byte < 0x20 && byte != Self.tab || byte == 0x7F {
                throw .malformedHeader("control byte 0x\(String(byte, radix: 16)) is not allowed")
            }
            index += 1
            if index - from > limit { break }
        }
        if index - from > limit {
            throw isRequestLine
                ? .requestLineTooLong(limit: maxRequestLineBytes) : .headersTooLarge(limit: maxHeaderBytes)
        }
        return nil
    }

    private func parseRequestLine(_ buffer: UnsafeBufferPointer<UInt8>, from: Int, to end: Int)
        throws(HTTPParseError) -> (method: String, target: String, version: HTTPVersion)
    {
        let parts = buffer[from..<end].split(separator: Self.space, omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            throw .malformedRequestLine("expected METHOD SP target SP HTTP-version")
        }
        let method = parts[0]
        guard !method.isEmpty, method.count <= 32, method.allSatisfy(Self.isTokenByte) else {
            throw .malformedRequestLine("invalid method")
        }
        let target = parts[1]
        guard let first = target.first,
            first == UInt8(ascii: "/") || target.elementsEqual("*".utf8) || Self.isAbsoluteURL(target)
        else {
            throw .malformedRequestLine("request target must be a path, * or an absolute URL")
        }
        let versionText = String(decoding: parts[2], as: UTF8.self)
        guard let version = HTTPVersion(rawValue: versionText) else {
            let digits = versionText.utf8.dropFirst(5)
            if versionText.hasPrefix("HTTP/"), digits.count == 3,
                digits.first.map(Self.isDigit) == true, digits.last.map(Self.isDigit) == true,
                digits[digits.index(after: digits.startIndex)] == UInt8(ascii: ".")
            {
                throw .unsupportedVersion(versionText)
            }
            throw .malformedRequestLine("invalid HTTP version")
        }
        return (String(decoding: method, as: UTF8.self), String(decoding: target, as: UTF8.self), version)
    }

    private func parseHeader(_ buffer: UnsafeBufferPointer<UInt8>, from: Int, to end: Int)
        throws(HTTPParseError) -> HTTPHeader
    {
        let line = buffer[from..<end]
        if line.first == Self.space || line.first == Self.tab {
            throw .malformedHeader("obsolete line folding is not allowed")
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
            throw .malformedHeader("missing colon")
        }
        let name = line[from..<colon]
        guard !name.isEmpty, name.allSatisfy(Self.isTokenByte) else {
            throw .malformedHeader("invalid field name")
        }
        var valueStart = colon + 1
        var valueEnd = end
        while valueStart < valueEnd, buffer[valueStart] == Self.space || buffer[valueStart] == Self.tab {
            valueStart += 1
        }
        while valueEnd > valueStart, buffer[valueEnd - 1] == Self.space || buffer[valueEnd - 1] == Self.tab {
            valueEnd -= 1
        }
        return HTTPHeader(
            String(decoding: name, as: UTF8.self), String(decoding: buffer[valueStart..<valueEnd], as: UTF8.self))
    }

    /// Checks the headers that affect framing; returns the body length.
    private func validate(headers: [HTTPHeader], version: HTTPVersion) throws(HTTPParseError) -> Int {
        let transferEncodings = headers.values(named: "Transfer-Encoding")
        if !transferEncodings.isEmpty {
            throw .unsupportedTransferEncoding(transferEncodings.joined(separator: ", "))
        }
        let hosts = headers.values(named: "Host")
        if version == .http11 && hosts.count != 1 {
            throw .invalidHost(hosts.isEmpty ? "HTTP/1.1 requires a Host header" : "more than one Host header")
        }
        var length: Int?
        for value in headers.values(named: "Content-Length") {
            for item in value.split(separator: ",", omittingEmptySubsequences: false) {
                let digits = item.trimmingSpaces()
                guard !digits.isEmpty, digits.utf8.count <= 18, digits.utf8.allSatisfy(Self.isDigit),
                    let parsed = Int(digits)
                else {
                    throw .invalidContentLength(value)
                }
                if let length, length != parsed {
                    throw .invalidContentLength("conflicting values")
                }
                length = parsed
            }
        }
        let bodyLength = length ?? 0
        if bodyLength > maxBodyBytes {
            throw .bodyTooLarge(length: bodyLength, limit: maxBodyBytes)
        }
        return bodyLength
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    /// RFC 9110 `tchar`.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    private static func isAbsoluteURL(_ target: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        let text = String(decoding: target.prefix(8), as: UTF8.self).lowercased()
        return text.hasPrefix("http://") || text.hasPrefix("https://")
    }
}

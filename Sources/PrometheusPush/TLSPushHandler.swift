import Foundation
import PrometheusClient
import PrometheusSystem
import PrometheusTLS

/// Sends pushes over HTTPS through the system's OpenSSL, presenting a client certificate: the
/// Python client's `tls_auth_handler`. Foundation on Linux cannot present client certificates,
/// so this handler speaks HTTP/1.1 itself over the package's TLS layer.
///
/// ```swift
/// let handler = try TLSPushHandler(
///     caFile: "/etc/push/ca.pem", certificateFile: "/etc/push/client.pem", privateKeyFile: "/etc/push/client.key")
/// let gateway = try Pushgateway(address: "https://pushgateway:9091", handler: handler)
/// ```
///
/// Each push opens one connection (`Connection: close`), verifies the gateway's certificate
/// against `caFile`/`caDirectory` (neither: the system's store) and its host name or IP address,
/// and is bounded by the request's timeout from connect to the last byte of the answer. Plain
/// `http://` URLs are refused: use ``URLSessionPushHandler`` for those.
public struct TLSPushHandler: PushHandler {
    private let context: TLSContext

    /// A handler verifying gateways against `caFile` or `caDirectory` (neither: the system's trust
    /// store) and presenting `certificateFile` with `privateKeyFile` when given (nil key: the key
    /// is in the certificate file). `verifyGateway: false` skips certificate checks (Python's
    /// `insecure_skip_verify`); only for tests.
    ///
    /// Cost: reads and checks the files once, here.
    ///
    /// - Throws: ``PushError/tlsFileUnusable(role:path:reason:)`` naming an unusable file, or
    ///   ``PushError/transportFailed(url:reason:)`` when OpenSSL cannot be set up.
    public init(
        caFile: String? = nil, caDirectory: String? = nil, certificateFile: String? = nil,
        privateKeyFile: String? = nil, verifyGateway: Bool = true
    ) throws(PushError) {
        do {
            context = try TLSContext.client(
                caFile: caFile, caDirectory: caDirectory, certificateFile: certificateFile,
                privateKeyFile: privateKeyFile, verifyPeer: verifyGateway, minimumVersion: .tls12)
        } catch {
            switch error {
            case .file(let role, let path, let reason):
                throw .tlsFileUnusable(role: role.rawValue, path: path, reason: reason)
            case .failed(let reason):
                throw .transportFailed(url: "", reason: "cannot set up TLS: \(reason)")
            }
        }
    }

    /// Sends `request` and waits for the answer.
    ///
    /// - Throws: ``PushError/transportFailed(url:reason:)`` (not https, connection or TLS failure,
    ///   malformed answer) or ``PushError/timedOut(url:seconds:)``.
    public func send(_ request: PushRequest) throws(PushError) -> PushResponse {
        let url = request.url.absoluteString
        guard request.url.scheme?.lowercased() == "https", let host = request.url.host, !host.isEmpty else {
            throw .transportFailed(url: url, reason: "TLSPushHandler sends to https:// URLs only")
        }
        let deadline = SystemClock.monotonic() + request.timeoutInterval
        let unbracketed = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        let socket: Socket
        do {
            socket = try SocketConnector.connect(host: unbracketed, port: request.url.port ?? 443, deadline: deadline)
        } catch {
            throw failure(error, url: url, seconds: request.timeoutInterval)
        }
        defer { socket.close() }
        guard let session = context.session(on: socket, serverName: unbracketed) else {
            throw .transportFailed(url: url, reason: "cannot create a TLS session (out of memory)")
        }
        let exchange = Exchange(socket: socket, session: session, deadline: deadline)
        do throws(SocketConnector.Failure) {
            try exchange.step { session.handshake() }
            let head = Self.requestHead(request, host: host)
            try exchange.write(Array(head.utf8) + request.body)
            let answer = try exchange.readToEnd()
            session.shutdown()
            guard let response = Self.parse(answer) else {
                throw .connection("the gateway's answer is not a valid HTTP response")
            }
            return response
        } catch {
            throw failure(error, url: url, seconds: request.timeoutInterval)
        }
    }

    private func failure(_ error: SocketConnector.Failure, url: String, seconds: Double) -> PushError {
        switch error {
        case .timedOut, .stopped: .timedOut(url: url, seconds: seconds)
        case .resolution(let reason): .transportFailed(url: url, reason: "cannot resolve the host: \(reason)")
        case .connection(let reason): .transportFailed(url: url, reason: reason)
        case .pollFailed: .transportFailed(url: url, reason: "poll failed")
        }
    }

    private static func requestHead(_ request: PushRequest, host: String) -> String {
        var target = request.url.path.isEmpty ? "/" : request.url.path
        if let query = request.url.query { target += "?" + query }
        let authority = request.url.port.map { "\(host):\($0)" } ?? host
        var head = "\(request.method.rawValue) \(target) HTTP/1.1\r\nHost: \(authority)\r\nConnection: close\r\n"
        head += "Content-Length: \(request.body.count)\r\n"
        for header in request.headers
        where !["host", "connection", "content-length"].contains(header.name.lowercased()) {
            head += "\(header.name): \(header.value)\r\n"
        }
        return head + "\r\n"
    }

    /// Parses a complete answer read until the gateway closed: status line, headers, and a body
    /// framed by Content-Length, chunked encoding, or the close.
    static func parse(_ bytes: [UInt8]) -> PushResponse? {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard let end = bytes.firstRange(of: separator) else { return nil }
        let head = String(decoding: bytes[..<end.lowerBound], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let statusParts = lines.removeFirst().split(separator: " ", maxSplits: 2)
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/1."), let status = Int(statusParts[1]) else {
            return nil
        }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { return nil }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                in: .whitespaces)
        }
        var body = Array(bytes[end.upperBound...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" {
            guard let decoded = decodeChunked(body) else { return nil }
            body = decoded
        } else if let length = headers["content-length"].flatMap({ Int($0) }) {
            guard length <= body.count else { return nil }
            body = Array(body.prefix(length))
        }
        return PushResponse(statusCode: status, body: body, location: headers["location"])
    }

    private static func decodeChunked(_ bytes: [UInt8]) -> [UInt8]? {
        var body: [UInt8] = []
        var index = 0
        let lineEnd: [UInt8] = [13, 10]
        while true {
            guard let sizeEnd = bytes[index...].firstRange(of: lineEnd) else { return nil }
            let sizeText = String(decoding: bytes[index..<sizeEnd.lowerBound], as: UTF8.self)
            guard let size = Int(sizeText.split(separator: ";").first ?? "", radix: 16), size >= 0 else { return nil }
            index = sizeEnd.upperBound
            if size == 0 { return body }
            guard index + size + 2 <= bytes.count else { return nil }
            body += bytes[index..<index + size]
            index += size + 2
        }
    }
}

/// One request and answer over a TLS session on a non-blocking socket, bounded by a deadline.
private struct Exchange {
    let socket: Socket
    let session: TLSSession
    let deadline: Double

    /// Repeats `operation` until it is done, waiting for the readiness it asks for.
    @discardableResult
    func step(_ operation: () -> TLSSession.Progress) throws(SocketConnector.Failure) -> Int {
        while true {
            switch operation() {
            case .done(let count): return count
            case .wantRead: try SocketConnector.waitUntilReady(socket, writable: false, deadline: deadline)
            case .wantWrite: try SocketConnector.waitUntilReady(socket, writable: true, deadline: deadline)
            case .failed: throw .connection("TLS: \(session.lastError())")
            }
        }
    }

    func write(_ bytes: [UInt8]) throws(SocketConnector.Failure) {
        var offset = 0
        while offset < bytes.count {
            offset += try step {
                bytes.withUnsafeBytes { session.write(UnsafeRawBufferPointer(rebasing: $0[offset...])) }
            }
        }
    }

    /// Reads until the gateway closes (the request asked for `Connection: close`), at most 16 MiB.
    func readToEnd() throws(SocketConnector.Failure) -> [UInt8] {
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while answer.count < 16 << 20 {
            let count = try step { buffer.withUnsafeMutableBytes { session.read(into: $0) } }
            if count == 0 { return answer }
            answer += buffer[..<count]
        }
        throw .connection("the gateway's answer is larger than 16 MiB")
    }
}

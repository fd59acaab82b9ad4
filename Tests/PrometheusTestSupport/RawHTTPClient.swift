import Foundation
import Glibc

/// A deliberately low-level TCP client for the server tests: it sends exactly the bytes given (so it
/// can send garbage, trickle bytes or pipeline) and reads with bounded waits.
package final class RawHTTPClient {
    package struct Failure: Error, CustomStringConvertible {
        package var description: String

        package init(description: String) {
            self.description = description
        }
    }

    /// A parsed response: status, headers (lower-cased names) and body.
    package struct Response {
        package var status: Int
        package var headers: [String: String]
        package var body: [UInt8]
        package var text: String { String(decoding: body, as: UTF8.self) }
    }

    package let fd: Int32
    private var pending: [UInt8] = []

    package init(host: String = "127.0.0.1", port: Int) throws {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let info = list else {
            throw Failure(description: "cannot resolve \(host)")
        }
        defer { freeaddrinfo(list) }
        let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(errno)") }
        guard connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
            let code = errno
            close(fd)
            throw Failure(description: "connect to \(host):\(port): errno \(code)")
        }
        self.fd = fd
    }

    deinit { close(fd) }

    /// Sends bytes; returns false when the peer has gone (EPIPE/ECONNRESET), never raising SIGPIPE.
    @discardableResult
    package func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    @discardableResult
    package func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent <= 0 { return false }
            offset += sent
        }
        return true
    }

    /// Reads whatever arrives until the peer closes or `timeout` passes.
    package func readUntilClosed(timeout: Double = 5) -> (bytes: [UInt8], closed: Bool) {
        let deadline = Date().addingTimeInterval(timeout)
        var result = pending
        pending = []
        while true {
            guard let chunk = readChunk(until: deadline) else { return (result, false) }
            if chunk.isEmpty { return (result, true) }
            result += chunk
        }
    }

    /// Whether the peer closed the connection within `timeout` (data before the close is discarded).
    package func isClosedByPeer(within timeout: Double) -> Bool {
        readUntilClosed(timeout: timeout).closed
    }

    /// Reads one complete response (Content-Length framing), or throws after `timeout`.
    package func readResponse(timeout: Double = 5, head: Bool = false) throws -> Response {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let end = headerEnd() {
                let headText = String(decoding: pending[..<end], as: UTF8.self)
                var lines = headText.components(separatedBy: "\r\n")
                let statusLine = lines.removeFirst().split(separator: " ")
                guard statusLine.count >= 2, let status = Int(statusLine[1]) else {
                    throw Failure(description: "bad status line in \(headText)")
                }
                var headers: [String: String] = [:]
                for line in lines where !line.isEmpty {
                    let parts = line.split(separator: ":", maxSplits: 1)
                    headers[parts[0].lowercased()] =
                        parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
                }
                let length = head ? 0 : Int(headers["content-length"] ?? "0") ?? 0
                let total = end + 4 + length
                while pending.count < total {
                    guard let chunk = readChunk(until: deadline), !chunk.isEmpty else {
                        throw Failure(description: "connection ended inside a body")
                    }
                    pending += chunk
                }
                let body = Array(pending[(end + 4)..<total])
                pending.removeFirst(total)
                return Response(status: status, headers: headers, body: body)
            }
            guard let chunk = readChunk(until: deadline) else {
                throw Failure(description: "no response within \(timeout) s (have \(pending.count) bytes)")
            }
            if chunk.isEmpty {
                throw Failure(description: "connection closed before a response (have \(pending.count) bytes)")
            }
            pending += chunk
        }
    }

    private func headerEnd() -> Int? {
        guard pending.count >= 4 else { return nil }
        for index in 0...(pending.count - 4)
        where pending[index] == 13 && pending[index + 1] == 10 && pending[index + 2] == 13 && pending[index + 3] == 10 {
            return index
        }
        return nil
    }

    /// nil on timeout, empty on orderly close or reset.
    private func readChunk(until deadline: Date) -> [UInt8]? {
        while true {
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 { return nil }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, Int32(remaining * 1000) + 1)
            if ready < 0 && errno == EINTR { continue }
            if ready <= 0 { return nil }
            var buffer = [UInt8](repeating: 0, count: 65536)
            let count = recv(fd, &buffer, buffer.count, 0)
            if count < 0 && errno == EINTR { continue }
            return count > 0 ? Array(buffer[..<count]) : []
        }
    }

    /// One GET on a fresh connection.
    package static func get(port: Int, path: String, headers: [String: String] = [:], method: String = "GET") throws
        -> Response
    {
        let client = try RawHTTPClient(port: port)
        var request = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        client.send(request + "\r\n")
        return try client.readResponse(head: method == "HEAD")
    }
}

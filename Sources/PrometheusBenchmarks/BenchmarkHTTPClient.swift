import Foundation
import PrometheusSystem

/// A keep-alive HTTP/1.1 client for timing scrapes over loopback: one connection, a GET, the whole
/// response read (the body by its Content-Length) into a kept buffer.
final class BenchmarkHTTPClient {
    private let socket: Socket
    private var buffer = [UInt8](repeating: 0, count: 1 << 16)
    private var response: [UInt8] = []

    /// Connects to 127.0.0.1:`port`.
    init(port: Int) throws {
        guard let address = try SocketAddress.resolve(host: "127.0.0.1", port: port).first else {
            throw SocketFailure.resolution("no address for 127.0.0.1")
        }
        socket = try Socket.make(for: address)
        _ = try socket.connect(to: address)
        socket.setNoDelay()
        try socket.setNonBlocking()
    }

    deinit {
        socket.close()
    }

    /// GETs `path` and returns the body's size once the whole response has arrived.
    func get(_ path: String) throws -> Int {
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        try request.withUnsafeBytes { bytes in
            var sent = 0
            while sent < bytes.count {
                switch socket.send(UnsafeRawBufferPointer(rebasing: bytes[sent...])) {
                case .transferred(let count): sent += count
                case .wouldBlock: _ = Poll.wait(for: socket.rawValue, writable: true, seconds: 10)
                case .failed(let error): throw error
                }
            }
        }
        response.removeAll(keepingCapacity: true)
        var expected: Int?
        while expected.map({ response.count < $0 }) ?? true {
            let outcome = buffer.withUnsafeMutableBytes { socket.receive(into: $0) }
            switch outcome {
            case .transferred(0): throw SocketFailure.resolution("the server closed the connection")
            case .transferred(let count): response += buffer[0..<count]
            case .wouldBlock: _ = Poll.wait(for: socket.rawValue, seconds: 10)
            case .failed(let error): throw error
            }
            if expected == nil { expected = Self.responseLength(response) }
        }
        return response.count
    }

    /// Head length plus Content-Length, once the head has arrived.
    private static func responseLength(_ bytes: [UInt8]) -> Int? {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = bytes.indices.dropLast(3).first(where: { bytes[$0..<$0 + 4].elementsEqual(separator) }) else {
            return nil
        }
        let head = String(decoding: bytes[..<end], as: UTF8.self).lowercased()
        guard let line = head.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
            let length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces))
        else { return nil }
        return end + 4 + length
    }
}

import Foundation
import Testing

@testable import PrometheusClient
@testable import PrometheusServing

/// The built-in server answers scrapes from buffers each handler thread keeps: the exposition is
/// rendered into one, gzipped into another, and written once after the head.
@Suite("Response buffers")
struct ResponseBuffersTests {
    static func handler() throws -> MetricsHandler {
        let registry = CollectorRegistry()
        let counter = try Counter(name: "served", help: "Served.", labelNames: ["code"], registry: registry)
        for code in 0..<200 { try counter.labels(String(code)).inc(by: Double(code)) }
        return MetricsHandler(registry: registry)
    }

    static func request(_ method: String, _ path: String, headers: [HTTPHeader] = []) -> HTTPRequest {
        HTTPRequest(method: method, target: path, version: .http11, headers: headers)
    }

    /// The wire bytes without the Date header, which may differ between two answers.
    static func withoutDate(_ bytes: [UInt8]) -> String {
        String(decoding: bytes, as: UTF8.self).split(separator: "\r\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("Date: ") }.joined(separator: "\r\n")
    }

    @Test(
        "answering from the buffers gives the bytes the handler's response serializes to",
        arguments: [
            ("GET", "/metrics", "gzip"), ("GET", "/metrics", ""), ("HEAD", "/metrics", "gzip"), ("GET", "/other", ""),
            ("OPTIONS", "/metrics", ""), ("GET", "/favicon.ico", ""),
        ])
    func buffersGiveTheHandlersBytes(method: String, path: String, encoding: String) throws {
        let handler = try Self.handler()
        let request = Self.request(method, path, headers: [HTTPHeader("Accept-Encoding", encoding)])
        var buffers = ResponseBuffers()
        let response = handler.respond(to: request, buffers: &buffers)
        let ours = buffers.serialize(response, version: .http11, keepAlive: true, omitBody: method == "HEAD")
        let theirs = handler.handle(request).serialized(version: .http11, keepAlive: true, omitBody: method == "HEAD")
        #expect(Self.withoutDate(ours) == Self.withoutDate(theirs))
    }

    @Test("a warm scrape renders and compresses into the arrays the previous scrape grew")
    func warmScrapesReuseTheArrays() throws {
        let handler = try Self.handler()
        let request = Self.request("GET", "/metrics", headers: [HTTPHeader("Accept-Encoding", "gzip")])
        var buffers = ResponseBuffers()
        _ = handler.respond(to: request, buffers: &buffers)
        let body = buffers.body.withUnsafeBytes { $0.baseAddress }
        let compressed = buffers.compressed.withUnsafeBytes { $0.baseAddress }
        let response = handler.respond(to: request, buffers: &buffers)
        #expect(buffers.body.withUnsafeBytes { $0.baseAddress } == body)
        #expect(buffers.compressed.withUnsafeBytes { $0.baseAddress } == compressed)
        let wire = buffers.serialize(response, version: .http11, keepAlive: false, omitBody: false)
        let separator = try #require(wire.firstRange(of: Array("\r\n\r\n".utf8)))
        let decompressed = try Gzip.decompress(Array(wire[separator.upperBound...]))
        #expect(String(decoding: decompressed, as: UTF8.self).contains("served_total{code=\"199\"} 199.0\n"))
    }

    @Test("compressing into a kept array returns the member's length and leaves the room")
    func compressingIntoAKeptArray() throws {
        let input = Array(repeating: Array("abc\n".utf8), count: 1000).flatMap { $0 }
        var output: [UInt8] = []
        let length = input.withUnsafeBytes { Gzip.compress($0, level: .fastest, into: &output) }
        #expect(output.count >= length)
        #expect(try Gzip.decompress(Array(output[..<length])) == input)
        #expect(Array(output[..<length]) == Gzip.compress(input, level: .fastest))
    }
}

import Foundation
import PrometheusTestSupport
import Testing

@testable import PrometheusClient

@Suite struct ContentNegotiationTests {
    @Test(arguments: [
        (
            "", ExpositionFormat.prometheusText004, "text/plain; version=0.0.4; charset=utf-8",
            NameEscapingScheme.underscores
        ),
        ("*/*", .prometheusText004, "text/plain; version=0.0.4; charset=utf-8", .underscores),
        (
            "application/openmetrics-text", .openMetrics100,
            "application/openmetrics-text; version=1.0.0; charset=utf-8", .underscores
        ),
        (
            "application/openmetrics-text; version=1.0.0; escaping=allow-utf-8", .openMetrics100,
            "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=allow-utf-8", .allowUTF8
        ),
        (
            "application/openmetrics-text; version=\"1.0.0\"", .openMetrics100,
            "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores", .underscores
        ),
        (
            "application/openmetrics-text; version=2.0.0; escaping=dots", .openMetrics200,
            "application/openmetrics-text; version=2.0.0; charset=utf-8; escaping=dots", .dots
        ),
        (
            "application/openmetrics-text; version=0.0.1,text/plain;version=0.0.4", .prometheusText004,
            "text/plain; version=0.0.4; charset=utf-8", .underscores
        ),
        (
            "text/plain; version=1.0.0; escaping=values", .prometheusText100,
            "text/plain; version=1.0.0; charset=utf-8; escaping=values", .values
        ),
        (
            "text/plain; version=1.0.0; escaping=bogus", .prometheusText100,
            "text/plain; version=1.0.0; charset=utf-8; escaping=underscores", .underscores
        ),
        (
            "application/openmetrics-text; version=1.0.0-rc1", .openMetrics100,
            "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores", .underscores
        ),
    ])
    func negotiatesLikeThePythonClient(
        accept: String, format: ExpositionFormat, contentType: String, escaping: NameEscapingScheme
    ) {
        let negotiated = ContentNegotiation.negotiate(accept: accept)
        #expect(negotiated.format == format)
        #expect(negotiated.contentType == contentType)
        #expect(negotiated.escaping == escaping)
    }

    @Test func qualityValuesPickTheBestAcceptableRange() {
        let accept = "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.9"
        #expect(ContentNegotiation.negotiate(accept: accept).format == .prometheusText004)
        let prometheus = "application/openmetrics-text;version=1.0.0;q=0.9,text/plain;version=0.0.4;q=0.5"
        #expect(ContentNegotiation.negotiate(accept: prometheus).format == .openMetrics100)
    }

    @Test func qualityZeroIsNotAcceptable() {
        #expect(ContentNegotiation.negotiate(accept: "application/openmetrics-text;q=0").format == .prometheusText004)
    }

    @Test(arguments: [
        ("gzip", true), ("deflate, gzip;q=1.0, *;q=0.5", true), ("gzip;q=0", false), ("identity", false),
        ("", false), ("*", true), ("GZIP", true), ("br, *;q=0", false),
    ])
    func gzipFromAcceptEncoding(header: String, accepted: Bool) {
        #expect(ContentNegotiation.acceptsGzip(header) == accepted)
    }
}

@Suite struct GzipTests {
    @Test func roundTripsBytes() throws {
        let text = Array(String(repeating: "metric_total 1.0\n", count: 1000).utf8)
        let compressed = Gzip.compress(text)
        #expect(compressed.count < text.count / 10)
        #expect(Array(compressed.prefix(2)) == [0x1F, 0x8B])
        #expect(try Gzip.decompress(compressed) == text)
    }

    @Test func pythonDecompressesOurGzip() throws {
        let compressed = Gzip.compress(Array("hello prometheus".utf8))
        let output = try ExternalTool.runPython(
            "import sys, gzip\nsys.stdout.write(gzip.decompress(sys.stdin.buffer.read()).decode())",
            input: Data(compressed))
        #expect(output == "hello prometheus")
    }

    @Test func decompressionIsCapped() throws {
        let compressed = Gzip.compress(Array(repeating: 0, count: 100_000))
        #expect(throws: GzipError.tooLarge(maximumSize: 1000)) { try Gzip.decompress(compressed, maximumSize: 1000) }
    }

    @Test func truncatedOrForeignDataIsATypedError() throws {
        let compressed = Gzip.compress(Array(repeating: 7, count: 10_000))
        #expect(throws: GzipError.self) { try Gzip.decompress(Array(compressed.prefix(compressed.count / 2))) }
        #expect(throws: GzipError.self) { try Gzip.decompress(Array("not gzip".utf8)) }
        #expect(try Gzip.decompress(Gzip.compress([])) == [])
    }

    @Test(arguments: [Int32(-2), 10, 100, Int32.min])
    func aCompressionLevelOutsideZlibsRangeIsATypedError(level: Int32) {
        #expect(throws: GzipError.invalidLevel(level)) { try Gzip.compress([1, 2, 3], level: level) }
    }

    @Test(arguments: [Int32(-1), 0, 1, 9])
    func everyZlibLevelCompresses(level: Int32) throws {
        #expect(try Gzip.decompress(try Gzip.compress(Array("abc".utf8), level: level)) == Array("abc".utf8))
    }
}

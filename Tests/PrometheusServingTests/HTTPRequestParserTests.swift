import PrometheusTestSupport
import Testing

@testable import PrometheusClient
@testable import PrometheusServing

@Suite("HTTP request parser")
struct HTTPRequestParserTests {
    let parser = HTTPRequestParser()

    private func parse(_ text: String, parser: HTTPRequestParser? = nil) throws(HTTPParseError)
        -> HTTPRequestParser.Outcome
    {
        try (parser ?? self.parser).parse(Array(text.utf8))
    }

    private func status(of text: String, parser: HTTPRequestParser? = nil) -> Int? {
        do {
            _ = try parse(text, parser: parser)
            return nil
        } catch {
            return error.statusCode
        }
    }

    @Test("a GET with headers yields method, path, query, version and headers")
    func parsesGet() throws {
        let text = "GET /metrics?name[]=a HTTP/1.1\r\nHost: x\r\nAccept-Encoding:  gzip \r\n\r\n"
        guard case .complete(let request, let consumed) = try parse(text) else {
            Issue.record("expected a complete request")
            return
        }
        #expect(consumed == text.utf8.count)
        #expect(request.method == "GET")
        #expect(request.path == "/metrics")
        #expect(request.query == "name[]=a")
        #expect(request.version == .http11)
        #expect(request.headers.first(named: "accept-encoding") == "gzip")
        #expect(request.wantsKeepAlive)
    }

    @Test("a request is incomplete until the blank line arrives")
    func incompleteUntilBlankLine() throws {
        #expect(try parse("GET / HTTP/1.1\r\nHost: x\r\n") == .incomplete)
        #expect(try parse("GET / HTT") == .incomplete)
        #expect(try parse("") == .incomplete)
    }

    @Test("pipelined requests are consumed one at a time")
    func pipelined() throws {
        let first = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
        let both = first + "GET /b HTTP/1.1\r\nHost: x\r\n\r\n"
        guard case .complete(let request, let consumed) = try parse(both) else {
            Issue.record("expected a complete request")
            return
        }
        #expect(request.path == "/a")
        #expect(consumed == first.utf8.count)
    }

    @Test("bare LF line endings and leading empty lines are accepted")
    func lenientLineEndings() throws {
        guard case .complete(let request, _) = try parse("\r\n\nGET /x HTTP/1.0\nA: b\n\n") else {
            Issue.record("expected a complete request")
            return
        }
        #expect(request.path == "/x")
        #expect(request.version == .http10)
        #expect(!request.wantsKeepAlive)
    }

    @Test("a request line over the limit is 414 even before it ends")
    func requestLineTooLong() {
        let small = HTTPRequestParser(maxRequestLineBytes: 64)
        #expect(status(of: "GET /" + String(repeating: "a", count: 100), parser: small) == 414)
        #expect(status(of: "GET /" + String(repeating: "a", count: 100) + " HTTP/1.1\r\n", parser: small) == 414)
    }

    @Test("a header section over the limit is 431 even before it ends")
    func headersTooLarge() {
        let small = HTTPRequestParser(maxHeaderBytes: 128)
        let huge = "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "b", count: 200)
        #expect(status(of: huge, parser: small) == 431)
        let many = "GET / HTTP/1.1\r\nHost: x\r\n" + String(repeating: "X-A: 1234567890\r\n", count: 20)
        #expect(status(of: many, parser: small) == 431)
    }

    @Test("more header fields than the limit is 431")
    func tooManyHeaders() {
        let parser = HTTPRequestParser(maxHeaderCount: 3)
        #expect(status(of: "GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", parser: parser) == 431)
    }

    @Test("NUL and other control bytes are 400")
    func controlBytes() {
        #expect(status(of: "GET /\0 HTTP/1.1\r\n\r\n") == 400)
        #expect(status(of: "GET / HTTP/1.1\r\nHost: x\u{0}y\r\n\r\n") == 400)
        #expect(status(of: "GET / HTTP/1.1\r\nHost: x\u{7f}\r\n\r\n") == 400)
        #expect(status(of: "\u{16}\u{03}\u{01}\u{02}\u{00}") == 400)
    }

    @Test("malformed request lines are 400")
    func malformedRequestLines() {
        #expect(status(of: "GET\r\n\r\n") == 400)
        #expect(status(of: "GET  / HTTP/1.1\r\n\r\n") == 400)
        #expect(status(of: "GET / HTTP/1.1 extra\r\n\r\n") == 400)
        #expect(status(of: "GET nopath HTTP/1.1\r\n\r\n") == 400)
        #expect(status(of: "G(T / HTTP/1.1\r\n\r\n") == 400)
        #expect(status(of: "GET / FTP/1.1\r\n\r\n") == 400)
        #expect(status(of: "GET / HTTP/1.1\rX\n\r\n") == 400)
    }

    @Test("HTTP versions other than 1.0 and 1.1 are 505")
    func unsupportedVersion() {
        #expect(status(of: "GET / HTTP/2.0\r\n\r\n") == 505)
        #expect(status(of: "GET / HTTP/0.9\r\n\r\n") == 505)
    }

    @Test("bad header syntax is 400: folding, space before colon, no colon, empty name")
    func malformedHeaders() {
        #expect(status(of: "GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n") == 400)
        #expect(status(of: "GET / HTTP/1.1\r\nHost : x\r\n\r\n") == 400)
        #expect(status(of: "GET / HTTP/1.1\r\nHost x\r\n\r\n") == 400)
        #expect(status(of: "GET / HTTP/1.1\r\n: x\r\n\r\n") == 400)
        #expect(status(of: "GET / HTTP/1.1\r\nHost: x\rY: z\r\n\r\n") == 400)
    }

    @Test("invalid or conflicting Content-Length is 400")
    func invalidContentLength() {
        let parser = HTTPRequestParser(maxBodyBytes: 100)
        #expect(status(of: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", parser: parser) == 400)
        #expect(status(of: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", parser: parser) == 400)
        #expect(
            status(of: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", parser: parser)
                == 400)
        #expect(
            status(of: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n", parser: parser)
                == 400)
    }

    @Test("a body larger than the limit is 413; one within it is returned")
    func bodyLimit() throws {
        #expect(status(of: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello") == 413)
        let parser = HTTPRequestParser(maxBodyBytes: 10)
        #expect(try parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhel", parser: parser) == .incomplete)
        guard
            case .complete(let request, _) = try parse(
                "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", parser: parser)
        else {
            Issue.record("expected a complete request")
            return
        }
        #expect(request.body == Array("hello".utf8))
    }

    @Test("any Transfer-Encoding is rejected with 400")
    func transferEncoding() {
        #expect(status(of: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n") == 400)
        #expect(status(of: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n") == 400)
    }

    @Test("HTTP/1.1 needs exactly one Host header; HTTP/1.0 needs none")
    func hostHeader() throws {
        #expect(status(of: "GET / HTTP/1.1\r\n\r\n") == 400)
        #expect(status(of: "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n") == 400)
        guard case .complete = try parse("GET / HTTP/1.0\r\n\r\n") else {
            Issue.record("HTTP/1.0 without Host should parse")
            return
        }
    }

    @Test("absolute-form targets yield the path without scheme and authority")
    func absoluteForm() throws {
        guard case .complete(let request, _) = try parse("GET http://h:9100/metrics?x=1 HTTP/1.1\r\nHost: h\r\n\r\n")
        else {
            Issue.record("expected a complete request")
            return
        }
        #expect(request.path == "/metrics")
        #expect(request.query == "x=1")
    }

    @Test("query values are percent- and plus-decoded, including encoded name[] keys")
    func queryDecoding() {
        let query = "name%5B%5D=a_total&name[]=b+c&other=1&name[]=%E2%82%AC&bad=%zz"
        #expect(HTTPQuery.values(named: "name[]", in: query) == ["a_total", "b c", "€"])
        #expect(HTTPQuery.values(named: "bad", in: query) == ["%zz"])
        #expect(HTTPQuery.values(named: "name[]", in: nil).isEmpty)
    }

    @Test("Connection tokens decide keep-alive for both versions")
    func keepAliveRules() {
        #expect(!HTTPRequest(method: "GET", target: "/", headers: [HTTPHeader("Connection", "Close")]).wantsKeepAlive)
        #expect(
            HTTPRequest(method: "GET", target: "/", version: .http10, headers: [HTTPHeader("connection", "keep-alive")])
                .wantsKeepAlive)
        #expect(!HTTPRequest(method: "GET", target: "/", version: .http10).wantsKeepAlive)
    }

    @Test("random and mutated byte sequences never crash and never consume more than given")
    func fuzzNeverCrashes() {
        var generator = SplitMix(seed: 0x5EED)
        let seeds = [
            "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: text/plain\r\n\r\n",
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
        ].map { Array($0.utf8) }
        let parser = HTTPRequestParser(
            maxRequestLineBytes: 128, maxHeaderBytes: 256, maxHeaderCount: 8, maxBodyBytes: 8)
        var outcomes = [0, 0, 0]
        for round in 0..<20_000 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                bytes = (0..<Int(generator.next() % 300)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            } else {
                bytes = seeds[round % seeds.count]
                for _ in 0..<(1 + Int(generator.next() % 4)) where !bytes.isEmpty {
                    let index = Int(generator.next() % UInt64(bytes.count))
                    switch generator.next() % 3 {
                    case 0: bytes[index] = UInt8(truncatingIfNeeded: generator.next())
                    case 1: bytes.remove(at: index)
                    default: bytes.insert(UInt8(truncatingIfNeeded: generator.next()), at: index)
                    }
                }
            }
            do {
                switch try parser.parse(bytes) {
                case .incomplete: outcomes[0] += 1
                case .complete(_, let consumed):
                    outcomes[1] += 1
                    #expect(consumed > 0 && consumed <= bytes.count)
                }
            } catch {
                outcomes[2] += 1
                #expect([400, 413, 414, 431, 505].contains(error.statusCode))
            }
        }
        // The corpus must exercise all three outcomes, or the test proves nothing.
        #expect(outcomes.allSatisfy { $0 > 0 })
    }
}

/// A tiny deterministic generator so fuzz failures reproduce.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

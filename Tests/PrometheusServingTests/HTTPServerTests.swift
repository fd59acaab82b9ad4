import Foundation
import Glibc
import PrometheusTestSupport
import Synchronization
import Testing

@testable import PrometheusClient
@testable import PrometheusServing

@Suite("Built-in HTTP server")
struct HTTPServerTests {
    /// Echoes method and path; `/big` answers 8 MiB so that writes outlast a vanished client, and
    /// `/counted` 4 MiB of the byte counter modulo 251, so that lost or reordered bytes show.
    static let echo: @Sendable (HTTPRequest) -> HTTPResponse = { request in
        if request.path == "/big" {
            return HTTPResponse(status: 200, body: [UInt8](repeating: UInt8(ascii: "x"), count: 8 << 20))
        }
        if request.path == "/counted" {
            return HTTPResponse(status: 200, body: (0..<(4 << 20)).map { UInt8(truncatingIfNeeded: $0 % 251) })
        }
        if request.path == "/slow" {
            usleep(300_000)
        }
        return .text(status: 200, "\(request.method) \(request.path)")
    }

    private func withServer(
        _ options: MetricsServerOptions = MetricsServerOptions(),
        handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse = HTTPServerTests.echo,
        _ body: (HTTPServer) throws -> Void
    ) throws {
        let server = try HTTPServer.start(port: 0, options: options, handler: handler)
        defer { server.stop() }
        try body(server)
    }

    @Test("port 0 binds an ephemeral port that answers requests")
    func ephemeralPort() throws {
        try withServer { server in
            #expect(server.port > 0)
            let response = try RawHTTPClient.get(port: server.port, path: "/hello")
            #expect(response.status == 200)
            #expect(response.text == "GET /hello\n")
            #expect(response.headers["connection"] == "close")
            #expect(response.headers["date"] != nil)
        }
    }

    @Test("keep-alive connections serve several requests, including pipelined ones")
    func keepAliveReuse() throws {
        let accepted = Atomic<Int>(0)
        let counting: @Sendable (HTTPRequest) -> HTTPResponse = { request in
            accepted.add(1, ordering: .relaxed)
            return .text(status: 200, request.path)
        }
        try withServer(handler: counting) { server in
            let client = try RawHTTPClient(port: server.port)
            client.send("GET /1 HTTP/1.1\r\nHost: x\r\n\r\n")
            let first = try client.readResponse()
            #expect(first.text == "/1\n")
            #expect(first.headers["connection"] == "keep-alive")
            client.send("GET /2 HTTP/1.1\r\nHost: x\r\n\r\nGET /3 HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try client.readResponse().text == "/2\n")
            #expect(try client.readResponse().text == "/3\n")
            #expect(accepted.load(ordering: .relaxed) == 3)
            #expect(server.activeConnections == 1)
        }
    }

    @Test("HTTP/1.0 closes after the response unless keep-alive is asked for")
    func http10() throws {
        try withServer { server in
            let plain = try RawHTTPClient(port: server.port)
            plain.send("GET /a HTTP/1.0\r\n\r\n")
            let response = try plain.readResponse()
            #expect(response.status == 200)
            #expect(plain.isClosedByPeer(within: 5))

            let kept = try RawHTTPClient(port: server.port)
            kept.send("GET /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            #expect(try kept.readResponse().headers["connection"] == "keep-alive")
            kept.send("GET /c HTTP/1.0\r\n\r\n")
            #expect(try kept.readResponse().text == "GET /c\n")
        }
    }

    @Test("HEAD sends the GET headers and length without a body")
    func headHasNoBody() throws {
        try withServer { server in
            let client = try RawHTTPClient(port: server.port)
            client.send("HEAD /x HTTP/1.1\r\nHost: x\r\n\r\nGET /y HTTP/1.1\r\nHost: x\r\n\r\n")
            let head = try client.readResponse(head: true)
            #expect(head.headers["content-length"] == "\("HEAD /x\n".utf8.count)")
            #expect(head.body.isEmpty)
            // The next response starts right after the HEAD headers: no stray body bytes.
            #expect(try client.readResponse().text == "GET /y\n")
        }
    }

    @Test("oversized headers get 431 and the connection is closed")
    func oversizedHeaders() throws {
        var options = MetricsServerOptions()
        options.maxHeaderBytes = 1024
        try withServer(options) { server in
            let client = try RawHTTPClient(port: server.port)
            client.send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 4096))\r\n\r\n")
            #expect(try client.readResponse().status == 431)
            #expect(client.isClosedByPeer(within: 5))
        }
    }

    @Test("a too long request line gets 414")
    func longRequestLine() throws {
        try withServer { server in
            let client = try RawHTTPClient(port: server.port)
            client.send("GET /\(String(repeating: "a", count: 10_000)) HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try client.readResponse().status == 414)
        }
    }

    @Test("a request body over the limit gets 413")
    func bodyTooLarge() throws {
        try withServer { server in
            let client = try RawHTTPClient(port: server.port)
            client.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
            #expect(try client.readResponse().status == 413)
        }
    }

    @Test("garbage bytes get 400 and the connection is closed; the server keeps serving")
    func garbage() throws {
        try withServer { server in
            let client = try RawHTTPClient(port: server.port)
            client.send([0x16, 0x03, 0x01, 0x00, 0xA5, 0x01, 0x00, 0x00, 0xA1, 0x03, 0x03, 0x00, 0xFF, 0x0D, 0x0A])
            #expect(try client.readResponse().status == 400)
            #expect(client.isClosedByPeer(within: 5))
            #expect(try RawHTTPClient.get(port: server.port, path: "/after").status == 200)
        }
    }

    @Test("a client that trickles a request is cut off at the request timeout with 408")
    func slowloris() throws {
        var options = MetricsServerOptions()
        options.requestTimeout = 0.5
        try withServer(options) { server in
            let client = try RawHTTPClient(port: server.port)
            let start = Date()
            client.send("GET / HTTP/1.1\r\n")
            // Keep trickling header bytes: this must not extend the deadline.
            for _ in 0..<4 {
                usleep(200_000)
                client.send("X-A: b\r\n")
            }
            let response = try client.readResponse(timeout: 5)
            #expect(response.status == 408)
            #expect(client.isClosedByPeer(within: 5))
            #expect(Date().timeIntervalSince(start) < 3)
        }
    }

    @Test("a connection that sends nothing is closed at the request timeout")
    func silentClient() throws {
        var options = MetricsServerOptions()
        options.requestTimeout = 0.3
        try withServer(options) { server in
            let client = try RawHTTPClient(port: server.port)
            let outcome = client.readUntilClosed(timeout: 5)
            #expect(outcome.closed)
            #expect(outcome.bytes.isEmpty)
        }
    }

    @Test("an idle keep-alive connection is closed at the idle timeout")
    func idleTimeout() throws {
        var options = MetricsServerOptions()
        options.idleTimeout = 0.3
        try withServer(options) { server in
            let client = try RawHTTPClient(port: server.port)
            client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try client.readResponse().status == 200)
            #expect(client.isClosedByPeer(within: 5))
        }
    }

    @Test("at the connection cap the oldest idle connection is shed so a new scrape is served")
    func idleConnectionsAreShedAtTheCap() throws {
        var options = MetricsServerOptions()
        options.maxConnections = 3
        try withServer(options) { server in
            var held: [RawHTTPClient] = []
            for _ in 0..<3 {
                let client = try RawHTTPClient(port: server.port)
                client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(try client.readResponse().status == 200)
                held.append(client)
            }
            #expect(try RawHTTPClient.get(port: server.port, path: "/fresh").status == 200)
            #expect(held[0].isClosedByPeer(within: 5))
            #expect(server.shedConnections >= 1)
            #expect(server.rejectedConnections == 0)
        }
    }

    @Test("at the cap, connections that never completed a request are shed before proven keep-alive ones")
    func silentConnectionsAreShedBeforeProvenOnes() throws {
        var options = MetricsServerOptions()
        options.maxConnections = 3
        try withServer(options) { server in
            let scraper = try RawHTTPClient(port: server.port)
            scraper.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try scraper.readResponse().status == 200)
            // Two connections that send nothing, newer than the scraper's, fill the server; a third
            // makes it shed one of them, not the scraper.
            let silent = try (0..<2).map { _ in try RawHTTPClient(port: server.port) }
            let deadline = Date().addingTimeInterval(5)
            while server.activeConnections < 3 && Date() < deadline { usleep(2_000) }
            let newcomer = try RawHTTPClient(port: server.port)
            #expect(silent[0].isClosedByPeer(within: 5))
            #expect(server.shedConnections == 1)
            scraper.send("GET /again HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try scraper.readResponse().status == 200)
            newcomer.send("GET /new HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try newcomer.readResponse().status == 200)
        }
    }

    @Test("only when every connection is busy does a new one get 503 with Retry-After")
    func busyConnectionsOverTheCapGet503() throws {
        var options = MetricsServerOptions()
        options.maxConnections = 2
        options.handlerThreads = 2
        try withServer(options) { server in
            let busy = try (0..<2).map { _ in try RawHTTPClient(port: server.port) }
            for client in busy { client.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n") }
            let deadline = Date().addingTimeInterval(5)
            while server.activeConnections < 2 && Date() < deadline { usleep(2_000) }
            usleep(50_000)  // both requests parsed and handed to the handlers, well within /slow's 300 ms
            let extra = try RawHTTPClient(port: server.port)
            let refused = try extra.readResponse()
            #expect(refused.status == 503)
            #expect(refused.headers["retry-after"] == "1")
            #expect(extra.isClosedByPeer(within: 5))
            #expect(server.rejectedConnections >= 1)
            for client in busy { #expect(try client.readResponse().status == 200) }
            #expect(try RawHTTPClient.get(port: server.port, path: "/again").status == 200)
        }
    }

    @Test("many concurrent clients are all served")
    func manyClients() throws {
        try withServer { server in
            let successes = Atomic<Int>(0)
            let port = server.port
            DispatchQueue.concurrentPerform(iterations: 32) { worker in
                guard let client = try? RawHTTPClient(port: port) else { return }
                for index in 0..<20 {
                    client.send("GET /\(worker)/\(index) HTTP/1.1\r\nHost: x\r\n\r\n")
                    if let response = try? client.readResponse(), response.text == "GET /\(worker)/\(index)\n" {
                        successes.add(1, ordering: .relaxed)
                    }
                }
            }
            #expect(successes.load(ordering: .relaxed) == 32 * 20)
        }
    }

    @Test("a response larger than the socket takes at once arrives whole and in order, twice on one connection")
    func responseLargerThanTheSocketBuffer() throws {
        // The handler thread sends what the socket takes without waiting; the loop sends the rest
        // as the client reads, which this client does only once the handler has long finished.
        try withServer { server in
            let client = try RawHTTPClient(port: server.port)
            let expected = (0..<(4 << 20)).map { UInt8(truncatingIfNeeded: $0 % 251) }
            for _ in 0..<2 {
                client.send("GET /counted HTTP/1.1\r\nHost: x\r\n\r\n")
                usleep(100_000)
                let response = try client.readResponse()
                #expect(response.status == 200)
                #expect(response.body.count == expected.count)
                // Compared apart from the expectation, which would print 4 MiB on a failure.
                let intact = response.body == expected
                #expect(intact, "bytes lost, repeated or out of order")
            }
            client.send("GET /after HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try client.readResponse().text == "GET /after\n")
        }
    }

    @Test("a client that disappears mid-response does not kill the process with SIGPIPE")
    func vanishingClient() throws {
        try withServer { server in
            for _ in 0..<3 {
                let client = try RawHTTPClient(port: server.port)
                var linger = linger(l_onoff: 1, l_linger: 0)
                setsockopt(client.fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<linger>.size))
                client.send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
                usleep(50_000)
            }  // each client resets its connection while the server is still writing 8 MiB
            usleep(200_000)
            #expect(try RawHTTPClient.get(port: server.port, path: "/alive").status == 200)
        }
    }

    @Test("stop closes idle keep-alive connections promptly and refuses new ones")
    func stopClosesIdle() throws {
        let server = try HTTPServer.start(port: 0, handler: HTTPServerTests.echo)
        let client = try RawHTTPClient(port: server.port)
        client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().status == 200)
        let start = Date()
        #expect(server.stop())
        #expect(Date().timeIntervalSince(start) < 2)
        #expect(client.isClosedByPeer(within: 2))
        #expect(server.activeConnections == 0)
        #expect(throws: (any Error).self) { try RawHTTPClient(port: server.port) }
        #expect(server.stop())  // idempotent
    }

    @Test("stop lets an in-flight response finish, marked Connection: close")
    func stopFinishesInFlight() throws {
        let server = try HTTPServer.start(port: 0, handler: HTTPServerTests.echo)
        let client = try RawHTTPClient(port: server.port)
        client.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        usleep(100_000)
        #expect(server.stop())
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.headers["connection"] == "close")
    }

    @Test("binding a taken port fails with an error naming the address, port and reason")
    func bindFailure() throws {
        try withServer { server in
            do {
                _ = try HTTPServer.start(port: server.port, handler: HTTPServerTests.echo)
                Issue.record("second bind should fail")
            } catch let error as ServingError {
                #expect(error == .bindFailed(address: "127.0.0.1", port: server.port, errno: .addressInUse))
                #expect(error.description.contains("127.0.0.1 port \(server.port)"))
                #expect(error.description.contains("in use"))
            }
        }
    }

    @Test("invalid addresses and options are typed errors")
    func invalidInput() {
        #expect(throws: ServingError.self) {
            try HTTPServer.start(address: "no such host.invalid", port: 0, handler: HTTPServerTests.echo)
        }
        #expect(throws: ServingError.self) { try HTTPServer.start(port: 70_000, handler: HTTPServerTests.echo) }
        var options = MetricsServerOptions()
        options.maxConnections = 0
        #expect(throws: ServingError.invalidOption(name: "maxConnections", reason: "must be greater than 0, got 0")) {
            try HTTPServer.start(port: 0, options: options, handler: HTTPServerTests.echo)
        }
    }

    @Test("IPv6 loopback works when the host has it")
    func ipv6Loopback() throws {
        let server: HTTPServer
        do {
            server = try HTTPServer.start(address: "::1", port: 0, handler: HTTPServerTests.echo)
        } catch {
            // No IPv6 on this host (container without ::1): nothing to test.
            try ExternalTool.unavailable("IPv6 loopback (::1): \(error)")
        }
        defer { server.stop() }
        let client = try RawHTTPClient(host: "::1", port: server.port)
        client.send("GET /v6 HTTP/1.1\r\nHost: [::1]\r\n\r\n")
        #expect(try client.readResponse().text == "GET /v6\n")
    }
}

import PrometheusClient
import PrometheusSystem

/// Serves one accepted connection on its own thread: reads requests (keep-alive and pipelining
/// included), calls the handler, writes responses, and enforces the time and size limits.
struct HTTPConnection {
    let socket: Socket
    let core: HTTPServerCore

    func run() {
        let options = core.options
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        // Deadline for the request being read; nil while idle between keep-alive requests.
        var requestDeadline: Double? = SystemClock.monotonic() + options.requestTimeout
        var idleDeadline = SystemClock.monotonic() + options.idleTimeout
        // Re-parsing the whole buffer after every byte would let a client that sends one byte per
        // packet cost quadratic CPU; a request can only complete or newly fail once a line ends, a
        // limit is passed, or (bodies allowed) more body bytes arrive.
        var mustParse = true
        let headLimit = options.maxRequestLineBytes + options.maxHeaderBytes + 4

        while true {
            if core.isStopping && buffer.isEmpty {
                socket.close()
                return
            }
            var outcome = HTTPRequestParser.Outcome.incomplete
            do {
                if mustParse || buffer.count > headLimit || options.maxBodyBytes > 0 {
                    outcome = try core.parser.parse(buffer)
                }
            } catch {
                let response = HTTPResponse.text(status: error.statusCode, error.description)
                finish(with: response, version: .http11)
                return
            }
            if case .complete(let request, let consumed) = outcome {
                buffer.removeFirst(consumed)
                mustParse = true
                let response = core.handler(request)
                let keepAlive = request.wantsKeepAlive && !core.isStopping
                let bytes = response.serialized(
                    version: request.version, keepAlive: keepAlive, omitBody: request.method == "HEAD")
                guard ConnectionIO.sendAll(socket, bytes, deadline: SystemClock.monotonic() + options.writeTimeout),
                    keepAlive
                else {
                    // An orderly close: the client asked for it or the server is stopping, so no
                    // request bytes are expected; do not hold the thread waiting for the client.
                    ConnectionIO.quickClose(socket)
                    return
                }
                requestDeadline = buffer.isEmpty ? nil : SystemClock.monotonic() + options.requestTimeout
                idleDeadline = SystemClock.monotonic() + options.idleTimeout
                continue
            }

            mustParse = false
            let deadline = requestDeadline ?? idleDeadline
            switch Poll.wait(for: socket.rawValue, wake: core.wake.readEnd, seconds: deadline - SystemClock.monotonic())
            {
            case .ready:
                switch chunk.withUnsafeMutableBytes({ socket.receive(into: $0) }) {
                case .transferred(let received) where received > 0:
                    if requestDeadline == nil {
                        requestDeadline = SystemClock.monotonic() + options.requestTimeout
                    }
                    // The first bytes of each request are always checked, so garbage (a TLS
                    // handshake, a binary protocol) is rejected at once.
                    mustParse = buffer.isEmpty || chunk[..<received].contains(UInt8(ascii: "\n"))
                    buffer.append(contentsOf: chunk[..<received])
                case .wouldBlock:
                    continue
                case .transferred, .failed:
                    socket.close()
                    return
                }
            case .timedOut:
                if !buffer.isEmpty {
                    finish(with: .text(status: 408, "request not received in time"), version: .http11)
                } else {
                    socket.close()
                }
                return
            case .woken, .failed:
                socket.close()
                return
            }
        }
    }

    /// Sends a final response (errors) and closes the connection.
    private func finish(with response: HTTPResponse, version: HTTPVersion) {
        let bytes = response.serialized(version: version, keepAlive: false, omitBody: false)
        if ConnectionIO.sendAll(socket, bytes, deadline: SystemClock.monotonic() + core.options.writeTimeout) {
            ConnectionIO.lingeringClose(socket, for: 1)
        } else {
            socket.close()
        }
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Serves one accepted connection on its own thread: reads requests (keep-alive and pipelining
/// included), calls the handler, writes responses, and enforces the time and size limits.
struct HTTPConnection {
    let fd: Int32
    let core: HTTPServerCore

    func run() {
        let options = core.options
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        // Deadline for the request being read; nil while idle between keep-alive requests.
        var requestDeadline: Double? = SocketIO.now() + options.requestTimeout
        var idleDeadline = SocketIO.now() + options.idleTimeout
        // Re-parsing the whole buffer after every byte would let a client that sends one byte per
        // packet cost quadratic CPU; a request can only complete or newly fail once a line ends, a
        // limit is passed, or (bodies allowed) more body bytes arrive.
        var mustParse = true
        let headLimit = options.maxRequestLineBytes + options.maxHeaderBytes + 4

        while true {
            if core.isStopping && buffer.isEmpty {
                close(fd)
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
                guard SocketIO.sendAll(fd, bytes, deadline: SocketIO.now() + options.writeTimeout), keepAlive else {
                    // An orderly close: the client asked for it or the server is stopping, so no
                    // request bytes are expected; do not hold the thread waiting for the client.
                    SocketIO.quickClose(fd)
                    return
                }
                requestDeadline = buffer.isEmpty ? nil : SocketIO.now() + options.requestTimeout
                idleDeadline = SocketIO.now() + options.idleTimeout
                continue
            }

            mustParse = false
            let deadline = requestDeadline ?? idleDeadline
            switch SocketIO.wait(for: fd, wakeFD: core.wakeReadFD, until: deadline) {
            case .ready:
                let received = recv(fd, &chunk, chunk.count, Int32(MSG_DONTWAIT))
                if received > 0 {
                    if requestDeadline == nil {
                        requestDeadline = SocketIO.now() + options.requestTimeout
                    }
                    // The first bytes of each request are always checked, so garbage (a TLS
                    // handshake, a binary protocol) is rejected at once.
                    mustParse = buffer.isEmpty || chunk[..<received].contains(UInt8(ascii: "\n"))
                    buffer.append(contentsOf: chunk[..<received])
                } else if received < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) {
                    continue
                } else {
                    close(fd)
                    return
                }
            case .timedOut:
                if !buffer.isEmpty {
                    finish(with: .text(status: 408, "request not received in time"), version: .http11)
                } else {
                    close(fd)
                }
                return
            case .stopRequested, .failed:
                close(fd)
                return
            }
        }
    }

    /// Sends a final response (errors) and closes the connection.
    private func finish(with response: HTTPResponse, version: HTTPVersion) {
        let bytes = response.serialized(version: version, keepAlive: false, omitBody: false)
        if SocketIO.sendAll(fd, bytes, deadline: SocketIO.now() + core.options.writeTimeout) {
            SocketIO.lingeringClose(fd, for: 1)
        } else {
            close(fd)
        }
    }
}

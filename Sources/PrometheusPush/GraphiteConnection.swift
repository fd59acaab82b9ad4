import PrometheusClient
import PrometheusSystem

/// One short-lived TCP connection to a Graphite (carbon) plaintext receiver: connect, send everything,
/// close.
///
/// The socket is non-blocking and every wait is a poll of at most 50 ms, so the whole exchange
/// respects the deadline and notices `shouldAbort` (a stopping pusher) quickly. Sends never raise
/// SIGPIPE: a receiver that went away gives an error. Host resolution (`getaddrinfo`) is not bounded
/// by the deadline; use an IP address to avoid it.
struct GraphiteConnection {
    let host: String
    let port: Int
    let timeout: Duration

    /// Sends `bytes` over a fresh connection.
    func transmit(_ bytes: [UInt8], shouldAbort: () -> Bool) throws(GraphiteError) {
        let deadline = SystemClock.monotonic() + Self.seconds(timeout)
        let socket = try open(deadline: deadline, shouldAbort: shouldAbort)
        defer { socket.close() }
        var offset = 0
        while offset < bytes.count {
            switch bytes.withUnsafeBytes({ socket.send(UnsafeRawBufferPointer(rebasing: $0[offset...])) }) {
            case .transferred(let count):
                offset += count
            case .wouldBlock:
                try wait(socket, writable: true, deadline: deadline, shouldAbort: shouldAbort)
            case .failed(let errno):
                throw .sendFailed(host: host, port: port, reason: "\(errno)")
            }
        }
        socket.shutdownWrite()
    }

    private func open(deadline: Double, shouldAbort: () -> Bool) throws(GraphiteError) -> Socket {
        let addresses: [SocketAddress]
        do {
            addresses = try SocketAddress.resolve(host: host, port: port)
        } catch {
            switch error {
            case .resolution(let reason): throw .resolutionFailed(host: host, reason: reason)
            case .system(let errno): throw .resolutionFailed(host: host, reason: "\(errno)")
            }
        }
        var lastError: GraphiteError = .connectionFailed(host: host, port: port, reason: "no address to connect to")
        for address in addresses {
            let socket: Socket
            do {
                socket = try Socket.make(for: address, nonBlocking: true)
            } catch {
                lastError = .connectionFailed(host: host, port: port, reason: "\(error)")
                continue
            }
            do throws(GraphiteError) {
                try finishConnect(socket, to: address, deadline: deadline, shouldAbort: shouldAbort)
                return socket
            } catch {
                socket.close()
                if case .timedOut = error { throw error }
                if case .stopped = error { throw error }
                lastError = error
            }
        }
        throw lastError
    }

    private func finishConnect(_ socket: Socket, to address: SocketAddress, deadline: Double, shouldAbort: () -> Bool)
        throws(GraphiteError)
    {
        do {
            if try socket.connect(to: address) { return }
        } catch {
            throw .connectionFailed(host: host, port: port, reason: "\(error)")
        }
        try wait(socket, writable: true, deadline: deadline, shouldAbort: shouldAbort)
        if let error = socket.pendingError() {
            throw .connectionFailed(host: host, port: port, reason: "\(error)")
        }
    }

    private func wait(_ socket: Socket, writable: Bool, deadline: Double, shouldAbort: () -> Bool) throws(GraphiteError)
    {
        while true {
            if shouldAbort() { throw .stopped }
            let remaining = deadline - SystemClock.monotonic()
            guard remaining > 0 else { throw .timedOut(host: host, port: port, seconds: Self.seconds(timeout)) }
            switch Poll.wait(for: socket.rawValue, writable: writable, seconds: Swift.min(remaining, 0.05)) {
            case .ready: return
            case .timedOut, .woken: continue
            case .failed: throw .sendFailed(host: host, port: port, reason: "poll failed")
            }
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

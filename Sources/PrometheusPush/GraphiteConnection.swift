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
        do {
            return try SocketConnector.connect(host: host, port: port, deadline: deadline, shouldAbort: shouldAbort)
        } catch {
            throw graphiteError(error)
        }
    }

    private func wait(_ socket: Socket, writable: Bool, deadline: Double, shouldAbort: () -> Bool) throws(GraphiteError)
    {
        do {
            try SocketConnector.waitUntilReady(socket, writable: writable, deadline: deadline, shouldAbort: shouldAbort)
        } catch {
            throw graphiteError(error)
        }
    }

    private func graphiteError(_ failure: SocketConnector.Failure) -> GraphiteError {
        switch failure {
        case .resolution(let reason): .resolutionFailed(host: host, reason: reason)
        case .connection(let reason): .connectionFailed(host: host, port: port, reason: reason)
        case .pollFailed: .sendFailed(host: host, port: port, reason: "poll failed")
        case .timedOut: .timedOut(host: host, port: port, seconds: Self.seconds(timeout))
        case .stopped: .stopped
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

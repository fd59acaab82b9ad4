/// Opens a TCP connection to a named host within a deadline, trying each resolved address in turn:
/// the connect logic of the package's clients (Graphite, TLS pushes). The socket is non-blocking.
package enum SocketConnector {
    /// Why no connection was made.
    package enum Failure: Error, Equatable {
        /// The host did not resolve (the resolver's reason).
        case resolution(String)
        /// Every address refused or failed; the reason is the last one's.
        case connection(String)
        /// Waiting for readiness failed (`poll` itself).
        case pollFailed
        /// The deadline passed.
        case timedOut
        /// `shouldAbort` asked to stop.
        case stopped
    }

    /// Connects to `host`:`port` before `deadline` (monotonic seconds), checking `shouldAbort`
    /// every 50 ms while it waits.
    ///
    /// - Throws: ``Failure``.
    package static func connect(
        host: String, port: Int, deadline: Double, shouldAbort: () -> Bool = { false }
    ) throws(Failure) -> Socket {
        let addresses: [SocketAddress]
        do {
            addresses = try SocketAddress.resolve(host: host, port: port)
        } catch {
            switch error {
            case .resolution(let reason): throw .resolution(reason)
            case .system(let errno): throw .resolution("\(errno)")
            }
        }
        var lastError = Failure.connection("no address to connect to")
        for address in addresses {
            let socket: Socket
            do {
                socket = try Socket.make(for: address, nonBlocking: true)
            } catch {
                lastError = .connection("\(error)")
                continue
            }
            do throws(Failure) {
                if try !startConnect(socket, to: address) {
                    do {
                        try waitUntilReady(socket, writable: true, deadline: deadline, shouldAbort: shouldAbort)
                    } catch .pollFailed {
                        throw .connection("poll failed")
                    }
                    if let error = socket.pendingError() { throw .connection("\(error)") }
                }
                return socket
            } catch {
                socket.close()
                if error == .timedOut || error == .stopped { throw error }
                lastError = error
            }
        }
        throw lastError
    }

    /// Waits until `socket` is readable (or writable) before `deadline`.
    ///
    /// - Throws: ``Failure/timedOut``, ``Failure/stopped`` or ``Failure/pollFailed``.
    package static func waitUntilReady(
        _ socket: Socket, writable: Bool, deadline: Double, shouldAbort: () -> Bool = { false }
    ) throws(Failure) {
        while true {
            if shouldAbort() { throw .stopped }
            let remaining = deadline - SystemClock.monotonic()
            guard remaining > 0 else { throw .timedOut }
            switch Poll.wait(for: socket.rawValue, writable: writable, seconds: Swift.min(remaining, 0.05)) {
            case .ready: return
            case .timedOut: continue
            case .failed: throw .pollFailed
            }
        }
    }

    private static func startConnect(_ socket: Socket, to address: SocketAddress) throws(Failure) -> Bool {
        do {
            return try socket.connect(to: address)
        } catch {
            throw .connection("\(error)")
        }
    }
}

import PrometheusClient
import PrometheusSystem

/// Sending with a deadline and closing politely, for the accept loop and the connections.
///
/// Every wait goes through ``Poll`` with a deadline and, where it matters, the server's wake pipe,
/// so no thread can block forever on a client and shutdown reaches every idle thread at once.
enum ConnectionIO {
    /// Sends all of `bytes` before `deadline` (monotonic seconds).
    ///
    /// - Returns: whether everything was sent.
    static func sendAll(_ socket: Socket, _ bytes: [UInt8], deadline: Double) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let outcome = bytes.withUnsafeBytes { socket.send(UnsafeRawBufferPointer(rebasing: $0[offset...])) }
            switch outcome {
            case .transferred(let count):
                offset += count
            case .wouldBlock:
                guard
                    Poll.wait(for: socket.rawValue, writable: true, seconds: deadline - SystemClock.monotonic())
                        == .ready
                else { return false }
            case .failed:
                return false
            }
        }
        return true
    }

    /// Closes after a half-close and a bounded drain, so that unread request bytes do not turn the
    /// close into a TCP reset that could destroy the response before the client reads it.
    static func lingeringClose(_ socket: Socket, for seconds: Double) {
        socket.shutdownWrite()
        let deadline = SystemClock.monotonic() + seconds
        var scratch = [UInt8](repeating: 0, count: 4096)
        var drained = 0
        while drained < 1 << 20, seconds > 0 {
            guard Poll.wait(for: socket.rawValue, seconds: deadline - SystemClock.monotonic()) == .ready else { break }
            let outcome = scratch.withUnsafeMutableBytes { socket.receive(into: $0) }
            guard case .transferred(let count) = outcome, count > 0 else {
                if case .wouldBlock = outcome { continue }
                break
            }
            drained += count
        }
        socket.close()
    }

    /// Drains whatever is already buffered without waiting, then closes (for the accept thread,
    /// which must never block on a client).
    static func quickClose(_ socket: Socket) {
        socket.shutdownWrite()
        var scratch = [UInt8](repeating: 0, count: 4096)
        for _ in 0..<16 {
            guard case .transferred(let count) = scratch.withUnsafeMutableBytes({ socket.receive(into: $0) }), count > 0
            else { break }
        }
        socket.close()
    }
}

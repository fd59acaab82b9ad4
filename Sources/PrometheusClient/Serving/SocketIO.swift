#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Small blocking-with-deadline socket helpers shared by the accept loop and the connections.
///
/// Every wait goes through `poll` with a timeout and also watches the server's wake pipe, so no
/// thread can block forever on a client and shutdown reaches every idle thread at once.
enum SocketIO {
    enum WaitResult {
        case ready
        case timedOut
        case stopRequested
        case failed
    }

    /// Seconds on a monotonic clock.
    static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    /// Waits until `fd` is readable (or writable), `wakeFD` is readable (stop requested), or
    /// `deadline` passes.
    static func wait(for fd: Int32, writable: Bool = false, wakeFD: Int32?, until deadline: Double) -> WaitResult {
        while true {
            let remaining = deadline - now()
            if remaining <= 0 { return .timedOut }
            let milliseconds = Int32(min(remaining * 1000, 3_600_000).rounded(.up))
            var fds = [pollfd(fd: fd, events: Int16(writable ? POLLOUT : POLLIN), revents: 0)]
            if let wakeFD {
                fds.append(pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0))
            }
            let result = poll(&fds, nfds_t(fds.count), milliseconds)
            if result < 0 {
                if errno == EINTR { continue }
                return .failed
            }
            if result == 0 { continue }
            if fds.count > 1 && fds[1].revents != 0 { return .stopRequested }
            // POLLHUP/POLLERR also count as ready: the following recv/send reports the condition.
            if fds[0].revents != 0 { return .ready }
        }
    }

    /// Sends all of `bytes` before `deadline`. Never raises SIGPIPE (MSG_NOSIGNAL).
    ///
    /// - Returns: whether everything was sent.
    static func sendAll(_ fd: Int32, _ bytes: [UInt8], deadline: Double) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { raw in
                send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
            }
            if sent > 0 {
                offset += sent
                continue
            }
            if sent < 0 && errno == EINTR { continue }
            guard sent < 0, errno == EAGAIN || errno == EWOULDBLOCK else { return false }
            guard wait(for: fd, writable: true, wakeFD: nil, until: deadline) == .ready else { return false }
        }
        return true
    }

    /// Closes after a half-close and a bounded drain, so that unread request bytes do not turn the
    /// close into a TCP reset that could destroy the response before the client reads it.
    static func lingeringClose(_ fd: Int32, for seconds: Double) {
        shutdown(fd, Int32(SHUT_WR))
        let deadline = now() + seconds
        var scratch = [UInt8](repeating: 0, count: 4096)
        var drained = 0
        while drained < 1 << 20, seconds > 0 {
            guard wait(for: fd, wakeFD: nil, until: deadline) == .ready else { break }
            let received = recv(fd, &scratch, scratch.count, Int32(MSG_DONTWAIT))
            if received <= 0 && !(received < 0 && (errno == EINTR || errno == EAGAIN)) { break }
            drained += max(received, 0)
        }
        close(fd)
    }

    /// Drains whatever is already buffered without waiting, then closes (for the accept thread,
    /// which must never block on a client).
    static func quickClose(_ fd: Int32) {
        shutdown(fd, Int32(SHUT_WR))
        var scratch = [UInt8](repeating: 0, count: 4096)
        for _ in 0..<16 where recv(fd, &scratch, scratch.count, Int32(MSG_DONTWAIT)) > 0 {}
        close(fd)
    }
}

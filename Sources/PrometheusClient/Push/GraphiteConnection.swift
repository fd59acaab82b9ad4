#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// One short-lived TCP connection to a Graphite (carbon) plaintext receiver: connect, send everything,
/// close.
///
/// The socket is non-blocking and every wait is a `poll` of at most 50 ms, so the whole exchange
/// respects the deadline and notices `shouldAbort` (a stopping pusher) quickly. Sends use
/// `MSG_NOSIGNAL`: a receiver that went away gives an error, never a SIGPIPE that kills the process.
/// Host resolution (`getaddrinfo`) is not bounded by the deadline; use an IP address to avoid it.
struct GraphiteConnection {
    let host: String
    let port: Int
    let timeout: Duration

    /// Sends `bytes` over a fresh connection.
    func transmit(_ bytes: [UInt8], shouldAbort: () -> Bool) throws(GraphiteError) {
        let deadline = ContinuousClock.now + timeout
        let fd = try open(deadline: deadline, shouldAbort: shouldAbort)
        defer { close(fd) }
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { buffer in
                send(fd, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent > 0 {
                offset += sent
                continue
            }
            let error = errno
            if sent < 0 && error == EINTR {
                continue
            }
            guard sent < 0 && (error == EAGAIN || error == EWOULDBLOCK) else {
                throw .sendFailed(host: host, port: port, reason: Self.message(error))
            }
            try wait(fd, for: Int16(POLLOUT), deadline: deadline, shouldAbort: shouldAbort)
        }
        shutdown(fd, Int32(SHUT_WR))
    }

    private func open(deadline: ContinuousClock.Instant, shouldAbort: () -> Bool) throws(GraphiteError) -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_protocol = Int32(IPPROTO_TCP)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw .resolutionFailed(host: host, reason: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(first) }
        var lastError: GraphiteError = .connectionFailed(host: host, port: port, reason: "no address to connect to")
        var current: UnsafeMutablePointer<addrinfo>? = first
        while let info = current {
            current = info.pointee.ai_next
            let fd = socket(
                info.pointee.ai_family,
                info.pointee.ai_socktype | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue),
                info.pointee.ai_protocol)
            guard fd >= 0 else {
                lastError = .connectionFailed(host: host, port: port, reason: Self.message(errno))
                continue
            }
            do throws(GraphiteError) {
                try finishConnect(fd, info.pointee, deadline: deadline, shouldAbort: shouldAbort)
                return fd
            } catch {
                close(fd)
                if case .timedOut = error {
                    throw error
                }
                if case .stopped = error {
                    throw error
                }
                lastError = error
            }
        }
        throw lastError
    }

    private func finishConnect(
        _ fd: Int32,
        _ info: addrinfo,
        deadline: ContinuousClock.Instant,
        shouldAbort: () -> Bool
    ) throws(GraphiteError) {
        if connect(fd, info.ai_addr, info.ai_addrlen) == 0 {
            return
        }
        guard errno == EINPROGRESS || errno == EINTR else {
            throw .connectionFailed(host: host, port: port, reason: Self.message(errno))
        }
        try wait(fd, for: Int16(POLLOUT), deadline: deadline, shouldAbort: shouldAbort)
        var socketError: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &socketError, &length) == 0 else {
            throw .connectionFailed(host: host, port: port, reason: Self.message(errno))
        }
        guard socketError == 0 else {
            throw .connectionFailed(host: host, port: port, reason: Self.message(socketError))
        }
    }

    private func wait(
        _ fd: Int32,
        for events: Int16,
        deadline: ContinuousClock.Instant,
        shouldAbort: () -> Bool
    ) throws(GraphiteError) {
        while true {
            if shouldAbort() {
                throw .stopped
            }
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else {
                throw .timedOut(host: host, port: port, seconds: Self.seconds(timeout))
            }
            let slice = min(remaining, .milliseconds(50))
            let milliseconds = Int32(
                max(1, slice.components.seconds * 1000 + slice.components.attoseconds / 1_000_000_000_000_000))
            var descriptor = pollfd(fd: fd, events: events, revents: 0)
            let ready = poll(&descriptor, 1, milliseconds)
            if ready > 0 {
                return
            }
            if ready < 0 && errno != EINTR {
                throw .sendFailed(host: host, port: port, reason: Self.message(errno))
            }
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    private static func message(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}

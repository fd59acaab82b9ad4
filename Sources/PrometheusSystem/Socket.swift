internal import CPrometheusSystemCalls
internal import Glibc

/// Why a socket could not be set up: the resolver's own failure (its message), or a system call's.
package enum SocketFailure: Error, Sendable, Hashable {
    case resolution(String)
    case system(Errno)
}

/// One address a host name resolved to, ready to bind or connect to.
package struct SocketAddress: @unchecked Sendable {
    fileprivate var storage = sockaddr_storage()
    fileprivate var length: socklen_t = 0
    fileprivate var family: Int32 = 0
    fileprivate var type: Int32 = 0

    /// The addresses `getaddrinfo` gives for `host` and `port` (`host` nil or empty: any local
    /// address, for listening), in the resolver's order.
    ///
    /// - Throws: ``SocketFailure/resolution(_:)`` with the resolver's message.
    package static func resolve(host: String?, port: Int, datagram: Bool = false, passive: Bool = false)
        throws(SocketFailure) -> [SocketAddress]
    {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(datagram ? SOCK_DGRAM.rawValue : SOCK_STREAM.rawValue)
        hints.ai_flags = passive ? AI_PASSIVE : 0
        var list: UnsafeMutablePointer<addrinfo>?
        let name = (host?.isEmpty ?? true) ? nil : host
        let status = getaddrinfo(name, String(port), &hints, &list)
        guard status == 0, let list else { throw .resolution(String(cString: gai_strerror(status))) }
        defer { freeaddrinfo(list) }
        var result: [SocketAddress] = []
        var current: UnsafeMutablePointer<addrinfo>? = list
        while let info = current {
            current = info.pointee.ai_next
            var address = SocketAddress()
            address.length = info.pointee.ai_addrlen
            address.family = info.pointee.ai_family
            address.type = info.pointee.ai_socktype
            withUnsafeMutableBytes(of: &address.storage) { raw in
                raw.copyMemory(from: UnsafeRawBufferPointer(start: info.pointee.ai_addr, count: Int(address.length)))
            }
            result.append(address)
        }
        return result
    }
}

/// A socket descriptor: close-on-exec, and never raising SIGPIPE on send.
package struct Socket: Sendable, Hashable {
    package let rawValue: Int32

    package init(rawValue: Int32) {
        self.rawValue = rawValue
    }

    /// A new socket for `address`'s family and type.
    ///
    /// - Throws: the `Errno` of `socket(2)`.
    package static func make(for address: SocketAddress, nonBlocking: Bool = false) throws(Errno) -> Socket {
        let flags = Int32(SOCK_CLOEXEC.rawValue) | (nonBlocking ? Int32(SOCK_NONBLOCK.rawValue) : 0)
        return Socket(rawValue: try retryingInterrupts { socket(address.family, address.type | flags, 0) })
    }

    /// A socket bound to `address` and `port` and listening, with `SO_REUSEADDR`: the first resolved
    /// address that can be bound.
    ///
    /// - Throws: ``SocketFailure/resolution(_:)``, or the `Errno` of the last address tried.
    package static func listening(address: String, port: Int, backlog: Int32) throws(SocketFailure) -> Socket {
        var lastError = Errno(rawValue: EADDRNOTAVAIL)
        for candidate in try SocketAddress.resolve(host: address, port: port, passive: true) {
            do throws(Errno) {
                let socket = try make(for: candidate)
                var yes: Int32 = 1
                setsockopt(socket.rawValue, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
                var storage = candidate.storage
                let bound = withUnsafePointer(to: &storage) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket.rawValue, $0, candidate.length) }
                }
                guard bound == 0, listen(socket.rawValue, backlog) == 0 else {
                    let error = Errno.current
                    socket.close()
                    throw error
                }
                return socket
            } catch {
                lastError = error
            }
        }
        throw .system(lastError)
    }

    /// Makes the socket non-blocking.
    ///
    /// - Throws: the `Errno` of `fcntl(2)`.
    package func setNonBlocking() throws(Errno) {
        let flags = try retryingInterrupts { fcntl(rawValue, F_GETFL) }
        _ = try retryingInterrupts { fcntl(rawValue, F_SETFL, flags | O_NONBLOCK) }
    }

    /// Keeps or drops close-on-exec (a pre-fork master hands its listening socket to workers it execs).
    ///
    /// - Throws: the `Errno` of `fcntl(2)`.
    package func setCloseOnExec(_ enabled: Bool) throws(Errno) {
        _ = try retryingInterrupts { fcntl(rawValue, F_SETFD, enabled ? FD_CLOEXEC : 0) }
    }

    /// A second descriptor for the same socket, close-on-exec. A thread that sends on it cannot
    /// reach another connection when the original is closed and its number reused meanwhile; the
    /// connection itself ends only when both are closed.
    ///
    /// - Throws: the `Errno` of `fcntl(F_DUPFD_CLOEXEC)`, such as `EMFILE` at the descriptor limit.
    package func duplicate() throws(Errno) -> Socket {
        Socket(rawValue: try retryingInterrupts { fcntl(rawValue, F_DUPFD_CLOEXEC, 0) })
    }

    /// Turns off Nagle's algorithm, so small responses leave at once.
    package func setNoDelay() {
        var yes: Int32 = 1
        setsockopt(rawValue, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
    }

    /// The local port and numeric address the socket is bound to.
    ///
    /// - Throws: the `Errno` of `getsockname(2)`, or `EAFNOSUPPORT` for a socket that is not IP.
    package func localEndpoint() throws(SocketFailure) -> (address: String, port: Int) {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(rawValue, $0, &length) }
        }
        guard status == 0 else { throw .system(.current) }
        let port: UInt16
        switch Int32(storage.ss_family) {
        case AF_INET:
            port = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
            }
        case AF_INET6:
            port = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
            }
        default:
            throw .system(Errno(rawValue: EAFNOSUPPORT))
        }
        var text = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        let converted = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getnameinfo($0, length, &text, socklen_t(text.count), nil, 0, NI_NUMERICHOST)
            }
        }
        guard converted == 0 else { throw .resolution(String(cString: gai_strerror(converted))) }
        return (String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self), Int(port))
    }

    /// Starts connecting to `address`.
    ///
    /// - Returns: true when connected at once, false when the connection is in progress (a
    ///   non-blocking socket): wait until it is writable, then check ``pendingError()``.
    /// - Throws: the `Errno` of `connect(2)`.
    package func connect(to address: SocketAddress) throws(Errno) -> Bool {
        var storage = address.storage
        let status = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(rawValue, $0, address.length) }
        }
        if status == 0 { return true }
        let error = Errno.current
        if error.rawValue == EINPROGRESS || error == .interrupted { return false }
        throw error
    }

    /// The error of a finished non-blocking connect (`SO_ERROR`), or nil when it succeeded.
    package func pendingError() -> Errno? {
        var code: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(rawValue, SOL_SOCKET, SO_ERROR, &code, &length) == 0 else { return .current }
        return code == 0 ? nil : Errno(rawValue: code)
    }

    /// What a non-blocking send or receive did.
    package enum Transfer {
        /// This many bytes moved; 0 from a receive means the peer closed its side.
        case transferred(Int)
        /// Nothing can move now: wait for readiness.
        case wouldBlock
        case failed(Errno)

        /// The outcome of a non-blocking call run by ``retryingInterrupts(unlessWouldBlock:_:)``.
        init(_ call: () throws(Errno) -> Int?) {
            do {
                self = try call().map { .transferred($0) } ?? .wouldBlock
            } catch {
                self = .failed(error)
            }
        }
    }

    /// Accepts a connection (close-on-exec from birth).
    ///
    /// - Returns: the connection, or nil when none is waiting or it was aborted (another process
    ///   took it, the client gave up).
    /// - Throws: the `Errno` of a real failure (out of descriptors, memory).
    package func accept() throws(Errno) -> Socket? {
        let client = try retryingInterrupts(unlessWouldBlock: Self.meansNoConnectionWaiting) {
            prometheus_accept_cloexec(rawValue)
        }
        return client.map { Socket(rawValue: $0) }
    }

    /// Whether `accept(2)` failed only because no connection is waiting or the one waiting was
    /// aborted: nothing is wrong with the listening socket.
    private static func meansNoConnectionWaiting(_ error: Errno) -> Bool {
        error.meansWouldBlock || error.rawValue == ECONNABORTED || error.rawValue == EPROTO
    }

    /// Sends what it can of `bytes` without waiting.
    package func send(_ bytes: UnsafeRawBufferPointer) -> Transfer {
        Transfer { () throws(Errno) in
            try retryingInterrupts(unlessWouldBlock: \.meansWouldBlock) {
                Glibc.send(rawValue, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
            }
        }
    }

    /// Receives what is there, up to `buffer.count` bytes, without waiting.
    package func receive(into buffer: UnsafeMutableRawBufferPointer) -> Transfer {
        Transfer { () throws(Errno) in
            try retryingInterrupts(unlessWouldBlock: \.meansWouldBlock) {
                recv(rawValue, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT))
            }
        }
    }

    /// Ends the sending side (the peer reads end-of-file).
    package func shutdownWrite() {
        shutdown(rawValue, Int32(SHUT_WR))
    }

    /// Closes the socket.
    package func close() {
        _ = Glibc.close(rawValue)
    }
}

/// Waiting for one descriptor with `poll(2)`, with a deadline.
package enum Poll {
    /// Why a wait ended.
    package enum Outcome: Sendable {
        case ready, timedOut, failed
    }

    /// Waits until `descriptor` is readable (or writable) or `seconds` pass. POLLHUP and POLLERR
    /// count as ready: the following read or write reports them.
    package static func wait(for descriptor: Int32, writable: Bool = false, seconds: Double) -> Outcome {
        let deadline = SystemClock.monotonic() + Swift.max(seconds, 0)
        var watched = pollfd(fd: descriptor, events: Int16(writable ? POLLOUT : POLLIN), revents: 0)
        let result = try? retryingInterrupts {
            // Evaluated again after a signal, so the wait never outlives the deadline.
            let remaining = Swift.max(deadline - SystemClock.monotonic(), 0)
            return poll(&watched, 1, Int32(Swift.min(remaining * 1000, 3_600_000).rounded(.up)))
        }
        guard let result else { return .failed }
        if result == 0 { return .timedOut }
        return watched.revents & Int16(POLLNVAL) != 0 ? .failed : .ready
    }
}

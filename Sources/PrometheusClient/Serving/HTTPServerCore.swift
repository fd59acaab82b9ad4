import CPrometheusSupport
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The shared state of a running ``HTTPServer``: the listening socket, the wake pipe that tells
/// every thread to stop, and the connection count that enforces the cap.
///
/// Concurrency model: one accept thread plus one thread per connection, capped at
/// ``HTTPServerOptions/maxConnections``. Scrapes are few, long-lived and CPU-bound (rendering), so a
/// thread each gives parallel rendering with blocking code that is easy to audit; the cap, the
/// timeouts and the per-thread stack size bound the cost of hostile clients.
final class HTTPServerCore: Sendable {
    let socket: ListeningSocket
    let options: HTTPServerOptions
    let parser: HTTPRequestParser
    let handler: @Sendable (HTTPRequest) -> HTTPResponse
    let wakeReadFD: Int32
    private let wakeWriteFD: Int32
    private let stopping = Atomic<Bool>(false)
    private let active = Atomic<Int>(0)
    private let rejected = Atomic<Int>(0)

    init(
        socket: ListeningSocket, options: HTTPServerOptions, handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse
    )
        throws(ServingError)
    {
        var fds: [Int32] = [0, 0]
        guard prometheus_pipe_cloexec_nonblocking(&fds) == 0 else {
            throw .socketFailed(operation: "pipe2", errno: errno)
        }
        self.socket = socket
        self.options = options
        self.parser = options.parser
        self.handler = handler
        self.wakeReadFD = fds[0]
        self.wakeWriteFD = fds[1]
    }

    deinit {
        close(wakeReadFD)
        close(wakeWriteFD)
    }

    var isStopping: Bool { stopping.load(ordering: .acquiring) }
    var activeConnections: Int { active.load(ordering: .relaxed) }
    var rejectedConnections: Int { rejected.load(ordering: .relaxed) }

    /// Accepts until stopped. Runs on the accept thread.
    func acceptLoop() {
        while !isStopping {
            var fds = [
                pollfd(fd: socket.fileDescriptor, events: Int16(POLLIN), revents: 0),
                pollfd(fd: wakeReadFD, events: Int16(POLLIN), revents: 0),
            ]
            let ready = poll(&fds, 2, -1)
            if ready < 0 {
                if errno == EINTR { continue }
                return
            }
            if fds[1].revents != 0 || isStopping { return }
            if fds[0].revents & Int16(POLLNVAL) != 0 { return }
            let client = prometheus_accept_cloexec(socket.fileDescriptor)
            if client < 0 {
                switch errno {
                case EAGAIN, EWOULDBLOCK, EINTR, ECONNABORTED, EPROTO:
                    // Another process or thread took the connection, or the client gave up.
                    continue
                default:
                    // Out of descriptors or memory: back off instead of spinning on a full queue.
                    _ = SocketIO.wait(for: wakeReadFD, wakeFD: nil, until: SocketIO.now() + 0.1)
                    continue
                }
            }
            admit(client)
        }
    }

    private func admit(_ client: Int32) {
        if active.add(1, ordering: .acquiringAndReleasing).newValue > options.maxConnections {
            active.subtract(1, ordering: .acquiringAndReleasing)
            reject(client)
            return
        }
        var yes: Int32 = 1
        setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
        do {
            try NativeThread.start(stackSize: options.threadStackSize, detached: true) { [self] in
                HTTPConnection(fd: client, core: self).run()
                active.subtract(1, ordering: .acquiringAndReleasing)
            }
        } catch {
            active.subtract(1, ordering: .acquiringAndReleasing)
            reject(client)
        }
    }

    /// Answers 503 without waiting for the client and closes.
    private func reject(_ client: Int32) {
        rejected.add(1, ordering: .relaxed)
        let response = HTTPResponse.text(
            status: 503, "too many connections (limit \(options.maxConnections)); retry later",
            headers: [HTTPHeader("Retry-After", "1")])
        let bytes = response.serialized(version: .http11, keepAlive: false, omitBody: false)
        _ = bytes.withUnsafeBytes { send(client, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT)) }
        SocketIO.quickClose(client)
    }

    /// Asks every thread to stop; returns false if already stopping.
    func requestStop() -> Bool {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return false }
        var byte: UInt8 = 1
        _ = write(wakeWriteFD, &byte, 1)
        return true
    }

    /// Waits, up to the shutdown timeout, for the connection threads to finish.
    ///
    /// - Returns: whether they all finished in time.
    func waitForConnections() -> Bool {
        let deadline = SocketIO.now() + options.shutdownTimeout
        while activeConnections > 0 {
            if SocketIO.now() >= deadline { return false }
            usleep(2_000)
        }
        return true
    }
}

import PrometheusClient
import PrometheusSystem
import Synchronization

/// The shared state of a running ``HTTPServer``: the listening socket, the wake pipe that tells
/// every thread to stop, and the connection count that enforces the cap.
///
/// Concurrency model: one accept thread plus one thread per connection, capped at
/// ``MetricsServerOptions/maxConnections``. Scrapes are few, long-lived and CPU-bound (rendering), so
/// a thread each gives parallel rendering with blocking code that is easy to audit; the cap, the
/// timeouts and the per-thread stack size bound the cost of hostile clients.
final class HTTPServerCore: Sendable {
    let listener: MetricsListener
    let options: MetricsServerOptions
    let parser: HTTPRequestParser
    let handler: @Sendable (HTTPRequest) -> HTTPResponse
    let wake: WakePipe
    private let stopping = Atomic<Bool>(false)
    private let active = Atomic<Int>(0)
    private let rejected = Atomic<Int>(0)

    init(
        listener: MetricsListener, options: MetricsServerOptions,
        handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse
    ) throws(ServingError) {
        do {
            wake = try WakePipe()
        } catch {
            throw .socketFailed(operation: "pipe2", errno: error)
        }
        self.listener = listener
        self.options = options
        self.parser = options.parser
        self.handler = handler
    }

    var isStopping: Bool { stopping.load(ordering: .acquiring) }
    var activeConnections: Int { active.load(ordering: .relaxed) }
    var rejectedConnections: Int { rejected.load(ordering: .relaxed) }

    /// Accepts until stopped. Runs on the accept thread.
    func acceptLoop() {
        while !isStopping {
            guard Poll.waitForever(for: listener.descriptor, wake: wake.readEnd) == .ready, !isStopping else { return }
            do {
                // nil: another process or thread took the connection, or the client gave up.
                if let client = try listener.socket.accept() {
                    admit(client)
                }
            } catch {
                // Out of descriptors or memory: back off instead of spinning on a full queue.
                _ = Poll.wait(for: wake.readEnd, seconds: 0.1)
            }
        }
    }

    private func admit(_ client: Socket) {
        if active.add(1, ordering: .acquiringAndReleasing).newValue > options.maxConnections {
            active.subtract(1, ordering: .acquiringAndReleasing)
            reject(client)
            return
        }
        client.setNoDelay()
        do {
            try NativeThread.startDetached(stackSize: options.threadStackSize) { [self] in
                HTTPConnection(socket: client, core: self).run()
                active.subtract(1, ordering: .acquiringAndReleasing)
            }
        } catch {
            active.subtract(1, ordering: .acquiringAndReleasing)
            reject(client)
        }
    }

    /// Answers 503 without waiting for the client and closes.
    private func reject(_ client: Socket) {
        rejected.add(1, ordering: .relaxed)
        let response = HTTPResponse.text(
            status: 503, "too many connections (limit \(options.maxConnections)); retry later",
            headers: [HTTPHeader("Retry-After", "1")])
        let bytes = response.serialized(version: .http11, keepAlive: false, omitBody: false)
        _ = bytes.withUnsafeBytes { client.send($0) }
        ConnectionIO.quickClose(client)
    }

    /// Asks every thread to stop; returns false if already stopping.
    func requestStop() -> Bool {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return false }
        wake.wake()
        return true
    }

    /// Waits, up to the shutdown timeout, for the connection threads to finish.
    ///
    /// - Returns: whether they all finished in time.
    func waitForConnections() -> Bool {
        let deadline = SystemClock.monotonic() + options.shutdownTimeout
        while activeConnections > 0 {
            if SystemClock.monotonic() >= deadline { return false }
            SystemClock.sleep(seconds: 0.002)
        }
        return true
    }
}

import PrometheusClient
import PrometheusSystem
import Synchronization

/// The threads that run the request handler (each keeping its ``ResponseBuffers``), so that rendering (CPU-bound, sometimes slow: a large
/// multiprocess merge) never stalls the event loop. Requests queue first in, first out; results go
/// back to the loop through ``completions`` and a wake-up of its ``notifier``.
///
/// A job may carry a duplicate of its connection's socket: the handler thread then sends what the
/// socket takes at once, without waiting, before it hands the response back. The client gets the
/// response one thread wake-up sooner (the loop's), and the loop sends only what did not fit.
final class HandlerPool: Sendable {
    /// A request to answer, from the connection with `token`.
    struct Job: Sendable {
        let token: UInt64
        let request: HTTPRequest
        /// A duplicate of a plain connection's socket, owned by the job: sent on once and closed
        /// by the handler thread. Nil for TLS connections and when the loop has none to spare.
        let directSocket: Socket?
    }

    /// A serialized response for the connection with `token`.
    struct Completion: Sendable {
        let token: UInt64
        let bytes: [UInt8]
        /// How many of ``bytes`` the handler thread already sent.
        let sent: Int
        let keepAlive: Bool
        /// Whether the job's ``Job/directSocket`` was used (and is closed now).
        let usedDirectSocket: Bool
    }

    private let jobs = HandoffQueue<Job>()
    let completions = HandoffQueue<Completion>()
    private let notifier: EventNotifier
    private let responder: HTTPServer.Responder
    private let stopping: @Sendable () -> Bool
    private let running = Atomic<Int>(0)

    /// Starts `threads` threads.
    ///
    /// - Throws: ``ServingError/threadCreationFailed(errno:)``; threads already started stop.
    init(
        threads: Int, stackSize: Int, notifier: EventNotifier, stopping: @escaping @Sendable () -> Bool,
        responder: @escaping HTTPServer.Responder
    ) throws(ServingError) {
        self.notifier = notifier
        self.responder = responder
        self.stopping = stopping
        for _ in 0..<threads {
            do {
                try NativeThread.startDetached(stackSize: stackSize) { [self] in work() }
                running.add(1, ordering: .relaxed)
            } catch {
                jobs.close()
                throw .threadCreationFailed(errno: error)
            }
        }
    }

    /// Queues a request (a closed pool drops it, closing its socket duplicate).
    func submit(_ job: Job) {
        if !jobs.push(job) { job.directSocket?.close() }
    }

    /// Lets the threads finish the queued requests and exit.
    func close() {
        jobs.close()
    }

    /// Threads still running.
    var runningThreads: Int { running.load(ordering: .relaxed) }

    private func work() {
        defer { running.subtract(1, ordering: .relaxed) }
        // Kept for the thread's life: a scrape renders into the arrays the previous one grew.
        var buffers = ResponseBuffers()
        while let job = jobs.pop() {
            buffers.payload = nil
            let response = responder(job.request, &buffers)
            let keepAlive = job.request.wantsKeepAlive && !stopping()
            let bytes = buffers.serialize(
                response, version: job.request.version, keepAlive: keepAlive, omitBody: job.request.method == "HEAD")
            var sent = 0
            if let socket = job.directSocket {
                sent = Self.sendWithoutWaiting(bytes, on: socket)
                socket.close()
            }
            completions.push(
                Completion(
                    token: job.token, bytes: bytes, sent: sent, keepAlive: keepAlive,
                    usedDirectSocket: job.directSocket != nil))
            notifier.signal()
        }
    }

    /// Sends as much of `bytes` as `socket` takes now; a failure (the client left) ends it early
    /// and is the loop's to see when it sends the rest.
    private static func sendWithoutWaiting(_ bytes: [UInt8], on socket: Socket) -> Int {
        bytes.withUnsafeBytes { all in
            var sent = 0
            while sent < all.count,
                case .transferred(let count) = socket.send(UnsafeRawBufferPointer(rebasing: all[sent...])),
                count > 0
            {
                sent += count
            }
            return sent
        }
    }
}

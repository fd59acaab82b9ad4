import PrometheusClient
import PrometheusSystem
import Synchronization

/// The threads that run the request handler (each keeping its ``ResponseBuffers``), so that rendering (CPU-bound, sometimes slow: a large
/// multiprocess merge) never stalls the event loop. Requests queue first in, first out; results go
/// back to the loop through ``completions`` and a wake-up of its ``notifier``.
final class HandlerPool: Sendable {
    /// A request to answer, from the connection with `token`.
    struct Job: Sendable {
        let token: UInt64
        let request: HTTPRequest
    }

    /// A serialized response for the connection with `token`.
    struct Completion: Sendable {
        let token: UInt64
        let bytes: [UInt8]
        let keepAlive: Bool
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

    /// Queues a request.
    func submit(_ job: Job) {
        jobs.push(job)
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
            completions.push(Completion(token: job.token, bytes: bytes, keepAlive: keepAlive))
            notifier.signal()
        }
    }
}

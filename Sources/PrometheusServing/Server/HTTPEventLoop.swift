import PrometheusClient
import PrometheusSystem
import PrometheusTLS
import Synchronization

/// The engine of ``HTTPServer``: one thread waits with `epoll` on the listening socket and every
/// connection, reads and parses requests, and writes responses (or what a handler thread could not
/// send at once), all without blocking; the request handler runs on the few threads of a
/// ``HandlerPool``.
///
/// A connection costs its descriptor and a ``ServerConnection`` (a few hundred bytes) while it is
/// idle or trickling a request, never a thread, so slow or idle clients cannot starve scrapes.
/// When ``MetricsServerOptions/maxConnections`` (or the descriptor limit) is reached, a new
/// connection sheds the oldest one that has sent nothing yet, else the oldest one still sending its
/// request, else the oldest idle keep-alive one (which completed a request: a proven client goes
/// last); only when every connection is being answered is it refused with 503. Deadlines are checked
/// four times a second.
final class HTTPEventLoop: @unchecked Sendable {
    /// The shared stop flag: set by ``HTTPServer/stop()``, read by the loop and the handler threads.
    final class StopFlag: Sendable {
        private let flag = Atomic<Bool>(false)
        var isSet: Bool { flag.load(ordering: .acquiring) }
        /// - Returns: false when it was already set.
        func set() -> Bool { !flag.exchange(true, ordering: .acquiringAndReleasing) }
    }

    let listener: MetricsListener
    let options: MetricsServerOptions
    let stopFlag = StopFlag()
    let notifier: EventNotifier
    let poll: EventPoll
    let pool: HandlerPool
    let parser: HTTPRequestParser
    let tls: ServerTLSIdentity?
    let capacity: Int
    let active = Atomic<Int>(0)
    let rejected = Atomic<Int>(0)
    let shed = Atomic<Int>(0)
    let handshakeFailures = Atomic<Int>(0)
    let finishedInTime = Atomic<Bool>(true)

    // Loop-thread state. Internal rather than private: the loop's accepting and writing halves
    // live in extensions in sibling files (HTTPEventLoop+Accepting.swift, +Writing.swift).
    var connections: [ServerConnection?] = []
    var count = 0
    var serial: UInt64 = 0
    var fresh = ConnectionList(.fresh)
    var partial = ConnectionList(.partial)
    var idle = ConnectionList(.idle)
    let readBuffer: UnsafeMutableRawBufferPointer
    var now = SystemClock.monotonic()
    var listening = true
    var listenerResumesAt = 0.0
    var shutdownDeadline: Double?
    /// Socket duplicates handed to handler threads and not yet given back (``directSocket(for:)``).
    var directSocketsOut = 0
    let headLimit: Int
    let rejection: [UInt8]

    static let listenerToken = UInt64.max
    static let notifierToken = UInt64.max - 1
    static let sweepInterval = 0.25
    /// Seconds a connection lingers after a final error response.
    static let lingerSeconds = 1.0

    /// Sets up the loop and its handler threads (the loop itself runs in ``run()``).
    ///
    /// - Throws: ``ServingError`` when TLS cannot be set up or a descriptor or thread cannot be made.
    init(
        listener: MetricsListener, options: MetricsServerOptions,
        responder: @escaping HTTPServer.Responder
    ) throws(ServingError) {
        self.listener = listener
        self.options = options
        parser = options.parser
        tls = try options.tls.map { configuration throws(ServingError) in try ServerTLSIdentity(configuration) }
        do {
            notifier = try EventNotifier()
            poll = try EventPoll()
            try poll.add(notifier.descriptor, events: .readable, token: Self.notifierToken)
            try poll.add(listener.descriptor, events: [.readable, .exclusive], token: Self.listenerToken)
        } catch {
            throw .socketFailed(operation: "epoll", errno: error)
        }
        // Descriptors for the process's own files (the multiprocess merge reads them) and for the
        // handler threads' socket duplicates stay free.
        capacity = max(
            1, min(options.maxConnections, (CurrentProcess.openFileLimit ?? 1024) - 64 - options.handlerThreads))
        headLimit = options.maxRequestLineBytes + options.maxHeaderBytes + 4
        rejection = HTTPResponse.text(
            status: 503, "too many connections (limit \(options.maxConnections)); retry later",
            headers: [HTTPHeader("Retry-After", "1")]
        ).serialized(version: .http11, keepAlive: false, omitBody: false)
        readBuffer = .allocate(byteCount: 64 * 1024, alignment: 16)
        let stopFlag = stopFlag
        pool = try HandlerPool(
            threads: options.handlerThreads, stackSize: options.threadStackSize, notifier: notifier,
            stopping: { stopFlag.isSet }, responder: responder)
    }

    deinit {
        readBuffer.deallocate()
    }

    var activeConnections: Int { active.load(ordering: .relaxed) }
    var rejectedConnections: Int { rejected.load(ordering: .relaxed) }
    var shedConnections: Int { shed.load(ordering: .relaxed) }
    var failedHandshakes: Int { handshakeFailures.load(ordering: .relaxed) }
    /// Whether every connection finished before the shutdown deadline.
    var stoppedCleanly: Bool { finishedInTime.load(ordering: .relaxed) }

    /// Asks the loop to stop (from any thread).
    func requestStop() {
        if stopFlag.set() {
            notifier.signal()
        }
    }

    /// Runs until stopped and every connection is done (or the shutdown timeout passed). Runs on
    /// the loop thread.
    func run() {
        var nextSweep = now + Self.sweepInterval
        while true {
            let wait = Int32(max(0, ((nextSweep - now) * 1000).rounded(.up)))
            poll.wait(milliseconds: wait) { token, events in
                dispatch(token, events)
            }
            now = SystemClock.monotonic()
            if now >= nextSweep {
                sweep()
                nextSweep = now + Self.sweepInterval
            }
            if let shutdownDeadline, count == 0 || now >= shutdownDeadline {
                finishedInTime.store(count == 0, ordering: .relaxed)
                for connection in connections.compactMap({ $0 }) {
                    close(connection)
                }
                break
            }
        }
        pool.close()
    }

    // MARK: - Events

    func dispatch(_ token: UInt64, _ events: EventPoll.Events) {
        switch token {
        case Self.listenerToken:
            acceptWaiting()
        case Self.notifierToken:
            notifier.reset()
            if stopFlag.isSet && shutdownDeadline == nil {
                beginShutdown()
            }
            pool.completions.drain { completion in
                respond(completion)
            }
        default:
            guard let connection = lookup(token) else { return }
            if events.contains(.error) || (events.contains(.hangUp) && !events.contains(.readable)) {
                close(connection)
                return
            }
            switch connection.phase {
            case .handshaking: handshake(connection)
            case .reading, .lingering: readAvailable(connection)
            case .writing: writeOutput(connection)
            case .busy: break
            }
        }
    }

    func lookup(_ token: UInt64) -> ServerConnection? {
        let descriptor = Int(token & 0xffff_ffff)
        guard descriptor < connections.count, let connection = connections[descriptor], connection.token == token
        else { return nil }
        return connection
    }

    // MARK: - Reading

    func handshake(_ connection: ServerConnection) {
        guard let session = connection.tls else { return }
        switch session.handshake() {
        case .done:
            connection.phase = .reading
            move(connection, to: .fresh)
            setInterest(connection, .readable)
            readAvailable(connection)
        case .wantRead:
            setInterest(connection, .readable)
        case .wantWrite:
            setInterest(connection, .writable)
        case .failed:
            handshakeFailures.add(1, ordering: .relaxed)
            close(connection)
        }
    }

    func readAvailable(_ connection: ServerConnection) {
        let limit = headLimit + options.maxBodyBytes + 1
        reading: while connection.phase == .lingering || connection.input.count < limit {
            switch connection.receive(into: readBuffer) {
            case .moved(let received):
                if connection.phase == .lingering {
                    connection.lingeringBytes += received
                    if connection.lingeringBytes > 1 << 20 {
                        close(connection)
                        return
                    }
                    continue
                }
                let chunk = UnsafeRawBufferPointer(rebasing: readBuffer[..<received])
                if connection.input.isEmpty {
                    // The first bytes of each request are always parsed, so garbage (a TLS
                    // handshake on the plain port, another protocol) is rejected at once.
                    connection.mustParse = true
                    if !connection.awaitingFirstRequest {
                        connection.deadline = now + options.requestTimeout
                    }
                    move(connection, to: .partial)
                } else if chunk.contains(UInt8(ascii: "\n")) {
                    // Re-parsing after every byte would let a client that sends one byte per packet
                    // cost quadratic CPU; a request can only complete or newly fail once a line
                    // ends, a limit is passed, or (bodies allowed) more body bytes arrive.
                    connection.mustParse = true
                }
                connection.input.append(contentsOf: chunk)
                // A short plain read drained the socket; TLS may hold decrypted bytes still.
                if connection.tls == nil && received < readBuffer.count { break reading }
            case .wait(let events):
                setInterest(connection, events)
                break reading
            case .closed:
                close(connection)
                return
            }
        }
        if connection.phase == .reading {
            process(connection)
        }
    }

    func process(_ connection: ServerConnection) {
        let outcome: HTTPRequestParser.Outcome
        do {
            if connection.mustParse || connection.input.count > headLimit || options.maxBodyBytes > 0 {
                outcome = try parser.parse(connection.input)
            } else {
                outcome = .incomplete
            }
        } catch {
            respondWithError(connection, status: error.statusCode, error.description)
            return
        }
        guard case .complete(let request, let consumed) = outcome else {
            connection.mustParse = false
            return
        }
        connection.input.removeFirst(consumed)
        connection.mustParse = true
        connection.awaitingFirstRequest = false
        leaveList(connection)
        connection.phase = .busy
        setInterest(connection, [])
        pool.submit(
            HandlerPool.Job(token: connection.token, request: request, directSocket: directSocket(for: connection)))
    }

    /// A duplicate of a plain connection's socket for its handler thread to send on, while fewer
    /// than ``MetricsServerOptions/handlerThreads`` are out (the descriptors the loop keeps spare
    /// for them); nil otherwise, and then the loop sends the whole response.
    func directSocket(for connection: ServerConnection) -> Socket? {
        guard connection.tls == nil, directSocketsOut < options.handlerThreads,
            let duplicate = try? connection.socket.duplicate()
        else { return nil }
        directSocketsOut += 1
        return duplicate
    }

    // MARK: - Deadlines, shutdown, closing

    func sweep() {
        if !listening && now >= listenerResumesAt {
            resumeListener()
        }
        tls?.reloadIfChanged(now: now)
        for case let connection? in connections where connection.phase != .busy && now >= connection.deadline {
            if connection.phase == .reading && !connection.input.isEmpty {
                respondWithError(connection, status: 408, "request not received in time")
            } else {
                close(connection)
            }
        }
    }

    func beginShutdown() {
        shutdownDeadline = now + options.shutdownTimeout
        if listening {
            poll.remove(listener.descriptor)
            listening = false
        }
        for case let connection? in connections {
            switch connection.phase {
            case .handshaking, .reading, .lingering: close(connection)
            case .writing: connection.closeAfterWrite = true
            case .busy: break
            }
        }
    }

    func move(_ connection: ServerConnection, to kind: ConnectionList.Kind) {
        guard connection.list != kind else { return }
        leaveList(connection)
        switch kind {
        case .fresh: fresh.append(connection)
        case .partial: partial.append(connection)
        case .idle: idle.append(connection)
        }
    }

    func leaveList(_ connection: ServerConnection) {
        switch connection.list {
        case .fresh: fresh.remove(connection)
        case .partial: partial.remove(connection)
        case .idle: idle.remove(connection)
        case nil: break
        }
    }

    func setInterest(_ connection: ServerConnection, _ events: EventPoll.Events) {
        guard connection.interest != events else { return }
        connection.interest = events
        try? poll.modify(connection.socket.rawValue, events: events, token: connection.token)
    }

    func close(_ connection: ServerConnection, draining: Bool = false) {
        leaveList(connection)
        let descriptor = Int(connection.socket.rawValue)
        if descriptor < connections.count, connections[descriptor] === connection {
            connections[descriptor] = nil
            count -= 1
            active.store(count, ordering: .relaxed)
        }
        poll.remove(connection.socket.rawValue)
        if draining {
            drainAndClose(connection.socket)
        } else {
            connection.socket.close()
        }
    }

    /// Reads whatever is already buffered without waiting, so that closing does not turn unread
    /// request bytes into a reset that destroys the response, then closes.
    func drainAndClose(_ socket: Socket) {
        socket.shutdownWrite()
        for _ in 0..<4 {
            let outcome = socket.receive(into: readBuffer)
            guard case .transferred(let count) = outcome, count > 0 else { break }
        }
        socket.close()
    }
}

import PrometheusClient
import PrometheusSystem
import PrometheusTLS
import Synchronization

/// The engine of ``HTTPServer``: one thread waits with `epoll` on the listening socket and every
/// connection, reads and parses requests, and writes responses, all without blocking; the request
/// handler runs on the few threads of a ``HandlerPool``.
///
/// A connection costs its descriptor and a ``ServerConnection`` (a few hundred bytes) while it is
/// idle or trickling a request, never a thread, so slow or idle clients cannot starve scrapes.
/// When ``MetricsServerOptions/maxConnections`` (or the descriptor limit) is reached, a new
/// connection sheds the oldest idle one, else the oldest one still sending its request; only when
/// every connection is being answered is it refused with 503. Deadlines are checked four times a
/// second.
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
    private let notifier: EventNotifier
    private let poll: EventPoll
    private let pool: HandlerPool
    private let parser: HTTPRequestParser
    private let tls: ServerTLSIdentity?
    private let capacity: Int
    private let active = Atomic<Int>(0)
    private let rejected = Atomic<Int>(0)
    private let shed = Atomic<Int>(0)
    private let handshakeFailures = Atomic<Int>(0)
    private let finishedInTime = Atomic<Bool>(true)

    // Loop-thread state.
    private var connections: [ServerConnection?] = []
    private var count = 0
    private var serial: UInt64 = 0
    private var idle = ConnectionList(.idle)
    private var partial = ConnectionList(.partial)
    private let readBuffer: UnsafeMutableRawBufferPointer
    private var now = SystemClock.monotonic()
    private var listening = true
    private var listenerResumesAt = 0.0
    private var shutdownDeadline: Double?
    private let headLimit: Int
    private let rejection: [UInt8]

    private static let listenerToken = UInt64.max
    private static let notifierToken = UInt64.max - 1
    private static let sweepInterval = 0.25
    /// Seconds a connection lingers after a final error response.
    private static let lingerSeconds = 1.0

    /// Sets up the loop and its handler threads (the loop itself runs in ``run()``).
    ///
    /// - Throws: ``ServingError`` when TLS cannot be set up or a descriptor or thread cannot be made.
    init(
        listener: MetricsListener, options: MetricsServerOptions,
        handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse
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
        // Descriptors for the process's own files (the multiprocess merge reads them) stay free.
        capacity = max(1, min(options.maxConnections, (DescriptorLimit.current ?? 1024) - 64))
        headLimit = options.maxRequestLineBytes + options.maxHeaderBytes + 4
        rejection = HTTPResponse.text(
            status: 503, "too many connections (limit \(options.maxConnections)); retry later",
            headers: [HTTPHeader("Retry-After", "1")]
        ).serialized(version: .http11, keepAlive: false, omitBody: false)
        readBuffer = .allocate(byteCount: 64 * 1024, alignment: 16)
        let stopFlag = stopFlag
        pool = try HandlerPool(
            threads: options.handlerThreads, stackSize: options.threadStackSize, notifier: notifier,
            stopping: { stopFlag.isSet }, handler: handler)
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

    private func dispatch(_ token: UInt64, _ events: EventPoll.Events) {
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

    private func lookup(_ token: UInt64) -> ServerConnection? {
        let descriptor = Int(token & 0xffff_ffff)
        guard descriptor < connections.count, let connection = connections[descriptor], connection.token == token
        else { return nil }
        return connection
    }

    // MARK: - Accepting

    private func acceptWaiting() {
        // A bounded batch, so that a connection flood cannot starve the connections already open.
        for _ in 0..<64 {
            let client: Socket?
            do {
                client = try listener.socket.accept()
            } catch {
                // Out of descriptors: make room if an idle client can go, else stop accepting for a
                // moment instead of spinning on a listening socket that stays readable.
                if (error == .tooManyOpenFiles || error == .tooManyOpenFilesInSystem) && shedOldest() { continue }
                pauseListener()
                return
            }
            guard let client else { return }
            admit(client)
        }
    }

    private func admit(_ client: Socket) {
        if count >= capacity && !shedOldest() {
            reject(client)
            return
        }
        client.setNoDelay()
        var session: TLSSession?
        if let tls {
            guard let made = tls.context.session(on: client) else {
                client.close()
                return
            }
            session = made
        }
        serial += 1
        let token = serial << 32 | UInt64(UInt32(bitPattern: client.rawValue))
        let connection = ServerConnection(
            socket: client, token: token, tls: session, deadline: now + options.requestTimeout)
        do {
            try poll.add(client.rawValue, events: .readable, token: token)
        } catch {
            client.close()
            return
        }
        let descriptor = Int(client.rawValue)
        if descriptor >= connections.count {
            connections.append(contentsOf: repeatElement(nil, count: descriptor - connections.count + 1))
        }
        connections[descriptor] = connection
        count += 1
        active.store(count, ordering: .relaxed)
        if session == nil {
            idle.append(connection)
        } else {
            partial.append(connection)
        }
    }

    /// Closes the oldest connection that is not being answered: idle first, then part-way through
    /// a request.
    ///
    /// - Returns: whether one was closed.
    private func shedOldest() -> Bool {
        guard let victim = idle.oldest ?? partial.oldest else { return false }
        shed.add(1, ordering: .relaxed)
        close(victim)
        return true
    }

    /// Answers 503 (plain HTTP only: a TLS client would not understand it unencrypted) and closes.
    private func reject(_ client: Socket) {
        rejected.add(1, ordering: .relaxed)
        if tls == nil {
            _ = rejection.withUnsafeBytes { client.send($0) }
        }
        drainAndClose(client)
    }

    private func pauseListener() {
        guard listening else { return }
        poll.remove(listener.descriptor)
        listening = false
        listenerResumesAt = now + 0.1
    }

    private func resumeListener() {
        guard !listening, shutdownDeadline == nil else { return }
        if (try? poll.add(listener.descriptor, events: [.readable, .exclusive], token: Self.listenerToken)) != nil {
            listening = true
        } else {
            listenerResumesAt = now + 0.1
        }
    }

    // MARK: - Reading

    private func handshake(_ connection: ServerConnection) {
        guard let session = connection.tls else { return }
        switch session.handshake() {
        case .done:
            connection.phase = .reading
            move(connection, to: .idle)
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

    private func readAvailable(_ connection: ServerConnection) {
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

    private func process(_ connection: ServerConnection) {
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
        pool.submit(HandlerPool.Job(token: connection.token, request: request))
    }

    // MARK: - Writing

    private func respond(_ completion: HandlerPool.Completion) {
        guard let connection = lookup(completion.token), connection.phase == .busy else { return }
        connection.closeAfterWrite = !completion.keepAlive || shutdownDeadline != nil
        startWriting(connection, completion.bytes)
    }

    /// Sends a final error response, then lingers and closes.
    private func respondWithError(_ connection: ServerConnection, status: Int, _ message: String) {
        leaveList(connection)
        connection.closeAfterWrite = true
        connection.lingerAfterWrite = true
        let response = HTTPResponse.text(status: status, message)
        startWriting(connection, response.serialized(version: .http11, keepAlive: false, omitBody: false))
    }

    private func startWriting(_ connection: ServerConnection, _ bytes: [UInt8]) {
        connection.output = bytes
        connection.outputOffset = 0
        connection.phase = .writing
        connection.deadline = now + options.writeTimeout
        writeOutput(connection)
    }

    private func writeOutput(_ connection: ServerConnection) {
        while connection.outputOffset < connection.output.count {
            let sent = connection.output.withUnsafeBytes { bytes in
                connection.send(UnsafeRawBufferPointer(rebasing: bytes[connection.outputOffset...]))
            }
            switch sent {
            case .moved(let count):
                connection.outputOffset += count
            case .wait(let events):
                setInterest(connection, events)
                return
            case .closed:
                close(connection)
                return
            }
        }
        connection.output = []
        connection.outputOffset = 0
        if connection.closeAfterWrite {
            connection.tls?.shutdown()
            connection.socket.shutdownWrite()
            if connection.lingerAfterWrite {
                connection.phase = .lingering
                connection.deadline = now + Self.lingerSeconds
                connection.input = []
                setInterest(connection, .readable)
            } else {
                // An orderly close: the client asked for it or the server is stopping, so no more
                // request bytes are expected.
                close(connection, draining: true)
            }
            return
        }
        connection.phase = .reading
        if connection.input.isEmpty {
            connection.deadline = now + options.idleTimeout
            idle.append(connection)
        } else {
            connection.deadline = now + options.requestTimeout
            partial.append(connection)
        }
        setInterest(connection, .readable)
        if connection.tls != nil {
            readAvailable(connection)
        } else {
            process(connection)
        }
    }

    // MARK: - Deadlines, shutdown, closing

    private func sweep() {
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

    private func beginShutdown() {
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

    private func move(_ connection: ServerConnection, to kind: ConnectionList.Kind) {
        guard connection.list != kind else { return }
        leaveList(connection)
        if kind == .idle {
            idle.append(connection)
        } else {
            partial.append(connection)
        }
    }

    private func leaveList(_ connection: ServerConnection) {
        switch connection.list {
        case .idle: idle.remove(connection)
        case .partial: partial.remove(connection)
        case nil: break
        }
    }

    private func setInterest(_ connection: ServerConnection, _ events: EventPoll.Events) {
        guard connection.interest != events else { return }
        connection.interest = events
        try? poll.modify(connection.socket.rawValue, events: events, token: connection.token)
    }

    private func close(_ connection: ServerConnection, draining: Bool = false) {
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
    private func drainAndClose(_ socket: Socket) {
        socket.shutdownWrite()
        for _ in 0..<4 {
            let outcome = socket.receive(into: readBuffer)
            guard case .transferred(let count) = outcome, count > 0 else { break }
        }
        socket.close()
    }
}

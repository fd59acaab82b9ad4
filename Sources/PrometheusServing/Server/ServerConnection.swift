import PrometheusClient
import PrometheusSystem
import PrometheusTLS

/// One accepted connection, as the event loop sees it: its socket (and TLS session), what it is
/// doing, the bytes of a request not yet complete and of a response not yet sent.
///
/// Owned by the event loop thread; handler threads only ever see its ``token`` and, on a plain
/// connection, a duplicate of its descriptor to send a response on. An idle
/// connection holds no buffers: its cost is this object and a descriptor.
final class ServerConnection {
    /// What the connection is doing.
    enum Phase {
        /// The TLS handshake is under way.
        case handshaking
        /// Waiting for (the rest of) a request.
        case reading
        /// A handler thread is answering a request; nothing is read meanwhile (pipelined requests
        /// wait in ``input``).
        case busy
        /// Sending a response.
        case writing
        /// Sent a final error response and half-closed; reading what the client still sends, so
        /// that closing does not reset the connection before the client has read the response.
        case lingering
    }

    let socket: Socket
    /// The descriptor in the low 32 bits, a connection serial number above, so that a late event
    /// or handler result for a closed connection never reaches a new one on the same descriptor.
    let token: UInt64
    let tls: TLSSession?
    var phase: Phase
    /// When the current phase times out (monotonic seconds).
    var deadline: Double
    /// Still waiting for the first request: its time counts from the connection's start.
    var awaitingFirstRequest = true
    /// Received bytes not yet consumed by a complete request.
    var input: [UInt8] = []
    /// Whether ``input`` may have become parseable (see the event loop's read path).
    var mustParse = true
    var output: [UInt8] = []
    var outputOffset = 0
    var closeAfterWrite = false
    /// After the final response: linger (an error response) rather than close at once.
    var lingerAfterWrite = false
    var lingeringBytes = 0
    /// The events the descriptor is registered for.
    var interest: EventPoll.Events = .readable

    /// The shedding list the connection is on, and its neighbours there.
    var list: ConnectionList.Kind?
    var previous: ServerConnection?
    var next: ServerConnection?

    init(socket: Socket, token: UInt64, tls: TLSSession?, deadline: Double) {
        self.socket = socket
        self.token = token
        self.tls = tls
        self.phase = tls == nil ? .reading : .handshaking
        self.deadline = deadline
    }

    /// What a read or write did.
    enum Transfer {
        case moved(Int)
        /// Nothing now; wait for the given readiness.
        case wait(EventPoll.Events)
        /// The peer closed (reads) or the connection failed.
        case closed
    }

    /// Receives into `buffer` through TLS when there is a session.
    func receive(into buffer: UnsafeMutableRawBufferPointer) -> Transfer {
        if let tls {
            switch tls.read(into: buffer) {
            case .done(let count): return count > 0 ? .moved(count) : .closed
            case .wantRead: return .wait(.readable)
            case .wantWrite: return .wait(.writable)
            case .failed: return .closed
            }
        }
        switch socket.receive(into: buffer) {
        case .transferred(let count): return count > 0 ? .moved(count) : .closed
        case .wouldBlock: return .wait(.readable)
        case .failed: return .closed
        }
    }

    /// Sends what it can of `bytes` through TLS when there is a session.
    func send(_ bytes: UnsafeRawBufferPointer) -> Transfer {
        if let tls {
            switch tls.write(bytes) {
            case .done(let count): return .moved(count)
            case .wantRead: return .wait(.readable)
            case .wantWrite: return .wait(.writable)
            case .failed: return .closed
            }
        }
        switch socket.send(bytes) {
        case .transferred(let count): return .moved(count)
        case .wouldBlock: return .wait(.writable)
        case .failed: return .closed
        }
    }
}

/// The connections that can be shed when the server is full, oldest first: an intrusive doubly
/// linked list, so that joining, leaving and taking the oldest cost O(1) and no allocation.
struct ConnectionList {
    /// Which list: connections that have sent nothing yet (``fresh``: new, or through their TLS
    /// handshake), those part-way through sending a request (or through a TLS handshake), or idle
    /// keep-alive connections that completed a request: the clients worth keeping longest.
    enum Kind {
        case fresh, partial, idle
    }

    let kind: Kind
    private(set) var oldest: ServerConnection?
    private var newest: ServerConnection?
    private(set) var count = 0

    init(_ kind: Kind) {
        self.kind = kind
    }

    /// Appends `connection` as the newest.
    mutating func append(_ connection: ServerConnection) {
        connection.list = kind
        connection.previous = newest
        connection.next = nil
        if let newest {
            newest.next = connection
        } else {
            oldest = connection
        }
        newest = connection
        count += 1
    }

    /// Takes `connection` out of this list.
    mutating func remove(_ connection: ServerConnection) {
        if let previous = connection.previous {
            previous.next = connection.next
        } else {
            oldest = connection.next
        }
        if let next = connection.next {
            next.previous = connection.previous
        } else {
            newest = connection.previous
        }
        connection.previous = nil
        connection.next = nil
        connection.list = nil
        count -= 1
    }
}

import PrometheusClient
import PrometheusSystem
import PrometheusTLS
import Synchronization

extension HTTPEventLoop {
    // MARK: - Writing

    func respond(_ completion: HandlerPool.Completion) {
        if completion.usedDirectSocket { directSocketsOut -= 1 }
        guard let connection = lookup(completion.token), connection.phase == .busy else { return }
        connection.closeAfterWrite = !completion.keepAlive || shutdownDeadline != nil
        startWriting(connection, completion.bytes, alreadySent: completion.sent)
    }

    /// Sends a final error response, then lingers and closes.
    func respondWithError(_ connection: ServerConnection, status: Int, _ message: String) {
        leaveList(connection)
        connection.closeAfterWrite = true
        connection.lingerAfterWrite = true
        let response = HTTPResponse.text(status: status, message)
        startWriting(connection, response.serialized(version: .http11, keepAlive: false, omitBody: false))
    }

    /// Sends `bytes` from `alreadySent` on (the handler thread may have sent the start).
    func startWriting(_ connection: ServerConnection, _ bytes: [UInt8], alreadySent: Int = 0) {
        connection.output = bytes
        connection.outputOffset = alreadySent
        connection.phase = .writing
        connection.deadline = now + options.writeTimeout
        writeOutput(connection)
    }

    func writeOutput(_ connection: ServerConnection) {
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
}

import PrometheusClient
import PrometheusSystem
import PrometheusTLS
import Synchronization

extension HTTPEventLoop {
    // MARK: - Accepting

    func acceptWaiting() {
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

    func admit(_ client: Socket) {
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
            fresh.append(connection)
        } else {
            partial.append(connection)
        }
    }

    /// Closes the oldest connection that is not being answered, proven clients last: one that never
    /// sent anything first, then one part-way through a request (a slowloris looks like that), and
    /// only then an idle keep-alive connection that completed a request (a scraper reusing its
    /// connection).
    ///
    /// - Returns: whether one was closed.
    func shedOldest() -> Bool {
        guard let victim = fresh.oldest ?? partial.oldest ?? idle.oldest else { return false }
        shed.add(1, ordering: .relaxed)
        close(victim)
        return true
    }

    /// Answers 503 (plain HTTP only: a TLS client would not understand it unencrypted) and closes.
    func reject(_ client: Socket) {
        rejected.add(1, ordering: .relaxed)
        if tls == nil {
            _ = rejection.withUnsafeBytes { client.send($0) }
        }
        drainAndClose(client)
    }

    func pauseListener() {
        guard listening else { return }
        poll.remove(listener.descriptor)
        listening = false
        listenerResumesAt = now + 0.1
    }

    func resumeListener() {
        guard !listening, shutdownDeadline == nil else { return }
        if (try? poll.add(listener.descriptor, events: [.readable, .exclusive], token: Self.listenerToken)) != nil {
            listening = true
        } else {
            listenerResumesAt = now + 0.1
        }
    }
}

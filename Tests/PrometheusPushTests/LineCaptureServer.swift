import Dispatch
import Foundation
import Glibc
import PrometheusTestSupport
import Synchronization

/// A TCP receiver on 127.0.0.1 for Graphite tests: accepts connections one after another and keeps
/// everything each one sent until it closed. With `readsData: false` it accepts but never reads, so a
/// sender's socket buffer fills up and its send blocks.
final class LineCaptureServer: Sendable {
    struct SetupError: Error, CustomStringConvertible {
        var description: String
    }

    let port: UInt16
    private let listener: Int32
    private let readsData: Bool
    private let received = Mutex<[String]>([])
    private let stopping = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    init(port: UInt16 = 0, readsData: Bool = true) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            throw SetupError(description: "socket: \(String(cString: strerror(errno)))")
        }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if !readsData {
            // A small receive buffer (inherited by accepted sockets) makes a sender block sooner.
            var small: Int32 = 4096
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw SetupError(description: "bind/listen on 127.0.0.1:\(port): \(message)")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.port = UInt16(bigEndian: actual.sin_port)
        self.listener = fd
        self.readsData = readsData
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// Everything received so far, one string per finished connection.
    var connections: [String] {
        received.withLock { $0 }
    }

    /// Waits (bounded) until at least `count` connections have finished; returns them all.
    func waitForConnections(_ count: Int, timeout: Duration = .seconds(10)) -> [String] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let current = connections
            if current.count >= count {
                return current
            }
            usleep(5_000)
        }
        return connections
    }

    /// Stops accepting, waits for the accept thread and closes the listening socket.
    func stop() {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else {
            return
        }
        _ = finished.wait(timeout: .now() + 5)
        close(listener)
    }

    deinit {
        stop()
    }

    private func acceptLoop() {
        defer { finished.signal() }
        var held: [Int32] = []
        defer {
            for fd in held {
                close(fd)
            }
        }
        while !stopping.load(ordering: .acquiring) {
            var descriptor = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 20) > 0 else {
                continue
            }
            let client = accept(listener, nil, nil)
            guard client >= 0 else {
                continue
            }
            if readsData {
                let text = readUntilClosed(client)
                close(client)
                received.withLock { $0.append(text) }
            } else {
                held.append(client)
            }
        }
    }

    private func readUntilClosed(_ fd: Int32) -> String {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline && !stopping.load(ordering: .relaxed) {
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 20) > 0 else {
                continue
            }
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count <= 0 {
                break
            }
            bytes += buffer[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

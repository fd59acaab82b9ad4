import Foundation
import Glibc
import PrometheusTestSupport
import Synchronization
import Testing

/// The built-in server under a connection flood, run in its own process (`http-benchmark-server`)
/// so that its threads and memory can be read from /proc apart from the test runner's.
// Scripts/test.sh runs this suite alone: its 5,000 client sockets live in the test runner, and
// Foundation's Process.run, which other suites call, crashed while they were open.
@Suite("Built-in server under a connection flood", .serialized)
struct ConnectionFloodTests {
    /// Opens a TCP connection to 127.0.0.1:`port` and returns its descriptor (-1 on failure).
    private static func connectTo(port: Int) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return -1 }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if connected != 0 {
            close(fd)
            return -1
        }
        return fd
    }

    @Test(
        "5,000 idle connections and a 300-connection slowloris do not stop a fresh-connection scraper; threads and memory stay bounded and return"
    )
    func floodDoesNotStarveScrapes() throws {
        let server = try ServerProcess(
            executable: "http-benchmark-server",
            arguments: [
                "--port", "0", "--families", "10", "--children", "100", "--max-connections", "10000",
                "--request-timeout", "120",
            ])
        #expect(try RawHTTPClient.get(port: server.port, path: "/metrics").status == 200)
        let startThreads = server.status("Threads")
        let startResidentKiB = server.status("VmRSS")
        let startDescriptors = server.openDescriptors

        var idle: [Int32] = []
        var slow: [Int32] = []
        defer {
            for fd in idle + slow where fd >= 0 { close(fd) }
        }
        for _ in 0..<5_000 { idle.append(Self.connectTo(port: server.port)) }
        for _ in 0..<300 {
            let fd = Self.connectTo(port: server.port)
            if fd >= 0 { _ = send(fd, "GET /metrics HTTP/1.1\r\n", 23, Int32(MSG_NOSIGNAL)) }
            slow.append(fd)
        }
        #expect(idle.allSatisfy { $0 >= 0 } && slow.allSatisfy { $0 >= 0 }, "every flood connection was accepted")
        // A request timeout of 120 s keeps the flood open for the whole test: the server holds it.
        let acceptDeadline = Date().addingTimeInterval(5)
        while server.openDescriptors < startDescriptors + 5_300 && Date() < acceptDeadline { usleep(50_000) }
        let floodDescriptors = server.openDescriptors

        // The slowloris trickles a header byte per connection every 500 ms while the scraper runs.
        let stopTrickling = Atomic<Bool>(false)
        let slowDescriptors = slow
        let trickler = Thread {
            while !stopTrickling.load(ordering: .relaxed) {
                for fd in slowDescriptors where fd >= 0 { _ = send(fd, "X", 1, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
                usleep(500_000)
            }
        }
        trickler.start()
        defer { stopTrickling.store(true, ordering: .relaxed) }

        var latencies: [Double] = []
        var failures: [String] = []
        var peakThreads = 0
        var peakResidentKiB = 0
        for _ in 0..<30 {
            let started = Date()
            do {
                let response = try RawHTTPClient.get(port: server.port, path: "/metrics")
                if response.status != 200 || !response.text.contains("bench_family_9_total") {
                    failures.append("status \(response.status)")
                }
            } catch {
                failures.append("\(error)")
            }
            latencies.append(Date().timeIntervalSince(started))
            peakThreads = max(peakThreads, server.status("Threads"))
            peakResidentKiB = max(peakResidentKiB, server.status("VmRSS"))
            usleep(200_000)
        }
        stopTrickling.store(true, ordering: .relaxed)

        #expect(failures.isEmpty, "every scrape succeeds during the flood: \(failures)")
        let slowest = latencies.max() ?? 0
        #expect(slowest < 2, "scrape latency stays bounded: slowest \(slowest) s of \(latencies.count)")
        #expect(peakThreads == startThreads, "no thread per connection: \(startThreads) → \(peakThreads)")
        #expect(floodDescriptors >= startDescriptors + 5_000, "the flood is held: \(floodDescriptors) descriptors")
        let perConnectionBytes = Double(peakResidentKiB - startResidentKiB) * 1024 / 5_300
        #expect(perConnectionBytes < 4_096, "a held connection costs \(Int(perConnectionBytes)) bytes of memory")

        for fd in idle + slow where fd >= 0 { close(fd) }
        idle = []
        slow = []
        let deadline = Date().addingTimeInterval(10)
        while server.openDescriptors > startDescriptors + 8 && Date() < deadline { usleep(50_000) }
        #expect(server.openDescriptors <= startDescriptors + 8, "descriptors return: \(server.openDescriptors)")
        #expect(server.status("Threads") == startThreads)
        let endResidentKiB = server.status("VmRSS")
        #expect(
            endResidentKiB - startResidentKiB < 16 * 1024,
            "memory returns: \(startResidentKiB) → \(peakResidentKiB) → \(endResidentKiB) KiB")
        #expect(try RawHTTPClient.get(port: server.port, path: "/metrics").status == 200)
    }

    @Test("slowloris connections are cut off at the request timeout, not held for ever")
    func slowlorisIsCutOffAtTheRequestDeadline() throws {
        let server = try ServerProcess(
            executable: "http-benchmark-server", arguments: ["--port", "0", "--families", "1", "--children", "1"])
        let clients = try (0..<20).map { _ in try RawHTTPClient(port: server.port) }
        for client in clients { client.send("GET /metrics HTTP/1.1\r\n") }
        // The server's request timeout is 10 s, then 408 and a second of lingering; trickling extends
        // neither. A send fails once the client has seen the server's reset.
        let trickleUntil = Date().addingTimeInterval(16)
        var cutOff = 0
        while Date() < trickleUntil && cutOff < clients.count {
            cutOff = 0
            for client in clients where !client.send("X-Slow: 1\r\n") { cutOff += 1 }
            usleep(500_000)
        }
        #expect(cutOff == clients.count, "\(cutOff) of \(clients.count) trickling clients were cut off within 16 s")
    }
}

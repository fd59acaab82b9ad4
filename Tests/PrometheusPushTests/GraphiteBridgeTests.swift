import Foundation
import PrometheusTestSupport
import Synchronization
import Testing

@testable import PrometheusClient
@testable import PrometheusPush

@Suite("Graphite bridge over TCP")
struct GraphiteBridgeTests {
    static let families = [
        MetricFamily(
            name: "jobs", help: "h", type: .counter,
            samples: [Sample(name: "jobs_total", labels: [Label("queue", "mail")], value: 7)]),
        MetricFamily(name: "depth", help: "h", type: .gauge, samples: [Sample(name: "depth", value: 2.5)]),
    ]

    /// Families big enough (about 8 MB of lines) to fill the socket buffers of a receiver that does
    /// not read, so the sender blocks.
    static let bulkyFamilies = [
        MetricFamily(
            name: "bulk", help: "h", type: .gauge,
            samples: (0..<150_000).map { Sample(name: "bulk", labels: [Label("series", "s\($0)")], value: Double($0)) })
    ]

    /// Checks every line: three fields, a known path, a value that parses, a recent timestamp.
    static func checkLines(_ text: String, prefix: String) {
        let now = Int64(Date().timeIntervalSince1970)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.last == "", "the text ends with a newline")
        let expectedPaths = ["\(prefix).jobs_total.queue.mail": 7.0, "\(prefix).depth": 2.5]
        var seen: [String] = []
        for line in lines.dropLast() {
            let fields = line.split(separator: " ")
            #expect(fields.count == 3, "line \(line)")
            guard fields.count == 3 else { continue }
            #expect(expectedPaths[String(fields[0])] == Double(fields[1]), "line \(line)")
            let timestamp = Int64(fields[2]) ?? 0
            #expect(abs(timestamp - now) <= 5, "line \(line)")
            seen.append(String(fields[0]))
        }
        #expect(seen.sorted() == expectedPaths.keys.sorted())
    }

    @Test("a one-shot push sends every line over one connection")
    func oneShotPush() throws {
        let server = try LineCaptureServer()
        defer { server.stop() }
        let bridge = GraphiteBridge(host: "127.0.0.1", port: Int(server.port), timeout: .seconds(5)) {
            Self.families
        }
        try bridge.push(prefix: "svc")
        let received = server.waitForConnections(1)
        try #require(received.count == 1)
        Self.checkLines(received[0], prefix: "svc")
    }

    @Test("a bridge made from a registry sends that registry's samples")
    func registryBridgePushesTheRegistry() throws {
        let server = try LineCaptureServer()
        defer { server.stop() }
        let registry = CollectorRegistry()
        try Gauge(name: "queue_depth", help: "Depth.", registry: registry).set(4)
        let bridge = GraphiteBridge(host: "127.0.0.1", port: Int(server.port), timeout: .seconds(5), registry: registry)
        try bridge.push(prefix: "svc")
        let received = server.waitForConnections(1)
        try #require(received.count == 1)
        #expect(received[0].hasPrefix("svc.queue_depth 4.0 "), "\(received[0])")
    }

    @Test("a collector failure is reported after the other families were sent")
    func collectionFailureIsReported() throws {
        let server = try LineCaptureServer()
        defer { server.stop() }
        let bridge = GraphiteBridge(
            host: "127.0.0.1", port: Int(server.port), timeout: .seconds(5), tags: false,
            clock: { Date().timeIntervalSince1970 }, source: { (Self.families, ["collector X failed"]) })
        #expect(throws: GraphiteError.collectionFailed("collector X failed")) {
            try bridge.push(prefix: "svc")
        }
        let received = server.waitForConnections(1)
        try #require(received.count == 1)
        Self.checkLines(received[0], prefix: "svc")
    }

    @Test("a collect closure that throws sends nothing and reports the error")
    func throwingCollectSendsNothing() throws {
        struct Broken: Error, CustomStringConvertible {
            var description: String { "database unreachable" }
        }
        let server = try LineCaptureServer()
        defer { server.stop() }
        let bridge = GraphiteBridge(host: "127.0.0.1", port: Int(server.port), timeout: .seconds(5)) {
            throw Broken()
        }
        #expect(throws: GraphiteError.collectionFailed("database unreachable")) { try bridge.push() }
        #expect(server.waitForConnections(1, timeout: .milliseconds(300)).isEmpty)
    }

    @Test("a refused connection is a typed error")
    func refusedConnectionIsTyped() throws {
        let server = try LineCaptureServer()
        let port = Int(server.port)
        server.stop()
        let bridge = GraphiteBridge(host: "127.0.0.1", port: port, timeout: .seconds(5)) { Self.families }
        do {
            try bridge.push()
            Issue.record("the push should fail")
        } catch {
            guard case .connectionFailed(let host, let failedPort, _) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(host == "127.0.0.1" && failedPort == port)
        }
    }

    @Test("a receiver that stops reading makes the push time out")
    func stalledReceiverTimesOut() throws {
        let server = try LineCaptureServer(readsData: false)
        defer { server.stop() }
        let bridge = GraphiteBridge(host: "127.0.0.1", port: Int(server.port), timeout: .milliseconds(300)) {
            Self.bulkyFamilies
        }
        let started = ContinuousClock.now
        #expect(throws: GraphiteError.timedOut(host: "127.0.0.1", port: Int(server.port), seconds: 0.3)) {
            try bridge.push()
        }
        #expect(ContinuousClock.now - started < .seconds(3))
    }

    @Test("the periodic pusher pushes at once, then every interval")
    func periodicPusherPushesOnSchedule() throws {
        let server = try LineCaptureServer()
        defer { server.stop() }
        let bridge = GraphiteBridge(host: "127.0.0.1", port: Int(server.port), timeout: .seconds(5)) { Self.families }
        let started = ContinuousClock.now
        let pusher = try bridge.start(interval: .milliseconds(500), prefix: "svc")
        let first = server.waitForConnections(1)
        let firstArrived = ContinuousClock.now - started
        let received = server.waitForConnections(3)
        let threeArrived = ContinuousClock.now - started
        #expect(pusher.stop())
        try #require(first.count >= 1)
        #expect(firstArrived < .milliseconds(450), "the first push happens at once, not after one interval")
        try #require(received.count >= 3)
        #expect(threeArrived >= .milliseconds(990), "three pushes need two intervals")
        for text in received {
            Self.checkLines(text, prefix: "svc")
        }
        #expect(pusher.failedPushes == 0)
    }

    @Test("the periodic pusher keeps going after the receiver restarts")
    func periodicPusherReconnects() throws {
        let first = try LineCaptureServer()
        let port = first.port
        let errors = Mutex<[GraphiteError]>([])
        let bridge = GraphiteBridge(host: "127.0.0.1", port: Int(port), timeout: .seconds(2)) { Self.families }
        let pusher = try bridge.start(interval: .milliseconds(100), prefix: "svc") { error in
            errors.withLock { $0.append(error) }
        }
        defer { pusher.stop() }
        try #require(first.waitForConnections(1).count >= 1)
        first.stop()
        // Bounded wait for the pusher to notice the receiver is gone.
        let deadline = ContinuousClock.now + .seconds(10)
        while pusher.failedPushes == 0 && ContinuousClock.now < deadline {
            usleep(10_000)
        }
        try #require(pusher.failedPushes > 0)
        #expect(!pusher.isStopped)
        let second = try LineCaptureServer(port: port)
        defer { second.stop() }
        let received = second.waitForConnections(2)
        try #require(received.count >= 2)
        Self.checkLines(received[1], prefix: "svc")
        let logged = errors.withLock { $0 }
        #expect(logged.contains { if case .connectionFailed = $0 { true } else { false } })
    }

    @Test("stop() returns promptly even while a push is blocked on a stalled receiver")
    func stopIsBoundedDuringBlockedPush() throws {
        let server = try LineCaptureServer(readsData: false)
        defer { server.stop() }
        let bridge = GraphiteBridge(host: "127.0.0.1", port: Int(server.port), timeout: .seconds(60)) {
            Self.bulkyFamilies
        }
        let pusher = try bridge.start(interval: .seconds(3600))
        // Let the first push get stuck in send.
        usleep(500_000)
        #expect(pusher.attemptedPushes == 1)
        #expect(!pusher.isStopped)
        let started = ContinuousClock.now
        #expect(pusher.stop(timeout: .seconds(5)))
        #expect(ContinuousClock.now - started < .seconds(1))
        #expect(pusher.isStopped)
        #expect(pusher.failedPushes == 0, "an abandoned push is not a failure")
    }

    @Test("stop() ends an idle pusher at once")
    func stopEndsIdlePusher() throws {
        let server = try LineCaptureServer()
        defer { server.stop() }
        let bridge = GraphiteBridge(host: "127.0.0.1", port: Int(server.port), timeout: .seconds(5)) { Self.families }
        let pusher = try bridge.start(interval: .seconds(3600))
        try #require(server.waitForConnections(1).count == 1)
        let started = ContinuousClock.now
        #expect(pusher.stop(timeout: .seconds(5)))
        #expect(ContinuousClock.now - started < .milliseconds(500))
        #expect(pusher.stop(timeout: .seconds(1)), "stopping twice is harmless")
    }

    @Test("a non-positive interval is rejected")
    func nonPositiveIntervalIsRejected() throws {
        let bridge = GraphiteBridge(host: "127.0.0.1", port: 1) { [] }
        #expect(throws: GraphiteError.self) { try bridge.start(interval: .zero) }
        #expect(throws: GraphiteError.self) { try bridge.start(prefix: "bad prefix") }
    }
}

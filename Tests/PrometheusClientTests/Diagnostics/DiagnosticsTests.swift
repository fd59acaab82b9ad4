import Foundation
import Glibc
import PrometheusTestSupport
import Synchronization
import Testing

@testable import PrometheusClient
@testable import PrometheusSystem

/// Library messages reach one replaceable hook; the default is one `prometheus:` line on stderr.
@Suite("Diagnostics: one replaceable hook", .serialized)
struct DiagnosticsTests {
    @Test("the default line carries the prometheus prefix, Graphite's its own")
    func defaultLinesKeepTheirPrefixes() {
        #expect(DiagnosticMessage(source: .collector, text: "skipping x").description == "prometheus: skipping x")
        #expect(
            DiagnosticMessage(source: .graphite, text: "push failed: y").description
                == "prometheus-graphite: push failed: y")
    }
}

/// The system layer's one retry policy: EINTR is retried, would-block is told apart from failure.
@Suite("System layer: the retry helper")
struct RetryPolicyTests {
    /// A call that fails with each of `errors` in turn (setting errno), then returns `success`.
    final class ScriptedCall: @unchecked Sendable {
        var errors: [Int32]
        let success: Int
        private(set) var calls = 0
        init(failingWith errors: [Int32], then success: Int) {
            self.errors = errors
            self.success = success
        }
        func callAsFunction() -> Int {
            calls += 1
            guard !errors.isEmpty else { return success }
            errno = errors.removeFirst()
            return -1
        }
    }

    @Test("an interrupted call is run again until it returns")
    func interruptedCallsAreRetried() throws {
        let call = ScriptedCall(failingWith: [EINTR, EINTR], then: 7)
        #expect(try retryingInterrupts { call() } == 7)
        #expect(call.calls == 3)
    }

    @Test("any other failure is thrown as its Errno, once")
    func otherFailuresAreThrown() {
        let call = ScriptedCall(failingWith: [EINTR, ENOSPC], then: 7)
        #expect(throws: Errno.noSpace) { try retryingInterrupts { call() } }
        #expect(call.calls == 2)
    }

    @Test("in the non-blocking form, EAGAIN means nothing to do now, not a failure")
    func wouldBlockIsNil() throws {
        let call = ScriptedCall(failingWith: [EINTR, EAGAIN], then: 7)
        let wouldBlock: (Errno) -> Bool = { $0.meansWouldBlock }
        #expect(try retryingInterrupts(unlessWouldBlock: wouldBlock, call.callAsFunction) == nil)
        #expect(call.calls == 2)
        let failing = ScriptedCall(failingWith: [EBADF], then: 7)
        #expect(throws: Errno(rawValue: EBADF)) {
            try retryingInterrupts(unlessWouldBlock: wouldBlock, failing.callAsFunction)
        }
    }
}

/// The non-blocking calls of the system layer tell "nothing to do now" apart from a failure.
@Suite("System layer: non-blocking calls")
struct NonBlockingCallTests {
    @Test("an inotify watch reports nothing when nothing happened, and a change once when it did")
    func directoryWatchDrains() throws {
        let directory = try MultiprocessFixtures.temporaryDirectory("watch")
        defer { MultiprocessFixtures.remove(directory) }
        let watch = try DirectoryWatch(path: directory)
        #expect(!watch.drainChanges(), "an empty queue is not a change")
        #expect(FileManager.default.createFile(atPath: directory + "/counter_1.db", contents: Data([1])))
        #expect(watch.drainChanges())
        #expect(!watch.drainChanges(), "drained")
    }

    @Test("a send into a full socket buffer would block; it does not fail")
    func fullSocketBufferWouldBlock() throws {
        var descriptors: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &descriptors) == 0)
        let sender = Socket(rawValue: descriptors[0])
        let receiver = Socket(rawValue: descriptors[1])
        defer {
            sender.close()
            receiver.close()
        }
        let chunk = [UInt8](repeating: 7, count: 64 << 10)
        var outcome: Socket.Transfer = .transferred(0)
        for _ in 0..<1000 {
            outcome = chunk.withUnsafeBytes { sender.send($0) }
            guard case .transferred = outcome else { break }
        }
        guard case .wouldBlock = outcome else {
            Issue.record("expected wouldBlock, got \(outcome)")
            return
        }
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        let received = buffer.withUnsafeMutableBytes { receiver.receive(into: $0) }
        guard case .transferred(let count) = received, count > 0 else {
            Issue.record("expected bytes, got \(received)")
            return
        }
        var empty = [UInt8](repeating: 0, count: 16)
        let drained = Socket(rawValue: descriptors[0])
        let nothing = empty.withUnsafeMutableBytes { drained.receive(into: $0) }
        guard case .wouldBlock = nothing else {
            Issue.record("an empty socket should would-block, got \(nothing)")
            return
        }
    }
}

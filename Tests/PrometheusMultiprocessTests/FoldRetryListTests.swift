import PrometheusTestSupport
import Testing

@testable import PrometheusClient
@testable import PrometheusMultiprocess

/// The list of writers whose archiving failed is an object of its own: a test makes one, and the
/// process's list is never touched.
@Suite("Multiprocess master: the fold retry list")
struct FoldRetryListTests {
    @Test("a failed writer waits for another try; a handled one is forgotten, per directory")
    func failedWritersWaitUntilHandled() {
        let list = FoldRetryList()
        list.record("12", archiving: true, in: "/a", failed: true)
        list.record("7", archiving: false, in: "/a", failed: true)
        list.record("12", archiving: true, in: "/b", failed: true)
        #expect(list.waiting(in: "/a") == ["12", "7"])
        list.record("12", archiving: true, in: "/a", failed: false)
        #expect(list.waiting(in: "/a") == ["7"])
        #expect(list.waiting(in: "/b") == ["12"])
        #expect(FoldRetryList.shared.waiting(in: "/a").isEmpty)
    }

    @Test("a retry of a writer whose files are gone succeeds and forgets it")
    func aRetryThatSucceedsForgets() throws {
        let path = try MultiprocessFixtures.temporaryDirectory("retry")
        defer { MultiprocessFixtures.remove(path) }
        let list = FoldRetryList()
        list.record("4242", archiving: true, in: path, failed: true)
        list.retry(in: try MultiprocessDirectory(path: path, forWriting: true), notMoreOftenThan: 0)
        #expect(list.waiting(in: path).isEmpty)
    }
}

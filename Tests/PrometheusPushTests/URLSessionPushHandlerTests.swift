import Foundation
import PrometheusTestSupport
import Testing

@testable import PrometheusClient
@testable import PrometheusPush

@Suite("Pushgateway transport against a real gateway")
struct URLSessionPushHandlerTests {
    static let body = Array("# TYPE batch_items gauge\nbatch_items{kind=\"a\"} 42\n".utf8)

    static func request(_ gateway: PushgatewayProcess, _ method: PushMethod, job: String, key: [String: String])
        throws -> PushRequest
    {
        let path = try PushgatewayPath.path(job: job, groupingKey: key)
        var request = PushRequest(
            url: URL(string: "http://\(gateway.address)\(path)")!, method: method, timeout: .seconds(10))
        request.setHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        if method != .delete {
            request.body = body
        }
        return request
    }

    @Test("tricky grouping keys arrive at the gateway exactly as given")
    func groupingKeysRoundTrip() throws {
        let gateway = try PushgatewayProcess()
        defer { gateway.stop() }
        let key = ["instance": "a/b", "e": "", "plain": "ok+&?é", "zone": "x y", "uni": "😀ü", "dot": ".."]
        let response = try URLSessionPushHandler().send(try Self.request(gateway, .put, job: "my/job", key: key))
        #expect(response.statusCode == 200, "\(response.bodyText)")
        let groups = try gateway.groups()
        try #require(groups.count == 1)
        var expected = key
        expected["job"] = "my/job"
        #expect(groups[0].labels == expected)
        let items = try #require(groups[0].metrics["batch_items"])
        #expect(items.map(\.value) == ["42"])
        #expect(items.first?.labels["kind"] == "a")
        #expect(items.first?.labels["uni"] == "😀ü")
    }

    @Test("the async form sends the same request")
    func asyncSend() async throws {
        let gateway = try PushgatewayProcess()
        defer { gateway.stop() }
        let response = try await URLSessionPushHandler().send(try Self.request(gateway, .post, job: "async", key: [:]))
        #expect(response.statusCode == 200, "\(response.bodyText)")
        #expect(try gateway.groups().map(\.labels) == [["job": "async"]])
    }

    @Test("a refused connection is a typed transport error")
    func refusedConnection() throws {
        let gateway = try PushgatewayProcess()
        let request = try Self.request(gateway, .put, job: "j", key: [:])
        gateway.stop()
        do {
            _ = try URLSessionPushHandler().send(request)
            Issue.record("the send should fail")
        } catch {
            guard case .transportFailed(let url, _) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(url == request.url.absoluteString)
        }
    }

    @Test("a gateway that never answers gives a typed timeout")
    func silentServerTimesOut() throws {
        // A listener that accepts but never reads or answers.
        let silent = try LineCaptureServer(readsData: false)
        defer { silent.stop() }
        let request = PushRequest(
            url: URL(string: "http://127.0.0.1:\(silent.port)/metrics/job/j")!, method: .put, body: Self.body,
            timeout: .milliseconds(500))
        let started = ContinuousClock.now
        #expect(throws: PushError.timedOut(url: request.url.absoluteString, seconds: 0.5)) {
            try URLSessionPushHandler().send(request)
        }
        #expect(ContinuousClock.now - started < .seconds(5))
    }
}

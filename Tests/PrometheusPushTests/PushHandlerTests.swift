import Foundation
import PrometheusTestSupport
import Testing

@testable import PrometheusClient
@testable import PrometheusPush

@Suite("Push handlers: basic auth, extra headers, custom handlers")
struct PushHandlerTests {
    /// bcrypt of "secret" (cost 4), for the gateway's `basic_auth_users`.
    static let webConfig = """
        basic_auth_users:
          pusher: $2b$04$abcdefghijklmnopqrstuu2r9OfJnfCsdneAXAGHnS4UpFFP8WIrW

        """
    static let goodAuthorization = BasicAuthPushHandler(username: "pusher", password: "secret").authorization

    static func request(_ gateway: PushgatewayProcess, job: String) -> PushRequest {
        PushRequest(
            url: URL(string: "http://\(gateway.address)/metrics/job/\(job)")!, method: .put,
            headers: [(name: "Content-Type", value: "text/plain; version=0.0.4; charset=utf-8")],
            body: Array("auth_probe 1\n".utf8), timeout: .seconds(10))
    }

    @Test("the basic-auth header equals the one Python's basic_auth_handler sends")
    func basicAuthHeaderMatchesPython() throws {
        let script = """
            import sys
            import prometheus_client.exposition as exposition
            def capture(url, method, timeout, headers, data):
                def send():
                    for name, value in headers:
                        if name == 'Authorization':
                            sys.stdout.write(value.decode() if isinstance(value, bytes) else value)
                return send
            exposition.default_handler = capture
            exposition.basic_auth_handler('http://x', 'PUT', 1, [], b'', sys.argv[1], sys.argv[2])()
            """
        for (user, password) in [("pusher", "secret"), ("ü ser", "p:ss wörd")] {
            let python = try ExternalTool.runPython(script, arguments: [user, password])
            #expect(BasicAuthPushHandler(username: user, password: password).authorization == python)
        }
    }

    @Test("a gateway behind basic auth accepts the right credentials")
    func basicAuthAccepted() throws {
        let gateway = try PushgatewayProcess(webConfig: Self.webConfig, authorization: Self.goodAuthorization)
        defer { gateway.stop() }
        let response = try BasicAuthPushHandler(username: "pusher", password: "secret")
            .send(Self.request(gateway, job: "authed"))
        #expect(response.statusCode == 200, "\(response.bodyText)")
        #expect(try gateway.groups().map(\.labels) == [["job": "authed"]])
    }

    @Test("wrong credentials get the gateway's 401 answer back")
    func basicAuthRejected() async throws {
        let gateway = try PushgatewayProcess(webConfig: Self.webConfig, authorization: Self.goodAuthorization)
        defer { gateway.stop() }
        let response = try await BasicAuthPushHandler(username: "pusher", password: "wrong")
            .send(Self.request(gateway, job: "denied"))
        #expect(response.statusCode == 401)
        #expect(response.bodyText.contains("Unauthorized"))
        #expect(try gateway.groups().isEmpty)
    }

    @Test("extra headers reach the gateway and replace fields of the same name")
    func headersReachGateway() throws {
        let gateway = try PushgatewayProcess(webConfig: Self.webConfig, authorization: Self.goodAuthorization)
        defer { gateway.stop() }
        var request = Self.request(gateway, job: "headers")
        request.setHeader("authorization", "Basic d3Jvbmc6d3Jvbmc=")
        let handler = HeaderPushHandler(headers: ["Authorization": Self.goodAuthorization, "X-Tenant": "blue"])
        let response = try handler.send(request)
        #expect(response.statusCode == 200, "\(response.bodyText)")
        #expect(try gateway.groups().map(\.labels) == [["job": "headers"]])
    }

    @Test("a custom handler with only the synchronous form also works from async code")
    func syncOnlyHandlerServesAsync() async throws {
        struct AuthorizingHandler: PushHandler {
            let next = URLSessionPushHandler()
            func send(_ request: PushRequest) throws(PushError) -> PushResponse {
                var changed = request
                changed.setHeader("Authorization", PushHandlerTests.goodAuthorization)
                return try next.send(changed)
            }
        }
        let gateway = try PushgatewayProcess(webConfig: Self.webConfig, authorization: Self.goodAuthorization)
        defer { gateway.stop() }
        let response = try await AuthorizingHandler().send(Self.request(gateway, job: "custom"))
        #expect(response.statusCode == 200, "\(response.bodyText)")
        #expect(try gateway.groups().map(\.labels) == [["job": "custom"]])
    }
}

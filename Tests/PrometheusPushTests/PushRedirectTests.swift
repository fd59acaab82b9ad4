import Foundation
import PrometheusServing
import PrometheusTestSupport
import Testing

@testable import PrometheusClient
@testable import PrometheusPush

/// A push answered with a redirect must never replace a group with nothing: it fails, as the Python
/// client's default handler does, unless a handler is asked to resend the request unchanged.
@Suite("Pushgateway redirects")
struct PushRedirectTests {
    static let options: MetricsServerOptions = {
        var options = MetricsServerOptions()
        options.maxBodyBytes = 1 << 20
        return options
    }()

    /// A server that answers every request with `status` and a `Location` on the real gateway.
    static func redirector(to gateway: PushgatewayProcess, status: Int) throws -> HTTPServer {
        let address = gateway.address
        return try HTTPServer.start(port: 0, options: Self.options) { request in
            HTTPResponse(status: status, headers: [HTTPHeader("Location", "http://\(address)\(request.target)")])
        }
    }

    static func registry(value: Double) throws -> CollectorRegistry {
        let registry = CollectorRegistry()
        try Gauge(name: "batch_items", help: "Items.", registry: registry).set(value)
        return registry
    }

    static func pushedValue(_ gateway: PushgatewayProcess) throws -> String? {
        try gateway.groups().first?.metrics["batch_items"]?.first?.value
    }

    @Test(arguments: [301, 302, 303, 307, 308])
    func aRedirectedPushFailsAndLeavesTheGroupAsItWas(status: Int) throws {
        let gateway = try PushgatewayProcess()
        defer { gateway.stop() }
        try Pushgateway(gateway.address).push(job: "j", registry: try Self.registry(value: 1))
        let redirector = try Self.redirector(to: gateway, status: status)
        defer { redirector.stop() }
        let client = try Pushgateway("127.0.0.1:\(redirector.port)", timeout: .seconds(10))
        for push in [
            { try client.push(job: "j", registry: try Self.registry(value: 2)) },
            { try client.pushAdd(job: "j", registry: try Self.registry(value: 3)) },
        ] {
            #expect {
                try push()
            } throws: { error in
                guard case .redirected(let code, let location) = error as? PushError else { return false }
                return code == status && location?.hasPrefix("http://\(gateway.address)/metrics/job/j") == true
            }
        }
        #expect(try Self.pushedValue(gateway) == "1")
    }

    @Test(arguments: [302, 307])
    func theRedirectFollowingHandlerResendsMethodAndBody(status: Int) throws {
        let gateway = try PushgatewayProcess()
        defer { gateway.stop() }
        let redirector = try Self.redirector(to: gateway, status: status)
        defer { redirector.stop() }
        let client = try Pushgateway(
            "127.0.0.1:\(redirector.port)", timeout: .seconds(10), handler: RedirectFollowingPushHandler())
        try client.push(job: "j", registry: try Self.registry(value: 5))
        #expect(try Self.pushedValue(gateway) == "5")
        try client.pushAdd(job: "j", registry: try Self.registry(value: 6))
        #expect(try Self.pushedValue(gateway) == "6")
    }

    @Test func theRedirectFollowingHandlerResendsFromAsyncCode() async throws {
        let gateway = try PushgatewayProcess()
        defer { gateway.stop() }
        let redirector = try Self.redirector(to: gateway, status: 307)
        defer { redirector.stop() }
        let client = try Pushgateway(
            "127.0.0.1:\(redirector.port)", timeout: .seconds(10), handler: RedirectFollowingPushHandler())
        try await client.push(job: "j", registry: try Self.registry(value: 7))
        #expect(try Self.pushedValue(gateway) == "7")
    }

    @Test func aRedirectLoopStopsAtTheLimit() throws {
        let looping = try HTTPServer.start(port: 0, options: Self.options) { request in
            HTTPResponse(status: 307, headers: [HTTPHeader("Location", request.target)])
        }
        defer { looping.stop() }
        let client = try Pushgateway(
            "127.0.0.1:\(looping.port)", timeout: .seconds(10),
            handler: RedirectFollowingPushHandler(maximumRedirects: 3))
        #expect(throws: PushError.tooManyRedirects(url: "http://127.0.0.1:\(looping.port)/metrics/job/j", limit: 3)) {
            try client.push(job: "j", registry: try Self.registry(value: 1))
        }
    }
}

import Foundation
import PrometheusTestSupport
import Testing

@testable import PrometheusClient
@testable import PrometheusPush

@Suite("Pushgateway client against a real gateway")
struct PushgatewayTests {
    static let trickyKey = ["instance": "a/b", "e": "", "zone": "x y", "uni": "😀ü"]

    @Test("addresses get http:// unless they say http or https, and lose trailing slashes")
    func addressNormalisation() throws {
        #expect(try Pushgateway("localhost:9091").baseURL == "http://localhost:9091")
        #expect(try Pushgateway("localhost:9091///").baseURL == "http://localhost:9091")
        #expect(try Pushgateway("https://gw.example/prefix/").baseURL == "https://gw.example/prefix")
        #expect(try Pushgateway("HTTP://gw.example").baseURL == "HTTP://gw.example")
        #expect(try Pushgateway("ftp://gw.example").baseURL == "http://ftp://gw.example")
        #expect(
            try Pushgateway("gw.example:9091").url(job: "my job", groupingKey: ["a": "1"]).absoluteString
                == "http://gw.example:9091/metrics/job@base64/bXkgam9i/a/1")
        #expect(throws: PushError.self) { try Pushgateway("") }
        #expect(throws: PushError.self) { try Pushgateway("http://gw.example/?x=1") }
    }

    @Test("the URL's scheme handling matches Python for an unusual scheme")
    func unusualSchemeMatchesPython() throws {
        let script = """
            import sys
            from prometheus_client import CollectorRegistry, push_to_gateway
            def capture(url, method, timeout, headers, data):
                return lambda: sys.stdout.write(url)
            push_to_gateway(sys.argv[1], job='j', registry=CollectorRegistry(), handler=capture)
            """
        for address in ["localhost:9091", "ftp://gw.example", "https://gw.example/p//", "http://h:1"] {
            let python = try ExternalTool.runPython(script, arguments: [address])
            #expect(try Pushgateway(address).url(job: "j").absoluteString == python, "address \(address)")
        }
    }

    @Test("delete removes exactly the group with a tricky grouping key")
    func deleteRemovesGroup() throws {
        let server = try PushgatewayProcess()
        defer { server.stop() }
        let gateway = try Pushgateway(server.address, timeout: .seconds(10))
        let body = Array("# TYPE kept gauge\nkept 1\n".utf8)
        try gateway.send(.put, job: "batch", groupingKey: Self.trickyKey, exposition: body)
        try gateway.send(.put, job: "batch", groupingKey: ["instance": "other"], exposition: body)
        #expect(try server.groups().count == 2)
        try gateway.delete(job: "batch", groupingKey: Self.trickyKey)
        #expect(try server.groups().map(\.labels) == [["job": "batch", "instance": "other"]])
    }

    @Test("an answer of 400 or more throws with the status and the gateway's explanation")
    func rejectionCarriesStatusAndBody() async throws {
        let server = try PushgatewayProcess()
        defer { server.stop() }
        let gateway = try Pushgateway(server.address, timeout: .seconds(10))
        try await gateway.send(
            .put, job: "first", groupingKey: [:], exposition: Array("# TYPE clash gauge\nclash 1\n".utf8))
        do {
            try await gateway.send(
                .put, job: "second", groupingKey: [:], exposition: Array("# TYPE clash counter\nclash 2\n".utf8))
            Issue.record("a type clash must be rejected")
        } catch {
            guard case .unexpectedStatus(let code, let body) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(code == 400)
            #expect(body.contains("inconsistent with existing metrics"))
            #expect(error.description.hasPrefix("the Pushgateway answered HTTP 400: pushed metrics are invalid"))
        }
        // The gateway records the failed push in a group of its own, but without the metric.
        #expect(try server.groups().filter { $0.metrics["clash"] != nil }.map(\.labels) == [["job": "first"]])
    }

    @Test("the instance-IP grouping key is a numeric local address, loopback for localhost like Python")
    func instanceIPGroupingKey() throws {
        let python = try ExternalTool.runPython(
            "import sys; from prometheus_client import instance_ip_grouping_key as k; sys.stdout.write(k()['instance'])"
        )
        #expect(try Pushgateway.instanceIPGroupingKey() == ["instance": python])
        let server = try PushgatewayProcess()
        defer { server.stop() }
        #expect(try Pushgateway(server.address).instanceIPGroupingKey() == ["instance": "127.0.0.1"])
    }
}

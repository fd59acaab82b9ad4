import Foundation
import PrometheusTestSupport
import Synchronization
import Testing

@testable import PrometheusClient
@testable import PrometheusServing

@Suite("Metrics handler and server")
struct MetricsHandlerTests {
    /// A collector whose scrape always fails, to check that it does not fail the whole scrape.
    final class FailingCollector: Collector {
        struct Broken: Error {}
        func collect() throws -> [MetricFamily] { throw Broken() }
    }

    private func registryWithSamples() throws -> CollectorRegistry {
        let registry = CollectorRegistry()
        let counter = try Counter(name: "served", help: "Served requests", labelNames: ["code"], registry: registry)
        try counter.labels("200").inc(by: 3)
        let gauge = try Gauge(name: "temperature", help: "Temperature", registry: registry)
        gauge.set(21.5)
        return registry
    }

    @Test("GET on the metrics path renders the text format by default")
    func getRendersText() throws {
        let handler = MetricsHandler(registry: try registryWithSamples())
        let response = handler.handle(method: "GET", path: "/metrics", query: nil, headers: [])
        #expect(response.status == 200)
        #expect(response.headers.first(named: "Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
        let text = String(decoding: response.body, as: UTF8.self)
        #expect(text.contains(#"served_total{code="200"} 3.0"#))
        #expect(text.contains("temperature 21.5"))
        #expect(try ExternalTool.promtoolProblems(text) == nil)
    }

    @Test("Accept for OpenMetrics yields OpenMetrics ending in # EOF")
    func openMetrics() throws {
        let handler = MetricsHandler(registry: try registryWithSamples())
        let response = handler.handle(
            method: "GET", path: "/metrics", query: nil,
            headers: [HTTPHeader("Accept", "application/openmetrics-text; version=1.0.0")])
        #expect(response.headers.first(named: "Content-Type")?.hasPrefix("application/openmetrics-text") == true)
        #expect(String(decoding: response.body, as: UTF8.self).hasSuffix("# EOF\n"))
    }

    @Test("OPTIONS answers Allow: OPTIONS, GET, HEAD; other methods get 405 with Allow")
    func methods() throws {
        let handler = MetricsHandler(registry: CollectorRegistry())
        let options = handler.handle(method: "OPTIONS", path: "/anything", query: nil, headers: [])
        #expect(options.status == 200)
        #expect(options.headers.first(named: "Allow") == "OPTIONS, GET, HEAD")
        #expect(options.body.isEmpty)
        for method in ["POST", "PUT", "DELETE", "PATCH"] {
            let response = handler.handle(method: method, path: "/metrics", query: nil, headers: [])
            #expect(response.status == 405)
            #expect(response.headers.first(named: "Allow") == "OPTIONS, GET, HEAD")
        }
    }

    @Test("/favicon.ico is 200 and empty; unknown paths are 404 unless every path is served")
    func paths() throws {
        let handler = MetricsHandler(registry: try registryWithSamples())
        let favicon = handler.handle(method: "GET", path: "/favicon.ico", query: nil, headers: [])
        #expect(favicon.status == 200)
        #expect(favicon.body.isEmpty)
        #expect(handler.handle(method: "GET", path: "/other", query: nil, headers: []).status == 404)
        var options = MetricsHandlerOptions()
        options.path = "/custom"
        let custom = MetricsHandler(registry: try registryWithSamples(), options: options)
        #expect(custom.handle(method: "GET", path: "/custom", query: nil, headers: []).status == 200)
        #expect(custom.handle(method: "GET", path: "/metrics", query: nil, headers: []).status == 404)
        options.servesEveryPath = true
        let everywhere = MetricsHandler(registry: try registryWithSamples(), options: options)
        #expect(everywhere.handle(method: "GET", path: "/x", query: nil, headers: []).status == 200)
    }

    @Test("name[] keeps only the named samples")
    func nameFilter() throws {
        let handler = MetricsHandler(registry: try registryWithSamples())
        let response = handler.handle(method: "GET", path: "/metrics", query: "name[]=temperature", headers: [])
        let text = String(decoding: response.body, as: UTF8.self)
        #expect(text.contains("temperature 21.5"))
        #expect(!text.contains("served_total"))
    }

    @Test("gzip is used when accepted and not disabled, and decompresses to the identity body")
    func gzip() throws {
        let registry = try registryWithSamples()
        let handler = MetricsHandler(registry: registry)
        let plain = handler.handle(method: "GET", path: "/metrics", query: nil, headers: [])
        let zipped = handler.handle(
            method: "GET", path: "/metrics", query: nil, headers: [HTTPHeader("Accept-Encoding", "deflate, gzip")])
        #expect(zipped.headers.first(named: "Content-Encoding") == "gzip")
        #expect(Array(zipped.body.prefix(2)) == [0x1F, 0x8B])
        let decoded = try ExternalTool.runPython(
            "import sys, gzip; sys.stdout.write(gzip.decompress(bytes.fromhex(sys.argv[1])).decode())",
            arguments: [zipped.body.map { String(format: "%02x", $0) }.joined()])
        #expect(decoded == String(decoding: plain.body, as: UTF8.self))

        var options = MetricsHandlerOptions()
        options.disableCompression = true
        let disabled = MetricsHandler(registry: registry, options: options).handle(
            method: "GET", path: "/metrics", query: nil, headers: [HTTPHeader("Accept-Encoding", "gzip")])
        #expect(disabled.headers.first(named: "Content-Encoding") == nil)
    }

    @Test("a failing collector does not fail the scrape: the rest is served and the failure reported")
    func failingCollector() throws {
        let registry = try registryWithSamples()
        try registry.register(FailingCollector())
        let reports = ReportLog()
        var options = MetricsHandlerOptions()
        options.onCollectorFailure = { reports.append($0) }
        let response = MetricsHandler(registry: registry, options: options).handle(
            method: "GET", path: "/metrics", query: nil, headers: [])
        #expect(response.status == 200)
        #expect(String(decoding: response.body, as: UTF8.self).contains("temperature 21.5"))
        #expect(response.headers.first(named: "X-Prometheus-Collector-Failures") == "1")
        #expect(reports.count == 1)
    }

    @Test("without an address the server listens on every IPv4 interface, as Python's start_http_server")
    func defaultAddressIsEveryInterface() throws {
        // The one test that does not bind 127.0.0.1: an ephemeral port, stopped at once.
        let server = try MetricsServer.start(port: 0, registry: try registryWithSamples())
        defer { server.stop() }
        #expect(server.boundAddress == "0.0.0.0")
        #expect(try RawHTTPClient.get(port: server.port, path: "/metrics").status == 200)
        let local = try MetricsServer.start(port: 0, address: "127.0.0.1", registry: CollectorRegistry())
        defer { local.stop() }
        #expect(local.boundAddress == "127.0.0.1")
    }

    @Test("the built-in server serves the registry, HEAD without a body, over a real socket")
    func serverEndToEnd() throws {
        let server = try MetricsServer.start(port: 0, address: "127.0.0.1", registry: try registryWithSamples())
        defer { server.stop() }
        let get = try RawHTTPClient.get(port: server.port, path: "/metrics")
        #expect(get.status == 200)
        #expect(get.text.contains(#"served_total{code="200"} 3.0"#))
        let head = try RawHTTPClient.get(port: server.port, path: "/metrics", method: "HEAD")
        #expect(head.status == 200)
        #expect(head.headers["content-length"] == String(get.body.count))
        #expect(try RawHTTPClient.get(port: server.port, path: "/metrics", method: "POST").status == 405)
    }
}

/// Collects failure reports from the handler's callback (called on server threads).
final class ReportLog: Sendable {
    private let messages = Mutex<[String]>([])
    func append(_ message: String) { messages.withLock { $0.append(message) } }
    var count: Int { messages.withLock { $0.count } }
}

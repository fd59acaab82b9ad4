import Foundation
import PrometheusTestSupport
import Testing

@testable import PrometheusClient
@testable import PrometheusMultiprocess
@testable import PrometheusPush

@Suite("Pushing registries to a real gateway")
struct PushRegistryTests {
    static func registry(requests: Double) throws -> CollectorRegistry {
        let registry = CollectorRegistry()
        let counter = try Counter(name: "batch_records", help: "Records.", labelNames: ["kind"], registry: registry)
        try counter.labels("a").inc(by: requests)
        let duration = try Gauge(name: "batch_duration_seconds", help: "Duration.", registry: registry)
        duration.set(12.5)
        return registry
    }

    @Test("push replaces the group and the gateway exposes the pushed values")
    func pushReplacesTheGroup() throws {
        let server = try PushgatewayProcess()
        defer { server.stop() }
        let gateway = try Pushgateway(server.address, timeout: .seconds(10))
        try gateway.push(
            job: "nightly", groupingKey: PushgatewayTests.trickyKey, registry: try Self.registry(requests: 3))
        let exposition = try server.exposition()
        #expect(exposition.contains("batch_duration_seconds{"))
        let group = try #require(try server.groups().first)
        #expect(group.labels == PushgatewayTests.trickyKey.merging(["job": "nightly"]) { $1 })
        #expect(group.metrics["batch_records_total"]?.first?.value == "3")
        #expect(group.metrics["batch_duration_seconds"]?.first?.value == "12.5")
    }

    @Test("pushAdd replaces only metrics of the same name")
    func pushAddKeepsOtherMetrics() throws {
        let server = try PushgatewayProcess()
        defer { server.stop() }
        let gateway = try Pushgateway(server.address, timeout: .seconds(10))
        try gateway.push(job: "j", registry: try Self.registry(requests: 1))
        let other = CollectorRegistry()
        try Counter(name: "batch_records", help: "Records.", labelNames: ["kind"], registry: other).labels("a").inc(
            by: 7)
        try gateway.pushAdd(job: "j", registry: other)
        let metrics = try #require(try server.groups().first).metrics
        #expect(metrics["batch_records_total"]?.first?.value == "7")
        #expect(metrics["batch_duration_seconds"]?.first?.value == "12.5")
    }

    @Test("a gzip-compressed push arrives intact")
    func gzipPush() async throws {
        let server = try PushgatewayProcess()
        defer { server.stop() }
        let gateway = try Pushgateway(server.address, timeout: .seconds(10), compression: .gzip)
        try await gateway.push(job: "zipped", registry: try Self.registry(requests: 5))
        let metrics = try #require(try server.groups().first).metrics
        #expect(metrics["batch_records_total"]?.first?.value == "5")
    }

    @Test("a collector failure stops the push before anything is sent")
    func collectorFailureSendsNothing() throws {
        final class Broken: Collector {
            struct Failure: Error {}
            func collect() throws -> [MetricFamily] { throw Failure() }
        }
        let server = try PushgatewayProcess()
        defer { server.stop() }
        let registry = try Self.registry(requests: 1)
        try registry.register(Broken())
        let gateway = try Pushgateway(server.address, timeout: .seconds(10))
        #expect(throws: PushError.self) { try gateway.push(job: "j", registry: registry) }
        #expect(try server.groups().isEmpty)
    }
}

@Suite("Pushing a multiprocess directory")
struct PushMultiprocessTests {
    @Test("the merged totals of several worker processes arrive as one group")
    func pushesTheMergedView() throws {
        let directory = try MultiprocessFixtures.temporaryDirectory()
        defer { MultiprocessFixtures.remove(directory) }
        for pid in [31, 32, 33] { try MultiprocessFixtures.writeWithPython(pid: pid, to: directory) }
        let server = try PushgatewayProcess()
        defer { server.stop() }
        let gateway = try Pushgateway(server.address, timeout: .seconds(10))
        try gateway.pushMultiprocess(directory: directory, job: "batch")
        let groups = try server.groups()
        #expect(groups.count == 1)
        let requests = try #require(groups.first?.metrics["requests_total"])
        #expect(requests.first { $0.labels["path"] == "/a" }?.value == "96")
    }

    @Test("an unusable directory sends nothing")
    func missingDirectoryFails() throws {
        let gateway = try Pushgateway("127.0.0.1:9", timeout: .seconds(1))
        #expect(throws: PushError.self) { try gateway.pushMultiprocess(directory: "/nonexistent/dir", job: "j") }
    }
}

import Foundation
import Glibc
import PrometheusTestSupport
import Testing

@testable import PrometheusClient

/// End-to-end tests of the `prefork-demo` executable: real processes, real sockets, real files.
@Suite("Pre-fork demo", .serialized)
struct PreforkDemoTests {
    static let requests = "demo_http_requests_total"
    static let inProgress = "demo_http_requests_in_progress"
    static let workerProcesses = "demo_worker_processes"

    @Test("--help explains ports, workers and directory")
    func help() throws {
        let output = try ExternalTool.run(DemoProcess.builtExecutable("prefork-demo").path, ["--help"], timeout: 30)
        #expect(output.status == 0)
        for option in ["--app", "--metrics", "--workers", "--dir", "PROMETHEUS_MULTIPROC_DIR", "127.0.0.1:8080"] {
            #expect(output.standardOutput.contains(option), "help lacks \(option)")
        }
    }

    @Test("--tls-* serves the merged metrics over HTTPS, refusing a scraper without a required client certificate")
    func metricsPortOverHTTPS() throws {
        let certificates = try TestCertificates()
        let demo = try DemoProcess(
            workers: 2,
            extraArguments: [
                "--tls-cert", certificates.path("server.pem"), "--tls-key", certificates.path("server.key"),
                "--tls-client-ca", certificates.path("ca.pem"), "--tls-client-auth", "required",
            ])
        _ = try demo.waitForLine(containing: "serving", skipping: 1, timeout: 30)
        #expect(try demo.waitForLine(containing: "https://", timeout: 5).contains("/metrics"))
        for _ in 0..<4 { try demo.request("/") }
        let curl = try ExternalTool.require("curl")
        let url = "https://127.0.0.1:\(demo.metricsPort)/metrics"
        let common = ["-sS", "--max-time", "10", "--cacert", certificates.path("ca.pem")]
        let refused = try ExternalTool.run(curl, common + [url], timeout: 30)
        #expect(refused.status != 0)
        let scraped = try ExternalTool.run(
            curl, common + ["--cert", certificates.path("client.pem"), "--key", certificates.path("client.key"), url],
            timeout: 30)
        #expect(scraped.status == 0)
        #expect(ExpositionSamples(scraped.standardOutput).sum(Self.requests, ["route": "/", "status": "200"]) == 4)
    }

    @Test("incomplete or invalid --tls-* options are refused at start with the option named")
    func invalidTLSOptionsAreRefused() throws {
        let executable = try DemoProcess.builtExecutable("prefork-demo").path
        let cases: [([String], String)] = [
            (["--tls-cert", "/nonexistent.pem"], "--tls-key"),
            (["--tls-key", "/nonexistent.key"], "--tls-cert"),
            (["--tls-cert", "a.pem", "--tls-key", "a.key", "--tls-client-auth", "sometimes"], "--tls-client-auth"),
            (
                ["--tls-cert", "a.pem", "--tls-key", "a.key", "--tls-client-auth", "required"],
                "tls.clientAuthentication"
            ),
            (["--tls-cert", "a.pem", "--tls-key", "a.key", "--tls-max-version", "1.4"], "--tls-max-version"),
            (
                ["--tls-cert", "a.pem", "--tls-key", "a.key", "--tls-min-version", "1.3", "--tls-max-version", "1.2"],
                "tls.maximumVersion"
            ),
        ]
        for (arguments, named) in cases {
            let output = try ExternalTool.run(executable, arguments + ["--metrics", "127.0.0.1:0"], timeout: 30)
            #expect(output.status != 0, "\(arguments) must be refused")
            #expect((output.standardOutput + output.standardError).contains(named), "\(arguments): \(output)")
        }
        let certificates = try TestCertificates()
        let missing = certificates.path("absent.pem")
        let output = try ExternalTool.run(
            executable,
            [
                "--tls-cert", missing, "--tls-key", certificates.path("server.key"), "--app", "127.0.0.1:0",
                "--metrics", "127.0.0.1:0", "--workers", "1", "--dir", certificates.path("mp"),
            ],
            timeout: 30)
        #expect(output.status != 0)
        #expect((output.standardOutput + output.standardError).contains(missing))
    }

    @Test("merged request counts equal the requests sent to all workers")
    func mergedCountsMatchRequests() throws {
        let demo = try DemoProcess(workers: 3)
        _ = try demo.waitForLine(containing: "serving", skipping: 2, timeout: 30)
        var responders = Set<Int32>()
        for _ in 0..<60 { responders.insert(try demo.request("/")) }
        for _ in 0..<15 { responders.insert(try demo.request("/status/503")) }
        for _ in 0..<5 { responders.insert(try demo.request("/work?ms=5")) }
        #expect(responders.isSubset(of: demo.livingWorkerPIDs()))

        let samples = ExpositionSamples(try demo.scrape())
        #expect(samples.sum(Self.requests, ["route": "/", "status": "200"]) == 60)
        #expect(samples.sum(Self.requests, ["route": "/status", "status": "503"]) == 15)
        #expect(samples.sum(Self.requests, ["route": "/work", "status": "200"]) == 5)
        #expect(samples.sum("demo_http_request_duration_seconds_count", ["route": "/"]) == 60)
        #expect(samples.sum("demo_http_request_duration_seconds_bucket", ["route": "/work", "le": "+Inf"]) == 5)
        #expect(samples.sum(Self.workerProcesses) == 3)
        #expect(samples.sum(Self.inProgress) == 0)
        #expect((samples.sum("demo_last_request_timestamp_seconds") ?? 0) > 1_700_000_000)
    }

    @Test("the merged OpenMetrics output shows a request's trace as an exemplar, and the workers' info")
    func mergedOpenMetricsShowsExemplarAndInfo() throws {
        let demo = try DemoProcess(workers: 2)
        _ = try demo.waitForLine(containing: "serving", skipping: 1, timeout: 30)
        let traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
        let answer = try RawHTTPClient.get(
            port: demo.appPort, path: "/work?ms=20", headers: ["traceparent": "00-\(traceID)-00f067aa0ba902b7-01"])
        #expect(answer.status == 200)
        let response = try RawHTTPClient.get(
            port: demo.metricsPort, path: "/metrics",
            headers: ["Accept": "application/openmetrics-text; version=1.0.0; charset=utf-8"])
        #expect(response.status == 200)
        let lines = response.text.split(separator: "\n")
        let bucket = lines.first {
            $0.hasPrefix("demo_http_request_duration_seconds_bucket{") && $0.contains("route=\"/work\"")
                && $0.contains(traceID)
        }
        #expect(bucket?.contains("# {trace_id=\"\(traceID)\"} 0.0") == true, "\(response.text)")
        #expect(lines.contains("# TYPE demo_worker info"))
        #expect(lines.contains { $0.hasPrefix("demo_worker_info{slot=") && $0.contains("version=\"1\"") })
        try ExternalTool.parseOpenMetricsWithPython(response.text)

        // Asked for 2.0, the same merge comes as 2.0: one histogram line per series, the trace on it.
        let version2 = try RawHTTPClient.get(
            port: demo.metricsPort, path: "/metrics", headers: ["Accept": "application/openmetrics-text; version=2.0.0"]
        )
        #expect(version2.headers["content-type"]?.contains("version=2.0.0") == true)
        let families = try OpenMetrics2Parser.parse(version2.text)
        let duration = families.first { $0.name == "demo_http_request_duration_seconds" }
        #expect(duration?.samples.contains { $0.exemplar?.labels == [Label("trace_id", traceID)] } == true)
        #expect(families.contains { $0.name == "demo_worker" && $0.type == .info })
        #expect(version2.text.contains("# TYPE demo_worker_info info\n"))
    }

    @Test("a SIGKILLed worker is replaced; its live gauges leave the merge while counters keep totals")
    func killedWorkerIsReplaced() throws {
        let demo = try DemoProcess(workers: 1)
        _ = try demo.waitForLine(containing: "serving", timeout: 30)
        let victim = try demo.request("/")
        for _ in 0..<9 { try demo.request("/") }

        // Keep one request in flight on the only worker, then kill it mid-request.
        let appPort = demo.appPort
        let slow = Thread { _ = try? RawHTTPClient.get(port: appPort, path: "/work?ms=1000") }
        slow.start()
        let busy = try demo.scrapeUntil { $0.sum(Self.inProgress) == 1 }
        #expect(busy.sum(Self.inProgress) == 1)
        kill(victim, SIGKILL)

        try demo.waitForLine(containing: "(pid \(victim)) ended with signal 9", timeout: 10)
        try demo.waitForLine(containing: "restarted as pid", timeout: 10)
        try demo.waitForLine(containing: "serving", skipping: 1, timeout: 30)
        let replacement = try demo.request("/")
        #expect(replacement != victim)

        let after = try demo.scrapeUntil { $0.sum(Self.inProgress) == 0 && $0.sum(Self.workerProcesses) == 1 }
        #expect(after.sum(Self.inProgress) == 0)
        #expect(after.sum(Self.workerProcesses) == 1)
        // 10 before the kill, 1 after: the dead worker's counts stay in the total.
        #expect(after.sum(Self.requests, ["route": "/"]) == 11)
    }

    /// A directory holding what a dead worker of an earlier run left: 7 requests counted, a busy gauge.
    static func directoryOfAnEarlierRun() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("prefork-earlier-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let counter = DBKey.encode(
            familyName: "demo_http_requests", sampleName: Self.requests,
            labels: [Label("route", "/"), Label("status", "200")],
            help: "Application requests served, by route and status.")
        try Data(DBFileLayout.makeFile(entries: [(counter, 7, 0)])).write(
            to: directory.appendingPathComponent("counter_999999.db"))
        let busy = DBKey.encode(
            familyName: Self.inProgress, sampleName: Self.inProgress, labels: [], help: "Requests being served.")
        try Data(DBFileLayout.makeFile(entries: [(busy, 3, 0)])).write(
            to: directory.appendingPathComponent("gauge_livesum_999999.db"))
        return directory
    }

    @Test("a master on an earlier run's directory carries its totals over and drops its live gauges")
    func earlierRunIsCarriedOver() throws {
        let directory = try Self.directoryOfAnEarlierRun()
        defer { try? FileManager.default.removeItem(at: directory) }
        let demo = try DemoProcess(workers: 1, extraArguments: ["--dir", directory.path])
        #expect(demo.log.contains("carried over 1 writers of an earlier run"))
        // The worker's gauges exist once it serves; a scrape before that would not see them.
        _ = try demo.waitForLine(containing: "serving", timeout: 30)
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(!names.contains("counter_999999.db") && !names.contains("gauge_livesum_999999.db"))
        let scrape = ExpositionSamples(try demo.scrape())
        #expect((scrape.sum(Self.requests, ["route": "/"]) ?? 0) >= 7)
        #expect(scrape.sum(Self.inProgress) == 0)
    }

    @Test("with --previous-run remove, an earlier run's files are deleted and totals start from zero")
    func earlierRunIsRemoved() throws {
        let directory = try Self.directoryOfAnEarlierRun()
        defer { try? FileManager.default.removeItem(at: directory) }
        let demo = try DemoProcess(workers: 1, extraArguments: ["--dir", directory.path, "--previous-run", "remove"])
        #expect(demo.log.contains("removed the files of 1 writers"))
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(!names.contains { $0.hasSuffix("_999999.db") || $0.hasSuffix("_archive.db") })
        #expect((ExpositionSamples(try demo.scrape()).sum(Self.requests, ["route": "/"]) ?? 0) < 7)
    }

    @Test("SIGTERM stops the master and every worker")
    func sigtermStopsEverything() throws {
        let demo = try DemoProcess(workers: 2)
        _ = try demo.waitForLine(containing: "serving", skipping: 1, timeout: 30)
        let workers = demo.livingWorkerPIDs()
        #expect(workers.count == 2)
        demo.stop()
        #expect(!demo.process.isRunning)
        #expect(demo.process.terminationStatus == 0)
        for pid in workers { #expect(!Self.isAlive(pid)) }
    }

    @Test("workers exit when the master is SIGKILLed: no orphans")
    func noOrphans() throws {
        let demo = try DemoProcess(workers: 2)
        _ = try demo.waitForLine(containing: "serving", skipping: 1, timeout: 30)
        let workers = demo.livingWorkerPIDs()
        kill(demo.process.processIdentifier, SIGKILL)
        demo.process.waitUntilExit()
        let deadline = Date().addingTimeInterval(10)
        while workers.contains(where: Self.isAlive) && Date() < deadline { usleep(50_000) }
        for pid in workers { #expect(!Self.isAlive(pid)) }
    }

    @Test("a real Prometheus scrapes the master: PromQL sees the request count and up == 1")
    func prometheusScrapes() throws {
        let prometheus = try ExternalTool.require("prometheus")
        let demo = try DemoProcess(workers: 2)
        _ = try demo.waitForLine(containing: "serving", skipping: 1, timeout: 30)
        for _ in 0..<25 { try demo.request("/") }

        let server = try PrometheusServer(binary: prometheus, target: "127.0.0.1:\(demo.metricsPort)")
        defer { server.stop() }
        let total = try server.waitForValue(#"sum(demo_http_requests_total{route="/"})"#, timeout: 60) { $0 == 25 }
        #expect(total == 25)
        let up = try server.waitForValue(#"up{job="prefork-demo"}"#, timeout: 30) { $0 == 1 }
        #expect(up == 1)
    }

    @Test("a real Prometheus ingests the merged native latency histogram over protobuf: count, sum, quantile")
    func prometheusIngestsTheNativeHistogram() throws {
        let prometheus = try ExternalTool.require("prometheus")
        let demo = try DemoProcess(workers: 2)
        _ = try demo.waitForLine(containing: "serving", skipping: 1, timeout: 30)
        for _ in 0..<40 { try demo.request("/") }
        // What the workers observed, as the master merges it (classic count and sum, native buckets).
        let accept = "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"
        let scrape = try RawHTTPClient.get(port: demo.metricsPort, path: "/metrics", headers: ["Accept": accept])
        let families = try ProtobufParser.parse(scrape.body)
        let family = try #require(families.first { $0.name == "demo_http_request_duration_seconds" })
        let labels = [Label("route", "/")]
        let native = try #require(
            family.samples.first { $0.labels == labels && $0.nativeHistogram != nil }?.nativeHistogram)
        let classicCount = family.samples.first { $0.name.hasSuffix("_count") && $0.labels == labels }?.value
        let classicSum = family.samples.first { $0.name.hasSuffix("_sum") && $0.labels == labels }?.value
        #expect(native.count == 40 && classicCount == 40)
        #expect(native.sum == classicSum)

        let server = try PrometheusServer(
            binary: prometheus, target: "127.0.0.1:\(demo.metricsPort)", flags: ["--enable-feature=native-histograms"])
        defer { server.stop() }
        let selector = #"demo_http_request_duration_seconds{route="/"}"#
        let count = try server.waitForValue("histogram_count(\(selector))", timeout: 60) { $0 == 40 }
        #expect(count == 40)
        let sum = try server.query("histogram_sum(\(selector))")
        #expect(
            sum.map { Swift.abs($0 - native.sum) <= 1e-12 * Swift.max(1, native.sum) } == true,
            "\(String(describing: sum))")
        // The median lies in the native bucket that holds the 20th observation.
        let median = try #require(try server.query("histogram_quantile(0.5, \(selector))"))
        var rank = native.zeroCount
        var bucket: (lower: Double, upper: Double)?
        for (index, count) in NativeBucketMath.buckets(spans: native.positiveSpans, deltas: native.positiveDeltas) {
            rank += Double(count)
            if rank >= 20 {
                bucket = (
                    NativeBucketMath.upperBound(index: index - 1, schema: native.schema),
                    NativeBucketMath.upperBound(index: index, schema: native.schema)
                )
                break
            }
        }
        let holding = try #require(bucket)
        #expect(median >= holding.lower && median <= holding.upper, "median \(median) outside \(holding)")
    }

    static func isAlive(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        // A zombie waiting for a reaper has exited too.
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        guard let close = stat.lastIndex(of: ")") else { return false }
        return !stat[close...].hasPrefix(") Z")
    }
}

import Foundation
import Glibc
import PrometheusClient
import PrometheusTestSupport
import Testing

/// `prometheus-multiproc serve` as the sidecar of a real Python fleet: gunicorn (PyPI) running a
/// WSGI app that uses the Python client 0.25.0 in multiprocess mode, workers recycled by
/// `max_requests`, and no `child_exit` hook.
@Suite("prometheus-multiproc serve beside gunicorn", .serialized)
struct SidecarTests {
    static let application = """
        import os
        from prometheus_client import Counter, Gauge, Histogram

        REQUESTS = Counter("app_requests", "Requests served.", ["path"])
        LATENCY = Histogram("app_latency_seconds", "Latency.", buckets=(0.001, 0.01, 0.1, 1.0))
        WORKERS = Gauge("app_workers", "Live workers.", multiprocess_mode="livesum")
        WORKERS.set(1)

        def app(environ, start_response):
            path = environ.get("PATH_INFO", "/")
            REQUESTS.labels(path).inc()
            LATENCY.observe(0.005 if path == "/" else 0.05)
            body = str(os.getpid()).encode()
            start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
            return [body]
        """

    /// A gunicorn master with `workers` workers recycled after `maxRequests` requests each.
    final class Gunicorn {
        let process = Process()
        let port: Int
        let logFile: URL

        init(directory: URL, multiprocessDirectory: URL, workers: Int, maxRequests: Int) throws {
            let python = try Self.pythonWithGunicorn()
            try SidecarTests.application.write(
                to: directory.appendingPathComponent("app.py"), atomically: true, encoding: .utf8)
            logFile = directory.appendingPathComponent("gunicorn.log")
            _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
            process.executableURL = URL(fileURLWithPath: python)
            // Children inherit the spawning thread's signal mask, and a test runner's threads may block
            // SIGCHLD; a gunicorn master that never sees its workers exit never replaces them. The
            // mask is cleared before gunicorn starts.
            let unblocked = """
                import os, signal, sys
                signal.pthread_sigmask(signal.SIG_SETMASK, set())
                os.execv(sys.executable, [sys.executable, "-m", "gunicorn"] + sys.argv[1:])
                """
            process.arguments = [
                "-c", unblocked, "--chdir", directory.path, "-w", String(workers), "-b", "127.0.0.1:0",
                "--max-requests", String(maxRequests), "--max-requests-jitter", "0", "--log-file", logFile.path,
                "app:app",
            ]
            process.environment = ProcessInfo.processInfo.environment.merging([
                "PROMETHEUS_MULTIPROC_DIR": multiprocessDirectory.path
            ]) { $1 }
            try process.run()
            let deadline = Date().addingTimeInterval(30)
            var found: Int?
            while found == nil && Date() < deadline && process.isRunning {
                let log = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
                if let range = log.range(of: "Listening at: http://127.0.0.1:") {
                    found = Int(log[range.upperBound...].prefix { $0.isNumber })
                }
                if found == nil { usleep(100_000) }
            }
            guard let found else {
                let log = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
                throw RawHTTPClient.Failure(description: "gunicorn did not start:\n\(log)")
            }
            port = found
        }

        /// A python3 with prometheus_client 0.25.0 and gunicorn (fails under CI, cancels locally).
        private static func pythonWithGunicorn() throws -> String {
            let python = try ExternalTool.python()
            let probe = try ExternalTool.run(python, ["-c", "import gunicorn"])
            guard probe.status == 0 else { try ExternalTool.unavailable("gunicorn (pip install gunicorn)") }
            return python
        }

        deinit {
            guard process.isRunning else { return }
            kill(process.processIdentifier, SIGTERM)
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }

        /// Worker pids currently booted, from gunicorn's log (booted minus exited ones).
        var workersBooted: Int {
            let log = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
            return log.components(separatedBy: "Booting worker with pid").count - 1
        }
    }

    /// Python's own MultiProcessCollector on `directory`, as a Python master serves it.
    private func pythonMerge(_ directory: URL) throws -> String {
        try ExternalTool.runPython(
            """
            import sys
            from prometheus_client import CollectorRegistry, generate_latest
            from prometheus_client.multiprocess import MultiProcessCollector
            registry = CollectorRegistry()
            MultiProcessCollector(registry, path=sys.argv[1])
            sys.stdout.write(generate_latest(registry).decode())
            """, arguments: [directory.path])
    }

    /// The samples of families named `app_*` except the live gauge, by series: what must agree.
    private func durableSamples(_ exposition: String) -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in exposition.split(separator: "\n")
        where line.hasPrefix("app_") && !line.hasPrefix("app_workers") && !line.contains("_created") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                continue
            }
            samples[String(line[..<space])] = value
        }
        return samples
    }

    @Test(
        "across gunicorn's worker recycling the sidecar keeps counter totals, equals Python's merge for counters and histograms, and shows only live workers' gauges"
    )
    func sidecarServesARecyclingGunicornFleet() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("sidecar-\(UUID().uuidString)")
        let multiprocessDirectory = root.appendingPathComponent("metrics")
        try FileManager.default.createDirectory(at: multiprocessDirectory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let gunicorn = try Gunicorn(
            directory: root, multiprocessDirectory: multiprocessDirectory, workers: 3, maxRequests: 25)
        let sidecar = try ServerProcess(
            executable: "prometheus-multiproc",
            arguments: ["serve", multiprocessDirectory.path, "--listen", "127.0.0.1:0"])

        let total = 240
        var pids = Set<String>()
        for index in 0..<total {
            let response = try RawHTTPClient.get(port: gunicorn.port, path: index % 4 == 0 ? "/slow" : "/")
            #expect(response.status == 200)
            pids.insert(response.text)
            if index % 40 == 0 { _ = try RawHTTPClient.get(port: sidecar.port, path: "/metrics") }
        }
        #expect(pids.count > 3, "gunicorn recycled its workers (\(pids.count) pids answered)")

        // Recycled workers are replaced; wait until three are alive and have written their gauge.
        var samples = ExpositionSamples("")
        let deadline = Date().addingTimeInterval(20)
        repeat {
            usleep(200_000)
            samples = ExpositionSamples(try RawHTTPClient.get(port: sidecar.port, path: "/metrics").text)
        } while samples.sum("app_workers") != 3 && Date() < deadline
        #expect(samples.sum("app_workers") == 3, "only the three live workers' gauges are merged")
        #expect(samples.sum("app_requests_total") == Double(total))
        #expect(samples.sum("app_requests_total", ["path": "/slow"]) == Double(total / 4))
        #expect(samples.sum("app_latency_seconds_count") == Double(total))
        #expect(samples.sum("app_latency_seconds_bucket", ["le": "0.01"]) == Double(total - total / 4))

        let ours = durableSamples(try RawHTTPClient.get(port: sidecar.port, path: "/metrics").text)
        let python = durableSamples(try pythonMerge(multiprocessDirectory))
        #expect(!ours.isEmpty)
        #expect(Set(ours.keys) == Set(python.keys), "the sidecar and Python's MultiProcessCollector disagree")
        for (series, value) in ours {
            // Sums of doubles depend on the order of addition (archives fold earlier files first).
            let expected = python[series] ?? .nan
            #expect(abs(value - expected) <= 1e-9 * max(1, abs(expected)), "\(series): \(value) against \(expected)")
        }

        let openMetrics = try RawHTTPClient.get(
            port: sidecar.port, path: "/metrics?name[]=app_requests_total",
            headers: ["Accept": "application/openmetrics-text; version=1.0.0"])
        #expect(openMetrics.text.hasSuffix("# EOF\n"))
        #expect(!openMetrics.text.contains("app_latency"))

        // Asked for OpenMetrics 2.0, the sidecar serves the same totals in 2.0.
        let version2 = try RawHTTPClient.get(
            port: sidecar.port, path: "/metrics", headers: ["Accept": "application/openmetrics-text; version=2.0.0"])
        #expect(version2.headers["content-type"]?.contains("version=2.0.0") == true)
        let samples2 = try OpenMetrics2Parser.parse(version2.text).flatMap(\.samples)
        #expect(samples2.filter { $0.name == "app_requests_total" }.reduce(0) { $0 + $1.value } == Double(total))
        #expect(samples2.filter { $0.name == "app_latency_seconds_count" }.reduce(0) { $0 + $1.value } == Double(total))
        _ = gunicorn
    }

    @Test("a real Prometheus scrapes the sidecar of a gunicorn fleet")
    func prometheusScrapesTheSidecar() throws {
        let binary = try ExternalTool.require("prometheus")
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("sidecar-\(UUID().uuidString)")
        let multiprocessDirectory = root.appendingPathComponent("metrics")
        try FileManager.default.createDirectory(at: multiprocessDirectory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let gunicorn = try Gunicorn(
            directory: root, multiprocessDirectory: multiprocessDirectory, workers: 2, maxRequests: 10)
        let sidecar = try ServerProcess(
            executable: "prometheus-multiproc",
            arguments: ["serve", multiprocessDirectory.path, "--listen", "127.0.0.1:0"])
        for _ in 0..<50 { #expect(try RawHTTPClient.get(port: gunicorn.port, path: "/").status == 200) }
        let prometheus = try PrometheusServer(binary: binary, target: "127.0.0.1:\(sidecar.port)", job: "gunicorn")
        let value = try prometheus.waitForValue("sum(app_requests_total)", timeout: 30) { $0 == 50 }
        #expect(value == 50)
        #expect(try prometheus.query("up") == 1)
    }

    @Test("serve stops cleanly on SIGTERM")
    func stopsOnSIGTERM() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sidecar-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let sidecar = try ServerProcess(
            executable: "prometheus-multiproc", arguments: ["serve", directory.path, "--listen", "127.0.0.1:0"])
        #expect(try RawHTTPClient.get(port: sidecar.port, path: "/metrics").status == 200)
        kill(sidecar.process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(10)
        while sidecar.process.isRunning && Date() < deadline { usleep(20_000) }
        #expect(!sidecar.process.isRunning)
        #expect(sidecar.process.terminationStatus == 0)
    }

    @Test("serve's options are parsed or refused with the option named")
    func serveOptionsAreChecked() throws {
        let executable = try DemoProcess.builtExecutable("prometheus-multiproc").path
        for (arguments, named) in [
            (["serve"], "directory"), (["serve", "/tmp", "--listen", "nowhere"], "--listen"),
            (["serve", "/tmp", "--archiving", "sometimes"], "--archiving"),
            (["serve", "/tmp", "--liveness", "maybe"], "--liveness"),
            (["serve", "/tmp", "--tls-cert", "a.pem"], "--tls-key"),
        ] {
            let output = try ExternalTool.run(executable, arguments, timeout: 30)
            #expect(output.status == 2, "\(arguments)")
            #expect(output.standardError.contains(named), "\(arguments): \(output.standardError)")
        }
    }
}

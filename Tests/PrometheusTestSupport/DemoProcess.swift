import Foundation
import Glibc
import Synchronization

/// A running `prefork-demo` for end-to-end tests: started with ephemeral ports and its own temporary
/// multiprocess directory, its output collected so the tests can follow workers dying and being
/// replaced. Every wait is bounded.
package final class DemoProcess {
    package struct Failure: Error, CustomStringConvertible {
        package var description: String
    }

    package let process = Process()
    package let directory: URL
    package private(set) var appPort = 0
    package private(set) var metricsPort = 0
    private let output = OutputBuffer()

    /// Locates a built executable of this package: next to the test bundle (`.build/<config>/`), or
    /// in `.build/debug` / `.build/release` under the package root.
    package static func builtExecutable(_ name: String) throws -> URL {
        var candidates: [URL] = []
        if let bundle = Bundle.main.executableURL {
            candidates.append(bundle.deletingLastPathComponent().appendingPathComponent(name))
        }
        for bundle in Bundle.allBundles {
            candidates.append(bundle.bundleURL.deletingLastPathComponent().appendingPathComponent(name))
        }
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { root.deleteLastPathComponent() }
        for configuration in ["debug", "release"] {
            candidates.append(root.appendingPathComponent(".build/\(configuration)/\(name)"))
        }
        if let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) {
            return found
        }
        throw Failure(
            description:
                "\(name) is not built (looked in \(candidates.map(\.path))); run `swift build --product \(name)`")
    }

    /// Whether `directory` was made for this demo (and is removed with it).
    private let ownsDirectory: Bool

    /// Starts the demo with `workers` workers, writing into `directory` (a new temporary directory,
    /// removed when the demo goes, when nil).
    package init(workers: Int, directory given: String? = nil, extraArguments: [String] = []) throws {
        if let given {
            directory = URL(fileURLWithPath: given)
            ownsDirectory = false
        } else {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "prefork-test-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            ownsDirectory = true
        }
        process.executableURL = try Self.builtExecutable("prefork-demo")
        process.arguments =
            [
                "--app", "127.0.0.1:0", "--metrics", "127.0.0.1:0", "--workers", String(workers), "--dir",
                directory.path,
            ] + extraArguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        pipe.fileHandleForReading.readabilityHandler = { [output] handle in
            let data = handle.availableData
            if !data.isEmpty {
                output.text.withLock { $0 += String(decoding: data, as: UTF8.self) }
            }
        }
        try process.run()
        let line = try waitForLine(containing: "listening app=", timeout: 30)
        guard let app = Self.port(after: "app=", in: line), let metrics = Self.port(after: "metrics=", in: line) else {
            throw Failure(description: "cannot read ports from: \(line)")
        }
        appPort = app
        metricsPort = metrics
    }

    deinit {
        stop()
        if ownsDirectory { try? FileManager.default.removeItem(at: directory) }
    }

    package var log: String { output.text.withLock { $0 } }

    /// Waits until a line containing `text` appears (after skipping `skipping` earlier occurrences).
    @discardableResult
    package func waitForLine(containing text: String, skipping: Int = 0, timeout: Double) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let lines = log.split(separator: "\n").filter { $0.contains(text) }
            if lines.count > skipping { return String(lines[skipping]) }
            if !process.isRunning {
                throw Failure(
                    description: "prefork-demo exited (\(process.terminationStatus)) before \"\(text)\":\n\(log)")
            }
            usleep(20_000)
        }
        throw Failure(description: "no line containing \"\(text)\" within \(timeout) s:\n\(log)")
    }

    /// The pids of the workers currently alive, from the demo's own log lines.
    package func livingWorkerPIDs() -> Set<Int32> {
        var alive = Set<Int32>()
        for line in log.split(separator: "\n") {
            if line.contains(" serving (pid "), let pid = Self.number(after: "(pid ", in: line) {
                alive.insert(pid)
            } else if line.contains(" ended with "), let pid = Self.number(after: "(pid ", in: line) {
                alive.remove(pid)
            }
        }
        return alive
    }

    /// Sends one application request; returns the worker pid that answered.
    @discardableResult
    package func request(_ path: String) throws -> Int32 {
        let response = try RawHTTPClient.get(port: appPort, path: path)
        guard let pid = response.headers["x-worker-pid"].flatMap({ Int32($0) }) else {
            throw Failure(description: "response without X-Worker-Pid: \(response.status) \(response.text)")
        }
        return pid
    }

    /// Scrapes the master's merged metrics.
    package func scrape(path: String = "/metrics") throws -> String {
        let response = try RawHTTPClient.get(port: metricsPort, path: path)
        guard response.status == 200 else {
            throw Failure(description: "scrape answered \(response.status): \(response.text)")
        }
        return response.text
    }

    /// SIGTERM, then SIGKILL after 10 s.
    package func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    private static func port(after marker: String, in line: String) -> Int? {
        guard let range = line.range(of: marker) else { return nil }
        let hostPort = line[range.upperBound...].prefix { $0 != " " }
        guard let colon = hostPort.lastIndex(of: ":") else { return nil }
        return Int(hostPort[hostPort.index(after: colon)...])
    }

    private static func number(after marker: String, in line: Substring) -> Int32? {
        guard let range = line.range(of: marker) else { return nil }
        return Int32(line[range.upperBound...].prefix { $0.isNumber })
    }
}

/// The demo's combined output, appended to by the pipe's reader thread.
private final class OutputBuffer: Sendable {
    package let text = Mutex("")
}

import Foundation
import Testing

/// Runs the real tools the tests check against (promtool, Python's prometheus_client 0.25.0,
/// Pushgateway, ...).
///
/// When a tool is missing: under CI (`CI` set) the test fails, because CI must have everything;
/// locally the test is cancelled with a loud message naming what was skipped.
package enum ExternalTool {
    package struct Output {
        package var status: Int32
        package var standardOutput: String
        package var standardError: String
    }

    package struct MissingTool: Error, CustomStringConvertible {
        package var name: String

        package init(name: String) {
            self.name = name
        }

        package var description: String {
            "\(name) is required in CI but was not found; run Scripts/test.sh to install it"
        }
    }

    package static var isCI: Bool {
        let value = ProcessInfo.processInfo.environment["CI"] ?? ""
        return !value.isEmpty && value.lowercased() != "false" && value != "0"
    }

    /// The absolute path of `name` on PATH (or of `name` itself when it is a path), or `nil`.
    package static func path(of name: String) -> String? {
        if name.contains("/") {
            return FileManager.default.isExecutableFile(atPath: name) ? name : nil
        }
        let searchPath = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in searchPath.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) {
                return candidate
            }
        }
        return nil
    }

    /// The path of a tool the test cannot run without: fails under CI, cancels the test locally.
    package static func require(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        if let found = path(of: name) {
            return found
        }
        try unavailable(name, sourceLocation: sourceLocation)
    }

    /// Fails (CI) or cancels (locally) the running test because `what` is unavailable.
    package static func unavailable(_ what: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Never {
        if isCI {
            throw MissingTool(name: what)
        }
        let message = "SKIPPED: \(what) is not installed here; run Scripts/test.sh to install it"
        FileHandle.standardError.write(Data("\n*** \(message) ***\n".utf8))
        try Test.cancel(Comment(rawValue: message), sourceLocation: sourceLocation)
    }

    /// Runs `executable` with `arguments`, feeding `input` on standard input, and waits (bounded by
    /// `timeout` seconds, after which the process is killed).
    @discardableResult
    package static func run(
        _ executable: String,
        _ arguments: [String] = [],
        input: Data? = nil,
        environment: [String: String]? = nil,
        timeout: TimeInterval = 120
    ) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let stdinPipe = Pipe()
        let stdoutFile = try temporaryFile()
        let stderrFile = try temporaryFile()
        process.standardInput = stdinPipe
        process.standardOutput = stdoutFile.handle
        process.standardError = stderrFile.handle
        try process.run()
        if let input {
            stdinPipe.fileHandleForWriting.write(input)
        }
        try stdinPipe.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline {
            usleep(2_000)
        }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        process.waitUntilExit()
        let out = try String(contentsOf: stdoutFile.url, encoding: .utf8)
        let err = try String(contentsOf: stderrFile.url, encoding: .utf8)
        try? FileManager.default.removeItem(at: stdoutFile.url)
        try? FileManager.default.removeItem(at: stderrFile.url)
        return Output(status: process.terminationStatus, standardOutput: out, standardError: err)
    }

    /// The Python client version the interop tests run against: `PROMETHEUS_PYTHON_CLIENT`, or
    /// 0.25.0. Scripts/test.sh runs the interop suites once more with 0.26.0.
    package static var pythonClientVersion: String {
        let version = ProcessInfo.processInfo.environment["PROMETHEUS_PYTHON_CLIENT"] ?? ""
        return version.isEmpty ? "0.25.0" : version
    }

    /// A python3 that can import prometheus_client at ``pythonClientVersion`` (fails under CI, cancels
    /// locally otherwise): `PROMETHEUS_PYTHON` (a path) when set, else python3 on PATH.
    package static func python() throws -> String {
        let configured = ProcessInfo.processInfo.environment["PROMETHEUS_PYTHON"] ?? ""
        let python = try require(configured.isEmpty ? "python3" : configured)
        let versionScript = "import importlib.metadata as m, sys; sys.stdout.write(m.version('prometheus_client'))"
        let probe = try run(python, ["-c", versionScript])
        let version = pythonClientVersion
        guard probe.status == 0, probe.standardOutput == version else {
            try unavailable(
                "Python prometheus_client==\(version) in \(python) (found: \(probe.standardOutput) \(probe.standardError))"
            )
        }
        return python
    }

    /// Runs a Python script with prometheus_client available; returns its standard output, throwing
    /// if it exits non-zero.
    package static func runPython(
        _ script: String, arguments: [String] = [], input: Data? = nil, environment: [String: String]? = nil
    ) throws -> String {
        let python = try python()
        let output = try run(python, ["-c", script] + arguments, input: input, environment: environment)
        guard output.status == 0 else {
            throw ToolFailure(tool: "python3", output: output)
        }
        return output.standardOutput
    }

    /// `promtool check metrics` on an exposition; returns the linter's complaints (empty when clean).
    package static func promtoolProblems(_ exposition: String) throws -> String? {
        let promtool = try require("promtool")
        let output = try run(promtool, ["check", "metrics"], input: Data(exposition.utf8))
        return output.status == 0 ? nil : output.standardOutput + output.standardError
    }

    /// `promtool check metrics` on a text-format exposition: whether it parses (exit status 1 means a
    /// parse error) and the linter's complaints (exit status 3), one per line.
    package static func promtoolCheck(_ exposition: String) throws -> (
        parses: Bool, lintProblems: [String], output: String
    ) {
        let promtool = try require("promtool")
        let output = try run(promtool, ["check", "metrics"], input: Data(exposition.utf8))
        let text = output.standardOutput + output.standardError
        let problems = output.status == 3 ? text.split(separator: "\n").map(String.init) : []
        return (output.status == 0 || output.status == 3, problems, text)
    }

    package struct ToolFailure: Error, CustomStringConvertible {
        package var tool: String
        package var output: Output
        package var description: String {
            "\(tool) exited with \(output.status)\nstdout:\n\(output.standardOutput)\nstderr:\n\(output.standardError)"
        }
    }

    private static func temporaryFile() throws -> (url: URL, handle: FileHandle) {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("prom-tool-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        return (url, try FileHandle(forWritingTo: url))
    }
}

extension ExternalTool {
    /// Parses `text` with the Python client's OpenMetrics parser, which refuses what breaks the format.
    ///
    /// - Throws: when Python's parser refuses it (or Python is missing: see ``require(_:sourceLocation:)``).
    package static func parseOpenMetricsWithPython(_ text: String) throws {
        _ = try runPython(
            """
            import sys
            from prometheus_client.openmetrics.parser import text_string_to_metric_families
            list(text_string_to_metric_families(sys.stdin.read()))
            """, input: Data(text.utf8))
    }
}

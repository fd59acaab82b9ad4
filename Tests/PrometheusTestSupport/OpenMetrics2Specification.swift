import Foundation
import Testing

/// The OpenMetrics 2.0 specification's own checks, run against a copy of prometheus/docs kept
/// outside this repository (nothing of the specification is committed):
///
/// - `OPENMETRICS2_SPEC`: the path of `docs/specs/om/open_metrics_spec_2_0.md` in that copy;
/// - `OPENMETRICS2_PYTHON`: a python3 that can import the `abnf` package (default: python3).
///
/// Without `OPENMETRICS2_SPEC` the tests that need it are skipped, loudly, in CI too: the
/// specification is not something the test script can install. docs/exposition.md gives the commands.
package enum OpenMetrics2Specification {
    /// One `openmetrics` example of the specification.
    package struct Example: Sendable {
        /// The line of its opening fence.
        package var line: Int
        /// Its text, ending with `# EOF` and a newline.
        package var text: String
        /// The prose line just before it, which says whether it is a correct example.
        package var introduction: String
    }

    /// The specification's path, or a skipped test.
    package static func path(sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        guard let path = ProcessInfo.processInfo.environment["OPENMETRICS2_SPEC"], !path.isEmpty else {
            let message =
                "SKIPPED: OPENMETRICS2_SPEC is not set; point it at open_metrics_spec_2_0.md of a prometheus/docs copy"
            FileHandle.standardError.write(Data("\n*** \(message) ***\n".utf8))
            try Test.cancel(Comment(rawValue: message), sourceLocation: sourceLocation)
        }
        return path
    }

    /// Every `openmetrics` example, with `# EOF` added where the specification's fence says so.
    package static func examples(sourceLocation: SourceLocation = #_sourceLocation) throws -> [Example] {
        let text = try String(contentsOfFile: try path(sourceLocation: sourceLocation), encoding: .utf8)
        var examples: [Example] = []
        var open: (line: Int, addsEnd: Bool, introduction: String)?
        var body: [Substring] = []
        var lastProse = ""
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if let current = open {
                if line.hasPrefix("```") {
                    var joined = body.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
                    if current.addsEnd { joined += "\n# EOF" }
                    examples.append(
                        Example(line: current.line, text: joined + "\n", introduction: current.introduction))
                    open = nil
                } else {
                    body.append(line)
                }
            } else if line.hasPrefix("```openmetrics") {
                open = (index + 1, line.hasPrefix("```openmetrics-add-eof"), lastProse)
                body = []
            } else if !line.trimmingCharacters(in: .whitespaces).isEmpty, !line.hasPrefix("```") {
                lastProse = String(line)
            }
        }
        return examples
    }

    /// Runs Scripts/check_openmetrics2_grammar.py on `bodies`; returns its report when any body
    /// does not parse with the specification's ABNF, nil when all do.
    package static func grammarProblems(_ bodies: [String], sourceLocation: SourceLocation = #_sourceLocation)
        throws -> String?
    {
        let spec = try path(sourceLocation: sourceLocation)
        let python = ProcessInfo.processInfo.environment["OPENMETRICS2_PYTHON"] ?? "python3"
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("om2-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var files: [String] = []
        for (index, body) in bodies.enumerated() {
            let file = directory.appendingPathComponent("body-\(index).txt")
            try Data(body.utf8).write(to: file)
            files.append(file.path)
        }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Scripts/check_openmetrics2_grammar.py").path
        let executable = try ExternalTool.require(python, sourceLocation: sourceLocation)
        let output = try ExternalTool.run(executable, [script, spec] + files, timeout: 300)
        return output.status == 0 ? nil : output.standardOutput + output.standardError
    }
}

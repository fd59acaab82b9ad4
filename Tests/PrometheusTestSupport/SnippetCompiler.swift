import Foundation
import Testing

/// Type-checks Swift source against this package's debug build, as a user's file that imports it
/// would be: for tests of what the compiler says about misuse.
package enum SnippetCompiler {
    /// The compiler's diagnostics for `source` (empty when it type-checks cleanly).
    ///
    /// - Throws: `ExternalTool.MissingTool` when `swiftc` or the built modules cannot be found.
    package static func typecheck(_ source: String) throws -> String {
        let swiftc = try ExternalTool.require("swiftc")
        let runner = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        // The test runner lives in the build directory (`.build/<triple>/debug/`), beside `Modules`.
        var buildDirectory = URL(fileURLWithPath: runner).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: buildDirectory.appendingPathComponent("Modules").path) {
            guard buildDirectory.pathComponents.count > 2 else {
                throw ExternalTool.MissingTool(name: "the package's built modules (swift build --build-tests)")
            }
            buildDirectory.deleteLastPathComponent()
        }
        var arguments = ["-typecheck", "-I", buildDirectory.appendingPathComponent("Modules").path]
        for module in ["CPrometheusSupport", "CPrometheusSystemCalls", "CPrometheusTLS"] {
            let map = buildDirectory.appendingPathComponent("\(module).build/module.modulemap").path
            if FileManager.default.fileExists(atPath: map) { arguments += ["-Xcc", "-fmodule-map-file=" + map] }
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("snippet-\(UUID().uuidString).swift")
        try source.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try ExternalTool.run(swiftc, arguments + [file.path], timeout: 120)
        return result.standardOutput + result.standardError
    }
}

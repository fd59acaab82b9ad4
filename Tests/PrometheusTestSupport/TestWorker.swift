import Foundation

/// The `PrometheusTestWorker` executable the multiprocess tests spawn (tests never fork themselves).
package enum TestWorker {
    /// Its path: next to the test runner, where `swift build --build-tests` puts it.
    ///
    /// - Throws: `ExternalTool.MissingTool` when it was not built.
    package static func path() throws -> String {
        let runner = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let path = URL(fileURLWithPath: runner).deletingLastPathComponent().appendingPathComponent(
            "PrometheusTestWorker"
        ).path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw ExternalTool.MissingTool(
                name: "PrometheusTestWorker next to the test runner (swift build --build-tests)")
        }
        return path
    }
}

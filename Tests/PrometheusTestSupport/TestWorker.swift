import Foundation
import Glibc

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

    /// Starts the worker with `arguments`, its standard output discarded.
    ///
    /// - Throws: when it was not built or cannot be started.
    package static func start(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try path())
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// SIGKILLs `process` if it still runs and waits for it: whatever failed, a worker must not
    /// outlive its test (it would hold the runner's standard error open, and write forever).
    package static func stop(_ process: Process) {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

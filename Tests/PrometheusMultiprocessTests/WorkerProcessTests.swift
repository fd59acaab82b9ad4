import Foundation
import Glibc
import PrometheusTestSupport
import Testing

@testable import PrometheusClient

/// Real worker processes (the `PrometheusTestWorker` executable): fork()ed children, SIGKILL while
/// growing files, and mode selection from the environment.
@Suite("Multiprocess writer: real worker processes")
struct WorkerProcessTests {
    typealias Fixtures = MultiprocessFixtures

    static func workerPath() throws -> String {
        try TestWorker.path()
    }

    /// A live worker that has written `mp_hold_total` and keeps its files mapped until `stop()`.
    struct HeldWorker {
        let process: Process
        let input: Pipe

        var pid: Int32 { process.processIdentifier }

        init(directory: String) throws {
            process = Process()
            process.executableURL = URL(fileURLWithPath: try WorkerProcessTests.workerPath())
            process.arguments = ["hold", directory]
            input = Pipe()
            let output = Pipe()
            process.standardInput = input
            process.standardOutput = output
            try process.run()
            // Bounded: the worker prints its line right after writing, or exits with an error.
            let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
            guard line.hasPrefix("ready") else {
                stop()
                throw ExternalTool.MissingTool(
                    name: "a held PrometheusTestWorker (it printed \(line.debugDescription))")
            }
        }

        func stop() {
            try? input.fileHandleForWriting.close()
            process.waitUntilExit()
        }
    }

    static func fields(_ output: String) -> [String: String] {
        var result: [String: String] = [:]
        for line in output.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            if parts.count == 2 {
                result[String(parts[0])] = String(parts[1])
            }
        }
        return result
    }

    @Test("children forked after metrics exist write their own files; the merged totals are exact")
    func forkedChildrenMergeExactly() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let children = 4
        let increments = 20_000
        let result = try ExternalTool.run(
            try Self.workerPath(), ["fork", directory, String(children), String(increments)], timeout: 120)
        #expect(result.status == 0, "\(result.standardError)")
        let fields = Self.fields(result.standardOutput)
        let parent = try #require(fields["parent"])
        let childPIDs = try #require(fields["children"]).split(separator: ",").map(String.init)
        let parentBusy = try #require(fields["parent_busy"].flatMap { Double($0) })
        #expect(childPIDs.count == children)

        let merged = try Fixtures.pythonMerge(directory)
        let key = Fixtures.sampleKey
        #expect(merged[key("mp_requests_total", [Label("who", "child")])] == Double(children * increments))
        #expect(merged[key("mp_requests_total", [Label("who", "parent")])] == 5)
        #expect(merged[key("mp_latency_count", [])] == Double(children * increments))
        #expect(merged[key("mp_latency_bucket", [Label("le", "1.0")])] == Double(children * increments))
        #expect(merged[key("mp_parent_busy_total", [])] == parentBusy)
        #expect(parentBusy > 0)
        let busySeries = merged.filter { $0.key.hasPrefix("mp_busy_series_total") }
        #expect(busySeries.count == Int((parentBusy + 15) / 16))
        #expect(busySeries.values.allSatisfy { $0 == 1 })
        // The gauge the children never touched exists only in the parent's file.
        #expect(merged.keys.filter { $0.hasPrefix("mp_untouched") } == [key("mp_untouched", [Label("pid", parent)])])

        for pid in childPIDs {
            #expect(!FileManager.default.fileExists(atPath: "\(directory)/gauge_all_\(pid).db"))
            let keys = try Fixtures.entries(ofFile: "\(directory)/counter_\(pid).db").map(\.key)
            #expect(keys.count == 2, "child \(pid) wrote entries it never used: \(keys)")
            #expect(keys.contains { $0.contains("\"child\"") })
            #expect(!keys.contains { $0.contains("mp_parent_busy") || $0.contains("\"parent\"") })
        }
    }

    @Test("a worker SIGKILLed while growing its files leaves files every reader parses; counters never go back")
    func killedWhileGrowingLeavesParsableFiles() throws {
        var largestFile = 0
        for delay in [0.02, 0.15, 0.4] {
            let directory = try Fixtures.temporaryDirectory()
            defer { Fixtures.remove(directory) }
            let process = try TestWorker.start(["grow", directory])
            defer { TestWorker.stop(process) }
            let path = "\(directory)/counter_\(process.processIdentifier).db"
            var lastSeen: [String: Double] = [:]
            let deadline = Date().addingTimeInterval(delay)
            // The kill must come after the worker has written entries: a loaded machine may start it
            // later than the delay, so the loop also waits (bounded) for two entries to be seen.
            let startupLimit = Date().addingTimeInterval(30)
            while (Date() < deadline || lastSeen.count < 2) && Date() < startupLimit {
                if FileManager.default.fileExists(atPath: path) {
                    try checkNeverBackwards(try Fixtures.entries(ofFile: path), against: &lastSeen)
                } else {
                    usleep(1000)
                }
            }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            #expect(process.terminationReason == .uncaughtSignal)

            let final = try Fixtures.entries(ofFile: path)
            try checkNeverBackwards(final, against: &lastSeen)
            #expect(final.count > 1)
            largestFile = max(largestFile, try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0)
            let merged = try Fixtures.pythonMerge(directory)
            #expect(merged.keys.filter { $0.hasPrefix("mp_grow_total") }.count == final.count - 1)
            for name in try FileManager.default.contentsOfDirectory(atPath: directory) where name.hasSuffix(".db") {
                _ = try Fixtures.entries(ofFile: "\(directory)/\(name)")
            }
        }
        #expect(largestFile > 4 * 65536, "the worker was killed before its file grew")
    }

    private func checkNeverBackwards(_ entries: [Fixtures.Entry], against lastSeen: inout [String: Double]) throws {
        var present = Set<String>()
        for entry in entries {
            present.insert(entry.key)
            if let previous = lastSeen[entry.key] {
                #expect(entry.value >= previous, "\(entry.key) went from \(previous) to \(entry.value)")
            }
            lastSeen[entry.key] = entry.value
        }
        #expect(Set(lastSeen.keys).isSubset(of: present), "an entry disappeared")
    }

    @Test("PROMETHEUS_MULTIPROC_DIR set but empty is an error, not the current directory")
    func emptyEnvironmentDirectoryIsAnError() throws {
        let result = try ExternalTool.run(try Self.workerPath(), ["env"], environment: ["PROMETHEUS_MULTIPROC_DIR": ""])
        #expect(result.status == 3)
        #expect(result.standardOutput.contains("empty"), "\(result.standardOutput)")
    }

    @Test("a missing PROMETHEUS_MULTIPROC_DIR is an error naming the path")
    func missingEnvironmentDirectoryIsAnError() throws {
        let path = "/nonexistent-\(UUID().uuidString)"
        let result = try ExternalTool.run(
            try Self.workerPath(), ["env"], environment: ["PROMETHEUS_MULTIPROC_DIR": path])
        #expect(result.status == 3)
        #expect(result.standardOutput.contains(path) && result.standardOutput.contains("does not exist"))
    }

    @Test("the deprecated lower-case prometheus_multiproc_dir still works, with one warning")
    func lowerCaseEnvironmentVariableWarns() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        var environment = ProcessInfo.processInfo.environment
        environment["PROMETHEUS_MULTIPROC_DIR"] = nil
        environment["prometheus_multiproc_dir"] = directory
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.workerPath())
        process.arguments = ["env"]
        process.environment = environment
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        process.waitUntilExit()
        let out = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let err = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0, "\(out)\(err)")
        #expect(out.contains("directory=\(directory)"))
        #expect(err.split(separator: "\n").filter { $0.contains("deprecated") }.count == 1, "\(err)")
        let merged = try Fixtures.pythonMerge(directory)
        #expect(merged[Fixtures.sampleKey("mp_env_total")] == 1)
    }
}

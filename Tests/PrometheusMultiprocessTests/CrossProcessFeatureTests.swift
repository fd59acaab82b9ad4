import Foundation
import Glibc
import PrometheusTestSupport
import Testing

@testable import PrometheusClient
@testable import PrometheusMultiprocess

/// What the Python client cannot do in multiprocess mode, done across real worker processes
/// (`PrometheusTestWorker script`, driven step by step): exemplars, remove()/clear(), `_created`,
/// gauge callbacks, a master's own metrics and custom collectors beside the merge, and how a Python
/// master sees the files.
@Suite("Multiprocess: features across processes")
struct CrossProcessFeatureTests {
    typealias Fixtures = MultiprocessFixtures

    /// A worker process that runs one command per line and answers "ok".
    final class Worker {
        let process = Process()
        private let input = Pipe()
        private let output = Pipe()
        private var buffered = Data()
        private(set) var pid: Int32 = 0

        init(directory: String, environment: [String: String] = [:]) throws {
            process.executableURL = URL(fileURLWithPath: try WorkerProcessTests.workerPath())
            process.arguments = ["script", directory]
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            process.standardInput = input
            process.standardOutput = output
            try process.run()
            let ready = try line()
            guard ready.hasPrefix("ready pid="), let pid = Int32(ready.dropFirst("ready pid=".count)) else {
                stop()
                throw ExternalTool.MissingTool(name: "a scripted PrometheusTestWorker (it printed \(ready))")
            }
            self.pid = pid
        }

        deinit { stop() }

        /// Runs `commands` one after the other, each acknowledged before the next is sent.
        func run(_ commands: String...) throws {
            for command in commands {
                input.fileHandleForWriting.write(Data((command + "\n").utf8))
                let answer = try line()
                guard answer == "ok" else { throw WorkerFailure(command: command, answer: answer) }
            }
        }

        /// Runs `command` and returns what it printed up to a line "end".
        func output(of command: String) throws -> String {
            input.fileHandleForWriting.write(Data((command + "\n").utf8))
            var lines: [String] = []
            while true {
                let next = try line()
                if next == "end" { break }
                lines.append(next)
            }
            guard try line() == "ok" else { throw WorkerFailure(command: command, answer: lines.joined()) }
            return lines.joined(separator: "\n") + "\n"
        }

        /// Ends the worker (its lease goes with it) and waits for it.
        func stop() {
            guard process.isRunning else { return }
            try? input.fileHandleForWriting.close()
            process.waitUntilExit()
        }

        private func line() throws -> String {
            while true {
                if let newline = buffered.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = String(decoding: buffered[buffered.startIndex..<newline], as: UTF8.self)
                    buffered.removeSubrange(buffered.startIndex...newline)
                    return line
                }
                // Ends (empty) when the worker exits, so a failed worker cannot hang the test.
                let chunk = output.fileHandleForReading.availableData
                guard !chunk.isEmpty else { throw WorkerFailure(command: "(reading)", answer: "worker ended") }
                buffered.append(chunk)
            }
        }
    }

    struct WorkerFailure: Error, CustomStringConvertible {
        var command: String
        var answer: String
        var description: String { "worker answered \(answer.debugDescription) to \(command)" }
    }

    static func merged(_ directory: String, lifecycle: MultiprocessLifecycle = .automatic) throws -> [MetricFamily] {
        try MultiProcessCollector(path: directory, lifecycle: lifecycle).collect()
    }

    static func sample(_ families: [MetricFamily], _ name: String, _ labels: [Label] = []) -> Sample? {
        families.lazy.flatMap(\.samples).first { $0.name == name && $0.labels == labels }
    }

    // MARK: - Exemplars

    @Test("the master's OpenMetrics output carries the latest exemplar across processes")
    func latestExemplarAcrossProcessesReachesTheMaster() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let first = try Worker(directory: directory)
        let second = try Worker(directory: directory)
        try first.run("inc mp_script_requests a 1 first-trace", "observe mp_script_latency 0.5 first-bucket")
        try second.run("inc mp_script_requests a 2 second-trace", "observe mp_script_latency 0.7 second-bucket")
        try first.run("observe mp_script_latency 5 first-high")
        var families = try Self.merged(directory)
        let total = try #require(Self.sample(families, "mp_script_requests_total", [Label("key", "a")]))
        #expect(total.value == 3)
        #expect(total.exemplar?.labels == [Label("trace_id", "second-trace")])
        #expect(total.exemplar?.value == 2)
        let low = try #require(Self.sample(families, "mp_script_latency_bucket", [Label("le", "1.0")]))
        #expect(low.exemplar?.labels == [Label("trace_id", "second-bucket")])
        let high = try #require(Self.sample(families, "mp_script_latency_bucket", [Label("le", "10.0")]))
        #expect(high.exemplar?.labels == [Label("trace_id", "first-high")])
        let text = Exposition.string(families, as: .openMetrics100)
        #expect(text.contains(#"mp_script_requests_total{key="a"} 3.0 # {trace_id="second-trace"} 2.0 "#))
        try ExternalTool.parseOpenMetricsWithPython(text)

        // A newer exemplar in the other process wins; a dead writer's exemplars survive archiving.
        try first.run("inc mp_script_requests a 1 third-trace")
        first.stop()
        second.stop()
        families = try Self.merged(directory)  // judges both dead and archives them
        families = try Self.merged(directory)
        #expect(
            Self.sample(families, "mp_script_requests_total", [Label("key", "a")])?.exemplar?.labels == [
                Label("trace_id", "third-trace")
            ])
        #expect(
            Self.sample(families, "mp_script_latency_bucket", [Label("le", "1.0")])?.exemplar?.labels == [
                Label("trace_id", "second-bucket")
            ])
        let names = try Fixtures.names(directory)
        #expect(names.contains("counter_archive.exemplars"))
        #expect(!names.contains { $0.hasSuffix(".exemplars") && !$0.contains("archive") })
    }

    @Test("a process that records no exemplar writes no exemplar file")
    func noExemplarNoExemplarFile() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let worker = try Worker(directory: directory)
        try worker.run("inc mp_script_requests a 1", "observe mp_script_latency 0.5")
        #expect(try Fixtures.names(directory).allSatisfy { !$0.hasSuffix(".exemplars") })
        let families = try Self.merged(directory)
        #expect(Self.sample(families, "mp_script_requests_total", [Label("key", "a")])?.exemplar == nil)
    }

    @Test("a torn or forged exemplar record is ignored; the whole one is served")
    func tornExemplarRecordFallsBackToTheWholeOne() throws {
        let key = DBKey.encode(familyName: "c", sampleName: "c_total", labels: [], help: "h")
        var file = ExemplarFileLayout.makeFile(entries: [
            (key, Exemplar(labels: [Label("trace_id", "old")], value: 1, timestamp: Timestamp(unixSeconds: 10)))
        ])
        let location = try file.withUnsafeBytes { try ExemplarFileLayout.entry(at: 8, in: $0, used: $0.count) }
        file.withUnsafeMutableBytes { raw in
            let slot = raw.baseAddress! + location.slotOffset
            ExemplarFileLayout.write(
                value: 2, timestamp: 20, labels: ExemplarFileLayout.encodeLabels([Label("trace_id", "new")]),
                toSlot: slot)
        }
        let newest = file.withUnsafeBytes { ExemplarFileLayout.exemplar(at: location, in: $0)?.exemplar }
        #expect(newest?.labels == [Label("trace_id", "new")])
        // Tear the newest record's labels as a reader's copy or a killed writer could.
        let newRecord = ExemplarFileLayout.recordOffset(1, of: location)
        file[newRecord + ExemplarFileLayout.recordHeaderSize + 3] ^= 0xFF
        let fallback = file.withUnsafeBytes { ExemplarFileLayout.exemplar(at: location, in: $0)?.exemplar }
        #expect(fallback?.labels == [Label("trace_id", "old")])
    }

    // MARK: - remove() and clear()

    @Test("a series removed by every process that wrote it leaves the merge, and comes back fresh")
    func removedSeriesLeavesTheMergeAndReturnsFresh() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let first = try Worker(directory: directory)
        let second = try Worker(directory: directory)
        try first.run("inc mp_script_requests a 5", "inc mp_script_requests b 1", "gauge mp_script_g livesum a 2")
        try second.run("inc mp_script_requests a 3", "gauge mp_script_g livesum a 4")
        try first.run("remove mp_script_requests a", "remove mp_script_g a")
        var families = try Self.merged(directory)
        // Only the second process's part of the series is left.
        #expect(Self.sample(families, "mp_script_requests_total", [Label("key", "a")])?.value == 3)
        #expect(Self.sample(families, "mp_script_g", [Label("key", "a")])?.value == 4)
        #expect(Self.sample(families, "mp_script_requests_total", [Label("key", "b")])?.value == 1)
        // A Python master does not know the mark: the remover's part counts as 0.
        let python = try Fixtures.pythonMerge(directory)
        #expect(python[Fixtures.sampleKey("mp_script_requests_total", [Label("key", "a")])] == 3)

        try second.run("clear mp_script_requests", "clear mp_script_g")
        families = try Self.merged(directory)
        #expect(Self.sample(families, "mp_script_requests_total", [Label("key", "a")]) == nil)
        #expect(Self.sample(families, "mp_script_requests_created", [Label("key", "a")]) == nil)
        #expect(Self.sample(families, "mp_script_g", [Label("key", "a")]) == nil)
        #expect(Self.sample(families, "mp_script_requests_total", [Label("key", "b")])?.value == 1)

        let beforeRecreation = Date().timeIntervalSince1970
        try first.run("inc mp_script_requests a 1")
        families = try Self.merged(directory)
        #expect(Self.sample(families, "mp_script_requests_total", [Label("key", "a")])?.value == 1)
        let created = try #require(Self.sample(families, "mp_script_requests_created", [Label("key", "a")]))
        #expect(created.value >= beforeRecreation - 1)
    }

    @Test("a removed series stays out of the archive when its writer dies")
    func removedSeriesStaysOutAfterArchiving() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let worker = try Worker(directory: directory)
        try worker.run("inc mp_script_requests a 5", "inc mp_script_requests b 2", "remove mp_script_requests a")
        worker.stop()
        _ = try Self.merged(directory)  // archives the dead writer
        #expect(try Fixtures.names(directory).contains("counter_archive.db"))
        let families = try Self.merged(directory)
        #expect(Self.sample(families, "mp_script_requests_total", [Label("key", "a")]) == nil)
        #expect(Self.sample(families, "mp_script_requests_total", [Label("key", "b")])?.value == 2)
    }

    // MARK: - _created

    @Test("counters, histograms and summaries carry the earliest creation among their writers")
    func createdIsTheEarliestCreationAmongWriters() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let started = Date().timeIntervalSince1970
        let first = try Worker(directory: directory)
        try first.run("inc mp_script_requests a 1", "observe mp_script_latency 0.5", "summary mp_script_sum a 1")
        usleep(50_000)
        let between = Date().timeIntervalSince1970
        let second = try Worker(directory: directory)
        try second.run("inc mp_script_requests a 1", "observe mp_script_latency 0.5", "summary mp_script_sum a 1")
        let families = try Self.merged(directory)
        for (name, labels) in [
            ("mp_script_requests_created", [Label("key", "a")]), ("mp_script_latency_created", []),
            ("mp_script_sum_created", [Label("key", "a")]),
        ] {
            let created = try #require(Self.sample(families, name, labels), "\(name)")
            #expect(created.value >= started - 0.01 && created.value < between, "\(name) = \(created.value)")
        }
        // Series written only by Python workers (which record no creation) have none.
        #expect(try ExternalTool.promtoolCheck(Exposition.string(families, as: .prometheusText004)).parses)
    }

    @Test("PROMETHEUS_DISABLE_CREATED_SERIES in the master leaves _created out of the merge")
    func disabledCreatedSeriesInTheMaster() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let worker = try Worker(directory: directory)
        try worker.run("inc mp_script_requests a 1")
        let tool = try DemoProcess.builtExecutable("prometheus-multiproc").path
        let enabled = try ExternalTool.run(tool, ["merge", directory])
        #expect(enabled.standardOutput.contains("mp_script_requests_created{key=\"a\"}"))
        let disabled = try ExternalTool.run(
            tool, ["merge", directory], environment: ["PROMETHEUS_DISABLE_CREATED_SERIES": "true"])
        #expect(disabled.status == 0)
        #expect(disabled.standardOutput.contains("mp_script_requests_total{key=\"a\"} 1.0"))
        #expect(!disabled.standardOutput.contains("_created"))
        // A collector's own choice, whatever the process's switch says.
        let without = try MultiProcessCollector(path: directory, createdSeries: false).collect()
        #expect(!without.flatMap(\.samples).contains { $0.name.hasSuffix("_created") })
        let with = try MultiProcessCollector(path: directory, createdSeries: true).collect()
        #expect(with.flatMap(\.samples).contains { $0.name == "mp_script_requests_created" })
    }

    // MARK: - Gauge callbacks

    @Test("a gauge callback in a worker is sampled into its file at the interval and on demand")
    func gaugeCallbackReachesTheMaster() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let worker = try Worker(directory: directory)
        try worker.run("interval 3600", "function mp_script_queue livesum 4")
        // Sampled once when set.
        #expect(Self.sample(try Self.merged(directory), "mp_script_queue")?.value == 4)
        try worker.run("function mp_script_queue livesum 6")
        #expect(Self.sample(try Self.merged(directory), "mp_script_queue")?.value == 4, "not sampled yet")
        try worker.run("sample")
        #expect(Self.sample(try Self.merged(directory), "mp_script_queue")?.value == 6)
        // The sampling thread: a short interval reaches the master without asking.
        try worker.run("interval 0.02", "function mp_script_queue livesum 8")
        var seen = 0.0
        for _ in 0..<200 where seen != 8 {
            usleep(20_000)
            seen = Self.sample(try Self.merged(directory), "mp_script_queue")?.value ?? 0
        }
        #expect(seen == 8)
    }

    @Test("twenty children forked while the sampling thread runs every 10 ms all sample their callbacks")
    func childrenForkedDuringSamplingAllSample() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let worker = try Worker(directory: directory)
        try worker.run("interval 0.0001", "function mp_script_queue livesum 5")
        let children = 20
        for _ in 0..<children {
            #expect(try worker.output(of: "forkwrite mp_script_requests").hasPrefix("child="))
        }
        let expected = Double(5 * (children + 1))
        var seen = 0.0
        for _ in 0..<500 where seen != expected {
            usleep(20_000)
            seen = Self.sample(try Self.merged(directory, lifecycle: .manual), "mp_script_queue")?.value ?? 0
        }
        #expect(seen == expected)
        worker.stop()
    }

    @Test("a child forked after setFunction samples its copy of the callback once it writes")
    func forkedChildSamplesItsCallbacks() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let worker = try Worker(directory: directory)
        try worker.run("interval 0.02", "function mp_script_queue livesum 5")
        let child = try worker.output(of: "forkwrite mp_script_requests")
        #expect(child.hasPrefix("child="))
        // Parent and child each contribute 5 to the livesum gauge once the child's sampler runs.
        var seen = 0.0
        for _ in 0..<250 where seen != 10 {
            usleep(20_000)
            seen = Self.sample(try Self.merged(directory, lifecycle: .manual), "mp_script_queue")?.value ?? 0
        }
        #expect(seen == 10)
        worker.stop()
    }

    // MARK: - The master's own metrics and custom collectors

    @Test("a master's own metrics and custom collectors sit beside the merge without duplicate families")
    func masterMetricsAndCustomCollectorsBesideTheMerge() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let worker = try Worker(directory: directory)
        try worker.run("inc mp_script_requests a 2", "inc mp_script_clash a 1")
        let master = try Worker(directory: directory)
        let text = try master.output(of: "master mp_script_requests")
        let typeLines = text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }
        #expect(Set(typeLines).count == typeLines.count, "a family appears twice:\n\(text)")
        // The master's own counter comes from its file, once; the custom series is added to it.
        #expect(text.contains("mp_script_requests_total{key=\"master\"} 7.0"))
        #expect(text.contains("mp_script_requests_total{key=\"a\"} 2.0"))
        #expect(text.contains("mp_script_requests_total{key=\"custom\"} 11.0"))
        #expect(text.contains("custom_queue_length 3.0"))
        // The custom gauge that clashes with the merged counter is left out, and reported.
        #expect(text.contains("mp_script_clash_total{key=\"a\"} 1.0"))
        #expect(!text.contains("mp_script_clash 1.0"))
        #expect(text.contains("# failure:") && text.contains("mp_script_clash"))
        let body = text.split(separator: "\n").filter { !$0.hasPrefix("# failure") }.joined(separator: "\n") + "\n"
        #expect(try ExternalTool.promtoolCheck(body).parses)
    }
}

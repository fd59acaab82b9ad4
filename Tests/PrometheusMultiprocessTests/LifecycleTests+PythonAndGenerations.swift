import Foundation
import Glibc
import PrometheusTestSupport
import Testing

@testable import PrometheusClient
@testable import PrometheusMultiprocess

/// The lifecycle suite, continued: Python writers beside Swift ones, and generations of a directory.
extension LifecycleTests {
    // MARK: - Python writers

    static let pythonWriter = """
        import os, sys
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = sys.argv[1]
        from prometheus_client import Counter, Gauge
        Counter("py_jobs", "Jobs.").inc(2)
        Gauge("py_busy", "Busy.", multiprocess_mode="livesum").set(1)
        Gauge("py_pid", "Pid.", multiprocess_mode="liveall").set(os.getpid())
        print("ready pid=%d" % os.getpid(), flush=True)
        sys.stdin.readline()
        """

    @Test("Python workers killed without mark_process_dead leave the merge's live gauges; their counters stay")
    func killedPythonWorkersLeaveLiveGauges() throws {
        let python = try ExternalTool.python()
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let survivor = try LineSession(python, ["-c", Self.pythonWriter, directory])
        defer { survivor.finish() }
        let victim = try LineSession(python, ["-c", Self.pythonWriter, directory])
        let survivorPID = try #require(survivor.readLine()?.dropFirst("ready pid=".count))
        _ = victim.readLine()
        // Python's files have no lease: judged by pid, and they must be mapped by a live process.
        let collector = try MultiProcessCollector(path: directory)
        var families = try collector.collect()
        #expect(Self.value(families, "py_busy") == 2)
        victim.kill()
        families = try collector.collect()
        #expect(Self.value(families, "py_busy") == 1)
        #expect(Self.samples(families, "py_pid").compactMap { $0.labels["pid"] } == [String(survivorPID)])
        #expect(Self.value(families, "py_jobs_total") == 4)
        families = try collector.collect()
        #expect(Self.value(families, "py_jobs_total") == 4)
        #expect(try Self.dbFiles(directory).contains("counter_archive.db"))
    }

    @Test(
        "a pid reused by another process is not taken for the dead Python writer; a Python process joining its files is"
    )
    func reusedPidIsNotTheDeadPythonWriter() throws {
        try Self.requireRoot("a private pid namespace where pids can be reused on purpose")
        let python = try ExternalTool.python()
        let unshare = try ExternalTool.require("unshare")
        let tool = try DemoProcess.builtExecutable("prometheus-multiproc").path
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        // Inside a fresh pid namespace nothing else takes pids: setting ns_last_pid makes the next
        // child get the dead writer's pid again.
        let driver = """
            import os, signal, subprocess, sys, time
            directory, tool, writer = sys.argv[1], sys.argv[2], sys.argv[3]
            def reuse(pid):
                with open("/proc/sys/kernel/ns_last_pid", "w") as f:
                    f.write(str(pid - 1))
            def status(tag):
                time.sleep(2.1)  # past the settling time of freshly written files
                out = subprocess.run([tool, "status", directory], capture_output=True, text=True).stdout
                for line in out.splitlines():
                    print(tag, line, flush=True)
            a = subprocess.Popen([sys.executable, "-c", writer, directory], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            a.stdout.readline()
            pid = a.pid
            print("writer", pid, flush=True)
            a.kill(); a.wait()
            reuse(pid)
            other = subprocess.Popen(["sleep", "30"])
            print("reused", other.pid == pid, flush=True)
            status("sleep")
            other.kill(); other.wait()
            reuse(pid)
            b = subprocess.Popen([sys.executable, "-c", writer, directory], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            b.stdout.readline()
            print("reused", b.pid == pid, flush=True)
            status("joined")
            b.kill(); b.wait()
            """
        let result = try ExternalTool.run(
            unshare, ["--pid", "--fork", "--mount-proc", python, "-c", driver, directory, tool, Self.pythonWriter],
            timeout: 120)
        #expect(result.status == 0, "\(result.standardError)")
        let lines = result.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.filter { $0.hasPrefix("reused") } == ["reused True", "reused True"])
        let pid = try #require(lines.first { $0.hasPrefix("writer ") }?.dropFirst("writer ".count))
        #expect(lines.contains { $0.hasPrefix("sleep \(pid)\tdead\tpid \(pid) is another process") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("joined \(pid)\talive\tprocess \(pid) maps its files") }, "\(lines)")
    }

    // MARK: - Generations

    @Test("a master restarted on an earlier run's directory carries its totals over, and leaves no stale gauges")
    func restartedMasterCarriesTotalsOver() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        do {
            let generation = try MultiprocessGeneration.claim(path: directory, previousRun: .carryOver)
            let writers = try (0..<3).map { _ in try HeldWriter(directory) }
            #expect(throws: MultiprocessError.self) {
                try MultiprocessGeneration.claim(path: directory, previousRun: .carryOver)
            }
            for writer in writers { writer.kill() }
            withExtendedLifetime(generation) {}
        }
        let restarted = try MultiprocessGeneration.claim(path: directory, previousRun: .carryOver)
        #expect(restarted.report.archivedWriters.count == 3)
        #expect(restarted.report.liveWriters.isEmpty)
        #expect(try Fixtures.names(directory) == ["counter_archive.db", "gauge_max_archive.db", "master.lock"])
        let families = try MultiProcessCollector(path: directory).collect()
        #expect(Self.value(families, "mp_hold_total") == 3)
        #expect(Self.value(families, "mp_hold_busy") == nil)
        #expect(try Fixtures.pythonMerge(directory)[Fixtures.sampleKey("mp_hold_total")] == 3)
    }

    @Test("a master restarted with the remove policy starts from zero, and leaves live writers alone")
    func restartedMasterRemovesTheEarlierRun() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let dead = try HeldWriter(directory)
        dead.kill()
        try MultiProcessCollector(path: directory).archiveDeadWriters()
        let earlier = try HeldWriter(directory)
        earlier.kill()
        let survivor = try HeldWriter(directory)
        defer { survivor.stop() }
        let generation = try MultiprocessGeneration.claim(path: directory, previousRun: .remove)
        #expect(generation.report.removedWriters == [String(earlier.pid)])
        #expect(generation.report.liveWriters == [String(survivor.pid)])
        // Archives stay while a writer of the earlier run lives on (its totals build on them).
        #expect(generation.report.removedArchives == 0)
        #expect(!(try Self.dbFiles(directory).contains { $0.hasSuffix("_\(earlier.pid).db") }))
        #expect(try Self.dbFiles(directory).contains("counter_\(survivor.pid).db"))
    }
}

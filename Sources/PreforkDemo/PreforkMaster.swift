import Glibc
import PrometheusClient
import PrometheusMultiprocess
import PrometheusServing

/// The master process: owns the multiprocess directory and the application socket, forks the
/// workers, replaces the ones that die, and serves the merged metrics on its own port.
///
/// Order matters: signals are blocked and every first-generation worker is forked before the
/// metrics server starts its threads (see ``WorkerLauncher``).
final class PreforkMaster {
    private let configuration: DemoConfiguration
    private var directory = ""
    private var createdDirectory = false
    private var generation: MultiprocessGeneration?
    private var workers: [pid_t: Int] = [:]
    private var restartsDue: [(slot: Int, at: Double)] = []
    private var recentRestarts: [Int: [Double]] = [:]

    init(configuration: DemoConfiguration) {
        self.configuration = configuration
    }

    func run() -> Int32 {
        DemoSignals.block()
        let appSocket: MetricsListener
        let metricsSocket: MetricsListener
        do {
            try prepareDirectory()
            appSocket = try MetricsListener.bind(address: configuration.appAddress, port: configuration.appPort)
            // Workers spawned later inherit the application socket by exec.
            try appSocket.setInheritedByExec(true)
            metricsSocket = try MetricsListener.bind(
                address: configuration.metricsAddress, port: configuration.metricsPort)
        } catch {
            DemoLog.error("\(error)")
            cleanUpDirectory()
            return 1
        }

        for slot in 0..<configuration.workers {
            do {
                let pid = try WorkerLauncher.fork {
                    metricsSocket.close()
                    return DemoWorker.run(listenFD: appSocket.descriptor, masterPID: getppid(), slot: slot)
                }
                workers[pid] = slot
            } catch {
                DemoLog.error("\(error)")
                stopWorkers()
                return 1
            }
        }

        // From here on the master has threads: no more fork().
        let metricsServer: MetricsServer
        do {
            metricsServer = try DemoMetrics.startMasterServer(
                listener: metricsSocket, directory: directory, tls: configuration.metricsTLS)
        } catch {
            DemoLog.error("cannot serve metrics: \(error)")
            stopWorkers()
            cleanUpDirectory()
            return 1
        }
        DemoLog.info("multiprocess directory \(directory)")
        DemoLog.info(
            "listening app=\(Self.hostPort(configuration.appAddress, appSocket.port)) "
                + "metrics=\(Self.hostPort(configuration.metricsAddress, metricsSocket.port)) "
                + "workers=\(configuration.workers)")
        DemoLog.info(
            "open \(Self.url(configuration.appAddress, appSocket.port))/ and "
                + "\(Self.url(configuration.metricsAddress, metricsSocket.port, secure: configuration.metricsTLS != nil))"
                + "/metrics; Ctrl-C stops")

        supervise(appSocket: appSocket)

        DemoLog.info("stopping")
        stopWorkers()
        metricsServer.stop()
        metricsSocket.close()
        appSocket.close()
        cleanUpDirectory()
        DemoLog.info("stopped")
        return 0
    }

    private func supervise(appSocket: MetricsListener) {
        let masterPID = getpid()
        while true {
            if let signal = DemoSignals.wait(seconds: 0.2), DemoSignals.isStop(signal) { return }
            reap()
            let now = DemoApplication.monotonicSeconds()
            let due = restartsDue.filter { $0.at <= now }
            restartsDue.removeAll { $0.at <= now }
            for (slot, _) in due {
                do {
                    let pid = try WorkerLauncher.spawn(
                        listenFD: appSocket.descriptor, masterPID: masterPID, slot: slot)
                    workers[pid] = slot
                    DemoLog.info("worker \(slot) restarted as pid \(pid)")
                } catch {
                    DemoLog.error("cannot restart worker \(slot): \(error); retrying")
                    restartsDue.append((slot, now + 1))
                }
            }
        }
    }

    /// Collects exited workers, reports them dead to the multiprocess directory, and schedules
    /// their replacement (with a delay if a slot keeps crashing).
    private func reap() {
        var status: Int32 = 0
        while true {
            let pid = waitpid(-1, &status, WNOHANG)
            guard pid > 0 else { return }
            guard let slot = workers.removeValue(forKey: pid) else { continue }
            let how = (status & 0x7F) == 0 ? "exit status \((status >> 8) & 0xFF)" : "signal \(status & 0x7F)"
            DemoLog.info("worker \(slot) (pid \(pid)) ended with \(how)")
            DemoMetrics.markDead(pid: pid, directory: directory)
            let now = DemoApplication.monotonicSeconds()
            var history = (recentRestarts[slot] ?? []).filter { $0 > now - 10 }
            history.append(now)
            recentRestarts[slot] = history
            // Crash loops: back off to one restart per 2 s once a slot died 5 times in 10 s.
            restartsDue.append((slot, history.count >= 5 ? now + 2 : now))
        }
    }

    /// SIGTERM to every worker, up to 5 s to exit, then SIGKILL; always reaps.
    private func stopWorkers() {
        for pid in workers.keys { kill(pid, SIGTERM) }
        let deadline = DemoApplication.monotonicSeconds() + 5
        while !workers.isEmpty && DemoApplication.monotonicSeconds() < deadline {
            var status: Int32 = 0
            let pid = waitpid(-1, &status, WNOHANG)
            if pid > 0 {
                workers.removeValue(forKey: pid)
            } else {
                usleep(10_000)
            }
        }
        for pid in workers.keys {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        workers.removeAll()
    }

    /// Picks the directory, creates it if needed, claims it for this run (dealing with an earlier
    /// run's files by the configured policy), and exports it so that the workers' metrics use
    /// multiprocess mode.
    private func prepareDirectory() throws(DemoError) {
        if let configured = configuration.directory {
            directory = configured
            if mkdir(configured, 0o755) != 0 && errno != EEXIST {
                throw .directory(configured, String(cString: strerror(errno)))
            }
        } else {
            var template = Array("/tmp/prefork-demo-XXXXXX".utf8CString)
            guard let created = mkdtemp(&template) else {
                throw .directory("/tmp/prefork-demo-XXXXXX", String(cString: strerror(errno)))
            }
            directory = String(cString: created)
            createdDirectory = true
        }
        do {
            let claimed = try MultiprocessGeneration.claim(path: directory, previousRun: configuration.previousRun)
            let report = claimed.report
            if !report.archivedWriters.isEmpty {
                DemoLog.info("carried over \(report.archivedWriters.count) writers of an earlier run into the archives")
            }
            if !report.removedWriters.isEmpty || report.removedArchives > 0 {
                DemoLog.info(
                    "removed the files of \(report.removedWriters.count) writers and \(report.removedArchives) archives of an earlier run"
                )
            }
            if !report.liveWriters.isEmpty {
                DemoLog.info("left \(report.liveWriters.count) writers that are still alive alone")
            }
            generation = claimed
        } catch {
            throw .directory(directory, "\(error)")
        }
        setenv("PROMETHEUS_MULTIPROC_DIR", directory, 1)
    }

    /// Deletes every file of a directory the demo created itself.
    private static func removeFiles(in path: String) {
        guard let handle = opendir(path) else { return }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        for name in names { unlink(path + "/" + name) }
    }

    private func cleanUpDirectory() {
        generation?.release()
        guard createdDirectory else { return }
        Self.removeFiles(in: directory)
        rmdir(directory)
    }

    private static func hostPort(_ address: String, _ port: Int) -> String {
        address.contains(":") ? "[\(address)]:\(port)" : "\(address):\(port)"
    }

    private static func url(_ address: String, _ port: Int, secure: Bool = false) -> String {
        (secure ? "https://" : "http://") + hostPort(address, port)
    }
}

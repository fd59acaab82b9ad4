import Foundation
import Glibc
import PrometheusClient
import PrometheusMultiprocess
import Synchronization

/// The identity a `hold` argument names: pid, slot:N, name:NAME or free:COUNT.
func identity(_ text: String) -> WriterIdentity {
    let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
    switch (parts.first, parts.count == 2 ? parts[1] : nil) {
    case ("pid", nil): return .processID
    case ("slot", let index?): return .slot(Int(index) ?? -1)
    case ("name", let name?): return .named(name)
    case ("free", let count?): return .firstFreeSlot(below: Int(count) ?? 0)
    default: fail("bad identity \(text)")
    }
}

/// The metrics of a held or churned worker: a counter and one gauge per interesting mode.
struct HoldMetrics {
    let counter: Counter<Unlabelled>
    let busy: Gauge<Unlabelled>
    let pidGauge: Gauge<Unlabelled>
    let peak: Gauge<Unlabelled>

    init() throws {
        counter = try Counter(name: "mp_hold", help: "A live worker.", registry: nil)
        busy = try Gauge(name: "mp_hold_busy", help: "Busy workers.", multiprocessMode: .livesum, registry: nil)
        pidGauge = try Gauge(name: "mp_hold_pid", help: "Worker pids.", multiprocessMode: .liveall, registry: nil)
        peak = try Gauge(name: "mp_hold_peak", help: "Largest pid.", multiprocessMode: .max, registry: nil)
    }

    func write() {
        counter.inc()
        busy.set(1)
        pidGauge.set(Double(getpid()))
        peak.set(Double(getpid()))
    }
}

/// Writes one counter, says so, and stays alive (its files mapped) until standard input closes.
func runHold(directory: String, identity: WriterIdentity) throws {
    do {
        try Multiprocess.enable(directory: directory, identity: identity)
    } catch {
        print("error=\(error)")
        exit(3)
    }
    try HoldMetrics().write()
    print("ready pid=\(getpid())")
    fflush(nil)
    while readLine() != nil {}
}

/// Keeps `live` writers, then forks `kills` more one at a time; each writes, tells the parent, and
/// is SIGKILLed by it (the parent is not the master and never calls markProcessDead).
func runChurn(directory: String, kills: Int, live: Int) throws {
    try Multiprocess.enable(directory: directory)
    let parent = getpid()
    func spawnWriter() -> pid_t {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { fail("pipe failed") }
        let pid = fork()
        if pid == 0 {
            close(fds[0])
            // Metrics made in the child only: the parent never writes, so it is no writer itself.
            guard let metrics = try? HoldMetrics() else { _exit(4) }
            metrics.write()
            var byte: UInt8 = 1
            _ = write(fds[1], &byte, 1)
            // Ends with the parent, so no writer outlives a killed test.
            while getppid() == parent { usleep(50_000) }
            _exit(0)
        }
        guard pid > 0 else { fail("fork failed: \(String(cString: strerror(errno)))") }
        close(fds[1])
        var byte: UInt8 = 0
        guard read(fds[0], &byte, 1) == 1 else { fail("writer \(pid) died before writing") }
        close(fds[0])
        return pid
    }
    let keepers = (0..<live).map { _ in spawnWriter() }
    print("live \(keepers.map(String.init).joined(separator: ","))")
    fflush(nil)
    guard readLine() != nil else { exit(1) }
    for _ in 0..<kills {
        let pid = spawnWriter()
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        print("killed \(pid)")
        fflush(nil)
        guard readLine() != nil else { break }
    }
    for pid in keepers {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }
    print("done")
    fflush(nil)
}

/// Bootstraps a configuration naming `directory` before any metric exists, then creates a metric:
/// prints where it writes and whether a second bootstrap, after the configuration was read, took.
func runBootstrap(directory: String) {
    let first = PrometheusConfiguration.bootstrap(PrometheusConfiguration(multiprocessDirectory: directory))
    do {
        let counter = try Counter(name: "mp_config", help: "Bootstrap check.", registry: nil)
        counter.inc()
    } catch {
        print("error=\(error)")
        exit(3)
    }
    let late = PrometheusConfiguration.bootstrap(PrometheusConfiguration(multiprocessDirectory: "/elsewhere"))
    print("first=\(first) late=\(late) directory=\(Multiprocess.directory ?? "none")")
}

func runEnvironment() {
    do {
        let counter = try Counter(name: "mp_env", help: "Environment check.", registry: nil)
        counter.inc()
        print("directory=\(Multiprocess.directory ?? "none")")
    } catch {
        print("error=\(error)")
        exit(3)
    }
}

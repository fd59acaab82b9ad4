// A worker process for the multiprocess tests: it enables multiprocess mode, creates metrics, and
// forks children that write concurrently, or writes until it is killed. Tests spawn it; the test
// runner itself never forks.
//
//   PrometheusTestWorker fork DIR CHILDREN INCREMENTS   fork CHILDREN children, each incrementing
//                                                       from two threads while the parent writes too
//   PrometheusTestWorker grow DIR                       create and increment series until SIGKILLed
//   PrometheusTestWorker hold DIR [IDENTITY]            write a counter and gauges (livesum, liveall,
//                                                       max), print ready, and keep its files mapped
//                                                       until standard input closes; IDENTITY is pid,
//                                                       slot:N, name:NAME or free:COUNT
//   PrometheusTestWorker churn DIR KILLS LIVE           keep LIVE forked writers, then fork and SIGKILL
//                                                       KILLS more one by one, printing each pid and
//                                                       waiting for a line on standard input
//   PrometheusTestWorker env                            choose the mode from the environment only
//   PrometheusTestWorker allocations SERIES             print the heap allocations of one warm scrape
//                                                       of SERIES counter, gauge and histogram series
import CAllocationCounter
import Foundation
import Glibc
import PrometheusClient
import Synchronization

/// The metrics the writer threads use (C thread entry points cannot capture context).
struct SharedMetrics: @unchecked Sendable {
    var requests: Counter<Labelled>
    var latency: Histogram<Unlabelled>
    var parentBusy: Counter<Unlabelled>
    var busySeries: Counter<Labelled>
    var increments: Int
}

nonisolated(unsafe) var shared: SharedMetrics?
let stopParentWrites = Atomic<Bool>(false)
let parentWrites = Atomic<Int>(0)

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("PrometheusTestWorker: \(message)\n".utf8))
    exit(2)
}

func startThread(_ body: @convention(c) (UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer?) -> pthread_t {
    var thread = pthread_t()
    guard pthread_create(&thread, nil, body, nil) == 0 else { fail("pthread_create failed") }
    return thread
}

/// In each child: two threads increment the same series concurrently, then the child exits.
func childWrites() -> Never {
    let threads = (0..<2).map { _ in
        startThread { _ in
            let metrics = shared!
            let child = try! metrics.requests.labels("child")
            for _ in 0..<(metrics.increments / 2) {
                child.inc()
                metrics.latency.observe(0.7)
            }
            return nil
        }
    }
    for thread in threads {
        pthread_join(thread, nil)
    }
    _exit(0)
}

func runFork(directory: String, children: Int, increments: Int) throws {
    try Multiprocess.enable(directory: directory)
    let requests = try Counter(name: "mp_requests", help: "Requests.", labelNames: ["who"], registry: nil)
    let latency = try Histogram(name: "mp_latency", help: "Latency.", buckets: [0.5, 1], registry: nil)
    let untouched = try Gauge(name: "mp_untouched", help: "Never written by children.", registry: nil)
    let parentBusy = try Counter(name: "mp_parent_busy", help: "Parent writes during forks.", registry: nil)
    let busySeries = try Counter(
        name: "mp_busy_series", help: "Series the parent creates during forks.", labelNames: ["n"], registry: nil)
    shared = SharedMetrics(
        requests: requests, latency: latency, parentBusy: parentBusy, busySeries: busySeries, increments: increments)
    try requests.labels("parent").inc(by: 5)
    untouched.set(3)

    // A parent thread keeps writing, and creating series (taking the store's lock and growing its
    // files), while the main thread forks.
    let busyThread = startThread { _ in
        let counter = shared!.parentBusy
        let family = shared!.busySeries
        var writes = 0
        while !stopParentWrites.load(ordering: .relaxed) {
            counter.inc()
            if writes % 16 == 0 {
                try! family.labels(String(writes / 16)).inc()
            }
            writes += 1
        }
        parentWrites.store(writes, ordering: .relaxed)
        return nil
    }
    var pids: [pid_t] = []
    for _ in 0..<children {
        let pid = fork()
        if pid == 0 {
            childWrites()
        }
        guard pid > 0 else { fail("fork failed: \(String(cString: strerror(errno)))") }
        pids.append(pid)
    }
    for pid in pids {
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        guard status == 0 else { fail("child \(pid) ended with status \(status)") }
    }
    stopParentWrites.store(true, ordering: .relaxed)
    pthread_join(busyThread, nil)
    print("parent=\(getpid())")
    print("children=\(pids.map(String.init).joined(separator: ","))")
    print("parent_busy=\(parentWrites.load(ordering: .relaxed))")
}

/// Creates series (growing the counter file) and increments all of them, round after round, until
/// killed. After each round it prints the round number, so a test knows how far it got.
func runGrow(directory: String) throws -> Never {
    try Multiprocess.enable(directory: directory)
    let counter = try Counter(name: "mp_grow", help: "Grows until killed.", labelNames: ["series"], registry: nil)
    var children: [CounterChild] = []
    var round = 0
    while true {
        round += 1
        for index in children.count..<(children.count + 50) {
            children.append(try counter.labels("series-\(index)-\(String(repeating: "x", count: index % 40))"))
        }
        for child in children {
            child.inc()
        }
        print("round=\(round) series=\(children.count)")
        fflush(nil)
    }
}

/// Writes one counter, says so, and stays alive (its files mapped) until standard input closes.
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

/// Renders registries of `series` series of each scaling type (text and OpenMetrics, with
/// `_created`) until the output array has grown, then counts the allocations of one more scrape of
/// each.
func runAllocations(series: Int) throws {
    let registry = CollectorRegistry()
    let counter = try Counter(name: "requests", help: "R.", labelNames: ["method", "route"], registry: registry)
    let gauge = try Gauge(name: "temperature", help: "T.", labelNames: ["room"], registry: registry)
    let histogram = try Histogram(name: "latency_seconds", help: "L.", labelNames: ["route"], registry: registry)
    for index in 0..<series {
        try counter.labels("GET", "/item/\(index)").inc(by: Double(index))
        try gauge.labels("room \(index)").set(Double(index) * 0.37)
        try histogram.labels("/item/\(index)").observe(Double(index % 7) * 0.1)
    }
    var bytes: [UInt8] = []
    for format in [ExpositionFormat.prometheusText004, .openMetrics100] {
        for _ in 0..<3 { registry.render(as: format, into: &bytes) }
        prometheus_reset_counted_allocations()
        prometheus_count_allocations(1)
        registry.render(as: format, into: &bytes)
        prometheus_count_allocations(0)
        print("\(format)=\(prometheus_counted_allocations()) bytes=\(bytes.count)")
    }
}

let arguments = CommandLine.arguments
do {
    switch arguments.count > 1 ? arguments[1] : "" {
    case "fork" where arguments.count == 5:
        guard let children = Int(arguments[3]), let increments = Int(arguments[4]) else { fail("bad numbers") }
        try runFork(directory: arguments[2], children: children, increments: increments)
    case "grow" where arguments.count == 3:
        try runGrow(directory: arguments[2])
    case "hold" where arguments.count == 3 || arguments.count == 4:
        try runHold(directory: arguments[2], identity: identity(arguments.count == 4 ? arguments[3] : "pid"))
    case "churn" where arguments.count == 5:
        guard let kills = Int(arguments[3]), let live = Int(arguments[4]) else { fail("bad numbers") }
        try runChurn(directory: arguments[2], kills: kills, live: live)
    case "env":
        runEnvironment()
    case "allocations" where arguments.count == 3:
        guard let series = Int(arguments[2]) else { fail("bad number") }
        try runAllocations(series: series)
    default:
        fail(
            "usage: PrometheusTestWorker fork DIR CHILDREN INCREMENTS | grow DIR | hold DIR [IDENTITY]"
                + " | churn DIR KILLS LIVE | env | allocations SERIES")
    }
} catch {
    fail("\(error)")
}

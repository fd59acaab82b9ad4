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
//   PrometheusTestWorker script DIR                     run the commands of ScriptedWorker (one per
//                                                       line on standard input, "ok" after each)
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

/// Creates native histogram series round after round and observes values spread over many powers
/// of two into all of them, so that new series and resolution reductions keep appending tables to
/// the native file, until killed. Prints the round number after each round.
func runNativeGrow(directory: String) throws -> Never {
    try Multiprocess.enable(directory: directory)
    let histogram = try Histogram(
        name: "mp_native_grow", help: "Grows until killed.", labelNames: ["series"], buckets: [0.1, 1, 10],
        native: NativeHistogramOptions(bucketFactor: 1.01, maximumBucketCount: 20), registry: nil)
    var children: [HistogramChild] = []
    var round = 0
    while true {
        round += 1
        for index in children.count..<(children.count + 5) {
            children.append(try histogram.labels("series-\(index)"))
        }
        for child in children {
            var value = 0.001 * Double(1 + round % 7)
            for _ in 0..<30 {
                child.observe(value)
                value *= 1.3
            }
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

/// A worker driven line by line, so a test can interleave several processes' steps. Metrics are
/// made on first use, with no registry (as workers do); counters, gauges and summaries have one label
/// `key`, histograms buckets 0.1, 1 and 10.
///
///   inc NAME KEY AMOUNT [TRACE]        counter (with an exemplar trace_id=TRACE)
///   observe NAME VALUE [TRACE]         histogram
///   summary NAME KEY VALUE             summary
///   gauge NAME MODE KEY VALUE          gauge in a multiprocess mode
///   function NAME MODE VALUE           gauge whose callback returns the latest VALUE given
///   native NAME FACTOR LIMIT CLASSIC THRESHOLD [RESET]
///                                      histogram with label key, buckets 0.1, 1, 10 and native buckets
///                                      (bucket factor, bucket limit, classic buckets yes/no, zero
///                                      threshold, minimum reset duration); prints created or refused
///   nobserve NAME KEY START RATIO N    observe START, START*RATIO, ... (N values)
///   nschema NAME KEY                   print the native schema recorded at now (schema=S)
///   nremove NAME KEY                   remove a native histogram child
///   nforkobserve NAME KEY VALUE        fork a child that observes VALUE and lives as long as this
///                                      process (prints child=PID)
///   forkwrite NAME                     fork a child that increments counter NAME and lives as long as
///                                      this process (prints child=PID)
///   sample                             Multiprocess.sampleGaugeFunctions()
///   interval SECONDS                   Multiprocess.gaugeFunctionInterval
///   remove NAME KEY / clear NAME       remove a child / every child of NAME
///   info NAME VERSION                  info with version=VERSION
///   state NAME STATE                   enum with states a, b, c
///   master NAME                        print a registry holding a MultiProcessCollector of DIR, this
///                                      process's counter NAME and a custom collector, as text,
///                                      then a line "end"
///   exit                               end the process
final class ScriptedWorker {
    let directory: String
    var counters: [String: Counter<Labelled>] = [:]
    var histograms: [String: Histogram<Unlabelled>] = [:]
    var summaries: [String: Summary<Labelled>] = [:]
    var gauges: [String: Gauge<Labelled>] = [:]
    var functionGauges: [String: (Gauge<Unlabelled>, FunctionValue)] = [:]
    var infos: [String: Info<Unlabelled>] = [:]
    var enums: [String: Enum<Unlabelled>] = [:]
    var nativeHistograms: [String: Histogram<Labelled>] = [:]

    init(directory: String) throws {
        self.directory = directory
        try Multiprocess.enable(directory: directory)
    }

    func counter(_ name: String) throws -> Counter<Labelled> {
        if let known = counters[name] { return known }
        let made = try Counter(name: name, help: "Scripted counter.", labelNames: ["key"], registry: nil)
        counters[name] = made
        return made
    }

    func run(_ words: [String]) throws {
        switch (words.first ?? "", words.count) {
        case ("inc", 4), ("inc", 5):
            let child = try counter(words[1]).labels(words[2])
            let amount = Double(words[3]) ?? 1
            if words.count == 5 {
                try child.inc(by: amount, exemplar: ["trace_id": words[4]])
            } else {
                try child.inc(by: amount)
            }
        case ("observe", 3), ("observe", 4):
            let histogram =
                try histograms[words[1]]
                ?? Histogram(name: words[1], help: "Scripted histogram.", buckets: [0.1, 1, 10], registry: nil)
            histograms[words[1]] = histogram
            let value = Double(words[2]) ?? 0
            if words.count == 4 {
                try histogram.observe(value, exemplar: ["trace_id": words[3]])
            } else {
                histogram.observe(value)
            }
        case ("summary", 4):
            let summary =
                try summaries[words[1]]
                ?? Summary(name: words[1], help: "Scripted summary.", labelNames: ["key"], registry: nil)
            summaries[words[1]] = summary
            try summary.labels(words[2]).observe(Double(words[3]) ?? 0)
        case ("gauge", 5):
            guard let mode = MultiprocessMode(rawValue: words[2]) else { fail("bad mode \(words[2])") }
            let key = words[1] + "/" + words[2]
            let gauge =
                try gauges[key]
                ?? Gauge(
                    name: words[1], help: "Scripted gauge.", labelNames: ["key"], multiprocessMode: mode,
                    registry: nil)
            gauges[key] = gauge
            try gauge.labels(words[3]).set(Double(words[4]) ?? 0)
        case ("function", 4):
            guard let mode = MultiprocessMode(rawValue: words[2]) else { fail("bad mode \(words[2])") }
            let value = Double(words[3]) ?? 0
            if let known = functionGauges[words[1]] {
                known.1.store(value)
            } else {
                let gauge = try Gauge(
                    name: words[1], help: "Scripted callback gauge.", multiprocessMode: mode, registry: nil)
                let current = FunctionValue()
                current.store(value)
                functionGauges[words[1]] = (gauge, current)
                gauge.setFunction { current.load() }
            }
        case ("native", 6), ("native", 7):
            let options = NativeHistogramOptions(
                bucketFactor: Double(words[2]) ?? 1.1, zeroThreshold: Double(words[5]) ?? 0x1p-128,
                maximumBucketCount: Int(words[3]) ?? 160, keepsClassicBuckets: words[4] == "yes",
                minimumResetDuration: words.count == 7 ? Double(words[6]) ?? 0 : 0)
            do {
                nativeHistograms[words[1]] = try Histogram(
                    name: words[1], help: "Scripted native histogram.", labelNames: ["key"], buckets: [0.1, 1, 10],
                    native: options, registry: nil)
                print("created")
            } catch {
                print("refused \(error)")
            }
            print("end")
        case ("nobserve", 6):
            guard let histogram = nativeHistograms[words[1]] else { fail("no native histogram \(words[1])") }
            let child = try histogram.labels(words[2])
            let start = Double(words[3]) ?? 0
            let ratio = Double(words[4]) ?? 1
            var value = start
            for _ in 0..<(Int(words[5]) ?? 0) {
                child.observe(value)
                value *= ratio
            }
        case ("nschema", 3):
            guard let histogram = nativeHistograms[words[1]] else { fail("no native histogram \(words[1])") }
            print("schema=\(try histogram.labels(words[2]).nativeSchema ?? 99)")
            print("end")
        case ("nremove", 3):
            try nativeHistograms[words[1]]?.remove(words[2])
        case ("nforkobserve", 4):
            // A child forked after native observations: it starts from zero in its own files.
            guard let histogram = nativeHistograms[words[1]] else { fail("no native histogram \(words[1])") }
            let child = try histogram.labels(words[2])
            let parent = getpid()
            let pid = fork()
            if pid == 0 {
                child.observe(Double(words[3]) ?? 0)
                while getppid() == parent { usleep(20_000) }
                _exit(0)
            }
            guard pid > 0 else { fail("fork failed") }
            print("child=\(pid)")
            print("end")
        case ("forkwrite", 2):
            // A child forked after the callbacks were set: its first write starts its own sampler.
            let parent = getpid()
            let pid = fork()
            if pid == 0 {
                try? counter(words[1]).labels("child").inc()
                while getppid() == parent { usleep(20_000) }
                _exit(0)
            }
            guard pid > 0 else { fail("fork failed") }
            print("child=\(pid)")
            print("end")
        case ("sample", 1):
            Multiprocess.sampleGaugeFunctions()
        case ("interval", 2):
            Multiprocess.gaugeFunctionInterval = Double(words[1]) ?? 1
        case ("remove", 3):
            try counters[words[1]]?.remove(words[2])
            for gauge in gauges.filter({ $0.key.hasPrefix(words[1] + "/") }).values { try gauge.remove(words[2]) }
            try summaries[words[1]]?.remove(words[2])
        case ("clear", 2):
            counters[words[1]]?.clear()
            summaries[words[1]]?.clear()
            for gauge in gauges.filter({ $0.key.hasPrefix(words[1] + "/") }).values { gauge.clear() }
        case ("info", 3):
            let info = try infos[words[1]] ?? Info(name: words[1], help: "Scripted info.", registry: nil)
            infos[words[1]] = info
            try info.info(["version": words[2]])
        case ("state", 3):
            let states =
                try enums[words[1]]
                ?? Enum(name: words[1], help: "Scripted enum.", states: ["a", "b", "c"], registry: nil)
            enums[words[1]] = states
            try states.state(words[2])
        case ("master", 2):
            let registry = CollectorRegistry()
            try registry.register(MultiProcessCollector(path: directory))
            let own = try Counter(name: words[1], help: "Scripted counter.", labelNames: ["key"], registry: registry)
            try own.labels("master").inc(by: 7)
            try registry.register(CustomFamilies())
            var bytes: [UInt8] = []
            let failures = registry.render(as: .prometheusText004, into: &bytes)
            print(String(decoding: bytes, as: UTF8.self), terminator: "")
            for failure in failures { print("# failure: \(failure)") }
            print("end")
        case ("exit", 1):
            fflush(nil)
            exit(0)
        default:
            fail("bad command \(words)")
        }
    }
}

/// A custom collector of a master: one family of its own, one that adds a series to a merged
/// counter family, and one that gives a merged family another type.
final class CustomFamilies: Collector {
    func collect() throws -> [MetricFamily] {
        [
            MetricFamily(
                name: "custom_queue_length", help: "A custom family.", type: .gauge,
                samples: [Sample(name: "custom_queue_length", value: 3)]),
            MetricFamily(
                name: "mp_script_requests", help: "Added by a custom collector.", type: .counter,
                samples: [Sample(name: "mp_script_requests_total", labels: [Label("key", "custom")], value: 11)]),
            MetricFamily(
                name: "mp_script_clash", help: "Another type.", type: .gauge,
                samples: [Sample(name: "mp_script_clash", value: 1)]),
        ]
    }
}

/// The value a scripted gauge callback returns.
final class FunctionValue: Sendable {
    private let bits = Atomic<UInt64>(0)
    func store(_ value: Double) { bits.store(value.bitPattern, ordering: .relaxed) }
    func load() -> Double { Double(bitPattern: bits.load(ordering: .relaxed)) }
}

func runScript(directory: String) throws {
    let worker = try ScriptedWorker(directory: directory)
    print("ready pid=\(getpid())")
    fflush(nil)
    while let line = readLine() {
        let words = line.split(separator: " ").map(String.init)
        guard !words.isEmpty else { continue }
        try worker.run(words)
        print("ok")
        fflush(nil)
    }
}

let arguments = CommandLine.arguments
do {
    switch arguments.count > 1 ? arguments[1] : "" {
    case "fork" where arguments.count == 5:
        guard let children = Int(arguments[3]), let increments = Int(arguments[4]) else { fail("bad numbers") }
        try runFork(directory: arguments[2], children: children, increments: increments)
    case "nativegrow" where arguments.count == 3:
        try runNativeGrow(directory: arguments[2])
    case "grow" where arguments.count == 3:
        try runGrow(directory: arguments[2])
    case "hold" where arguments.count == 3 || arguments.count == 4:
        try runHold(directory: arguments[2], identity: identity(arguments.count == 4 ? arguments[3] : "pid"))
    case "churn" where arguments.count == 5:
        guard let kills = Int(arguments[3]), let live = Int(arguments[4]) else { fail("bad numbers") }
        try runChurn(directory: arguments[2], kills: kills, live: live)
    case "env":
        runEnvironment()
    case "script" where arguments.count == 3:
        try runScript(directory: arguments[2])
    case "allocations" where arguments.count == 3:
        guard let series = Int(arguments[2]) else { fail("bad number") }
        try runAllocations(series: series)
    default:
        fail(
            "usage: PrometheusTestWorker fork DIR CHILDREN INCREMENTS | grow DIR | hold DIR [IDENTITY]"
                + " | churn DIR KILLS LIVE | env | allocations SERIES | script DIR")
    }
} catch {
    fail("\(error)")
}

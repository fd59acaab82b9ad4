import Foundation
import Glibc
import PrometheusClient
import PrometheusMultiprocess
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

import Foundation
import Glibc
import PrometheusClient
import PrometheusMultiprocess
import Synchronization

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
        case ("inc", 4), ("inc", 5): try increment(words)
        case ("observe", 3), ("observe", 4): try observe(words)
        case ("summary", 4): try summarise(words)
        case ("gauge", 5): try setGauge(words)
        case ("function", 4): try setFunction(words)
        case ("native", 6), ("native", 7): makeNative(words)
        case ("nobserve", 6): try observeNative(words)
        case ("nschema", 3): try printNativeSchema(words)
        case ("nremove", 3): try nativeHistograms[words[1]]?.remove(words[2])
        case ("nforkobserve", 4): try forkAndObserveNative(words)
        case ("forkwrite", 2): forkAndWrite(words)
        case ("sample", 1): Multiprocess.sampleGaugeFunctions()
        case ("interval", 2): Multiprocess.gaugeFunctionInterval = Double(words[1]) ?? 1
        case ("remove", 3): try remove(words)
        case ("clear", 2): clear(words)
        case ("info", 3): try setInfo(words)
        case ("state", 3): try setState(words)
        case ("master", 2): try printMaster(words)
        case ("exit", 1):
            fflush(nil)
            exit(0)
        default: fail("bad command \(words)")
        }
    }
}

extension ScriptedWorker {
    private func increment(_ words: [String]) throws {
        let child = try counter(words[1]).labels(words[2])
        let amount = Double(words[3]) ?? 1
        if words.count == 5 {
            try child.inc(by: amount, exemplar: ["trace_id": words[4]])
        } else {
            try child.inc(by: amount)
        }
    }

    private func observe(_ words: [String]) throws {
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
    }

    private func summarise(_ words: [String]) throws {
        let summary =
            try summaries[words[1]]
            ?? Summary(name: words[1], help: "Scripted summary.", labelNames: ["key"], registry: nil)
        summaries[words[1]] = summary
        try summary.labels(words[2]).observe(Double(words[3]) ?? 0)
    }

    private func setGauge(_ words: [String]) throws {
        guard let mode = MultiprocessMode(rawValue: words[2]) else { fail("bad mode \(words[2])") }
        let key = words[1] + "/" + words[2]
        let gauge =
            try gauges[key]
            ?? Gauge(
                name: words[1], help: "Scripted gauge.", labelNames: ["key"], multiprocessMode: mode,
                registry: nil)
        gauges[key] = gauge
        try gauge.labels(words[3]).set(Double(words[4]) ?? 0)
    }

    private func setFunction(_ words: [String]) throws {
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
    }

    private func makeNative(_ words: [String]) {
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
    }

    private func observeNative(_ words: [String]) throws {
        guard let histogram = nativeHistograms[words[1]] else { fail("no native histogram \(words[1])") }
        let child = try histogram.labels(words[2])
        let start = Double(words[3]) ?? 0
        let ratio = Double(words[4]) ?? 1
        var value = start
        for _ in 0..<(Int(words[5]) ?? 0) {
            child.observe(value)
            value *= ratio
        }
    }

    private func printNativeSchema(_ words: [String]) throws {
        guard let histogram = nativeHistograms[words[1]] else { fail("no native histogram \(words[1])") }
        print("schema=\(try histogram.labels(words[2]).nativeSchema ?? 99)")
        print("end")
    }

    private func forkAndObserveNative(_ words: [String]) throws {
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
    }

    private func forkAndWrite(_ words: [String]) {
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
    }

    private func remove(_ words: [String]) throws {
        try counters[words[1]]?.remove(words[2])
        for gauge in gauges.filter({ $0.key.hasPrefix(words[1] + "/") }).values { try gauge.remove(words[2]) }
        try summaries[words[1]]?.remove(words[2])
    }

    private func clear(_ words: [String]) {
        counters[words[1]]?.clear()
        summaries[words[1]]?.clear()
        for gauge in gauges.filter({ $0.key.hasPrefix(words[1] + "/") }).values { gauge.clear() }
    }

    private func setInfo(_ words: [String]) throws {
        let info = try infos[words[1]] ?? Info(name: words[1], help: "Scripted info.", registry: nil)
        infos[words[1]] = info
        try info.info(["version": words[2]])
    }

    private func setState(_ words: [String]) throws {
        let states =
            try enums[words[1]]
            ?? Enum(name: words[1], help: "Scripted enum.", states: ["a", "b", "c"], registry: nil)
        enums[words[1]] = states
        try states.state(words[2])
    }

    private func printMaster(_ words: [String]) throws {
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

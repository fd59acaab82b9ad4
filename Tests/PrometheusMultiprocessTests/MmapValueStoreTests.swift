import Foundation
import PrometheusTestSupport
import Testing

@testable import PrometheusClient
@testable import PrometheusMultiprocess

@Suite("Multiprocess writer: files compatible with Python")
struct MmapValueStoreTests {
    typealias Fixtures = MultiprocessFixtures

    static let weirdValue = "q\"uote\\back\nnl\tt\u{01}\u{7f}/"
    static let weirdHelp = "help \"quoted\" \\ back\nslash \u{2028} é 😀"

    /// Python doing, with identifier `sw`, what ``writeSampleMetrics(into:)`` does.
    static let pythonSampleScript = """
        import os, sys, json
        os.environ['PROMETHEUS_MULTIPROC_DIR'] = sys.argv[1]
        from prometheus_client import values
        values.ValueClass = values.MultiProcessValue(lambda: 'sw')
        from prometheus_client import Counter, Gauge, Histogram, Summary
        weird_value, weird_help, failure_help = json.loads(sys.argv[2])
        Counter('prometheus_multiproc_storage_failures', failure_help)
        c = Counter('hits', 'Hits', ['path', 'code'])
        c.labels('/', '200').inc(3)
        c.labels('/x', '500').inc(0.5)
        w = Counter('weird', weird_help, ['b', 'a', 'Z'])
        w.labels(weird_value, 'é😀\\u2028', 'x').inc(2)
        Gauge('temp', 'T', multiprocess_mode='all').set(7)
        Gauge('inprog', 'I', ['x'], multiprocess_mode='livesum').labels('a').inc(4)
        Gauge('queue', 'Q', multiprocess_mode='mostrecent').set(7)
        h = Histogram('lat', 'L', buckets=[0.5, 1.0])
        h.observe(0.7)
        h.observe(0.2)
        Summary('sz', 'S').observe(5)
        """

    static var pythonSampleArguments: [String] {
        let arguments = [weirdValue, weirdHelp, StorageFailureMarker.counterHelp]
        let json = try! JSONSerialization.data(withJSONObject: arguments)
        return [String(decoding: json, as: UTF8.self)]
    }

    /// Writes the sample metrics through the internal API, in Python's creation order.
    @discardableResult
    static func writeSampleMetrics(into store: MmapValueStore) -> [SeriesStorage] {
        let hits = store.makeSeries(
            Fixtures.counter("hits", help: "Hits", labels: [Label("path", "/"), Label("code", "200")]))
        hits.add(3, at: 0)
        let hitsX = store.makeSeries(
            Fixtures.counter("hits", help: "Hits", labels: [Label("path", "/x"), Label("code", "500")]))
        hitsX.add(0.5, at: 0)
        let weird = store.makeSeries(
            Fixtures.counter(
                "weird", help: weirdHelp, labels: [Label("b", weirdValue), Label("a", "é😀\u{2028}"), Label("Z", "x")]))
        weird.add(2, at: 0)
        let temp = store.makeSeries(Fixtures.gauge("temp", mode: .all, help: "T"))
        temp.set(7, at: 0)
        let inprog = store.makeSeries(Fixtures.gauge("inprog", mode: .livesum, help: "I", labels: [Label("x", "a")]))
        inprog.add(4, at: 0)
        let queue = store.makeSeries(Fixtures.gauge("queue", mode: .mostrecent, help: "Q"))
        queue.set(7, timestamp: Date().timeIntervalSince1970, at: 0)
        let latency = store.makeSeries(
            Fixtures.descriptor(
                .histogram, "lat", help: "L",
                slots: [
                    ("lat_sum", nil), ("lat_bucket", Label("le", "0.5")), ("lat_bucket", Label("le", "1.0")),
                    ("lat_bucket", Label("le", "+Inf")),
                ]))
        latency.add(0.7, at: 0)
        latency.add(1, at: 2)
        latency.add(0.2, at: 0)
        latency.add(1, at: 1)
        let size = store.makeSeries(
            Fixtures.descriptor(.summary, "sz", help: "S", slots: [("sz_count", nil), ("sz_sum", nil)]))
        size.add(1, at: 0)
        size.add(5, at: 1)
        return [hits, hitsX, weird, temp, inprog, queue, latency, size]
    }

    @Test("files are byte-identical to Python's for the same operations, escaped keys included")
    func filesMatchPythonByteForByte() throws {
        let ours = try Fixtures.temporaryDirectory()
        let theirs = try Fixtures.temporaryDirectory()
        defer {
            Fixtures.remove(ours)
            Fixtures.remove(theirs)
        }
        let store = MmapValueStore(
            directory: try MultiprocessDirectory(path: ours, forWriting: true), processIdentifier: "sw")
        let series = Self.writeSampleMetrics(into: store)
        _ = try ExternalTool.runPython(Self.pythonSampleScript, arguments: [theirs] + Self.pythonSampleArguments)

        // Our writer's lease (not a .db file, so Python ignores it) is the only extra file.
        let ourFiles = try FileManager.default.contentsOfDirectory(atPath: ours).sorted()
        #expect(ourFiles.filter { !$0.hasSuffix(".db") } == ["writer_sw.lock"])
        let ourNames = ourFiles.filter { $0.hasSuffix(".db") }
        let theirNames = try FileManager.default.contentsOfDirectory(atPath: theirs).sorted()
        #expect(ourNames == theirNames)
        #expect(ourNames.count == 6)
        for name in ourNames {
            let ourBytes = try Fixtures.bytesWithoutTimestamps(ofFile: "\(ours)/\(name)")
            let theirBytes = try Fixtures.bytesWithoutTimestamps(ofFile: "\(theirs)/\(name)")
            #expect(Fixtures.firstDifference(ourBytes, theirBytes) == nil, "\(name) differs from Python's")
        }
        #expect(series[5].timestamp(at: 0) > 1_700_000_000)
        withExtendedLifetime(store) {}
    }

    @Test("Python's MultiProcessCollector reads our files and merges the expected values")
    func pythonCollectorReadsOurFiles() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let store = MmapValueStore(directory: try MultiprocessDirectory(path: directory, forWriting: true))
        Self.writeSampleMetrics(into: store)
        let pid = store.processIdentifier
        let samples = try Fixtures.pythonMerge(directory)
        let key = Fixtures.sampleKey
        let expected: [String: Double] = [
            key("prometheus_multiproc_storage_failures_total", []): 0,
            key("hits_total", [Label("code", "200"), Label("path", "/")]): 3,
            key("hits_total", [Label("code", "500"), Label("path", "/x")]): 0.5,
            key("weird_total", [Label("Z", "x"), Label("a", "é😀\u{2028}"), Label("b", Self.weirdValue)]): 2,
            key("temp", [Label("pid", pid)]): 7,
            key("inprog", [Label("x", "a")]): 4,
            key("queue", []): 7,
            key("lat_sum", []): 0.7 + 0.2,
            key("lat_bucket", [Label("le", "0.5")]): 1,
            key("lat_bucket", [Label("le", "1.0")]): 2,
            key("lat_bucket", [Label("le", "+Inf")]): 2,
            key("lat_count", []): 2,
            key("sz_count", []): 1,
            key("sz_sum", []): 5,
        ]
        #expect(samples == expected)
        withExtendedLifetime(store) {}
    }

    @Test("growing past 64 KiB keeps earlier slot pointers valid and matches Python's file")
    func growthKeepsPointersAndMatchesPython() throws {
        let ours = try Fixtures.temporaryDirectory()
        let theirs = try Fixtures.temporaryDirectory()
        defer {
            Fixtures.remove(ours)
            Fixtures.remove(theirs)
        }
        let count = 3000
        let store = MmapValueStore(
            directory: try MultiprocessDirectory(path: ours, forWriting: true), processIdentifier: "sw")
        let first = store.makeSeries(Fixtures.counter("grow", help: "G", labels: [Label("i", "0")]))
        first.add(1, at: 0)
        var series = [first]
        for index in 1..<count {
            let child = store.makeSeries(Fixtures.counter("grow", help: "G", labels: [Label("i", String(index))]))
            child.add(Double(index), at: 0)
            series.append(child)
        }
        // Written through a pointer handed out before the file doubled twice.
        first.add(41, at: 0)

        let path = "\(ours)/counter_sw.db"
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int
        #expect(size == 262_144)
        let entries = try Fixtures.entries(ofFile: path)
        #expect(entries.count == count + 1)
        #expect(entries[1].value == 42)

        let script = """
            import os, sys
            os.environ['PROMETHEUS_MULTIPROC_DIR'] = sys.argv[1]
            from prometheus_client import values
            values.ValueClass = values.MultiProcessValue(lambda: 'sw')
            from prometheus_client import Counter
            Counter('prometheus_multiproc_storage_failures', sys.argv[2])
            c = Counter('grow', 'G', ['i'])
            c.labels('0').inc(1)
            for i in range(1, int(sys.argv[3])):
                c.labels(str(i)).inc(i)
            c.labels('0').inc(41)
            """
        _ = try ExternalTool.runPython(script, arguments: [theirs, StorageFailureMarker.counterHelp, String(count)])
        let ourBytes = try Fixtures.bytesWithoutTimestamps(ofFile: path)
        let theirBytes = try Fixtures.bytesWithoutTimestamps(ofFile: "\(theirs)/counter_sw.db")
        #expect(Fixtures.firstDifference(ourBytes, theirBytes) == nil)

        let merged = try Fixtures.pythonMerge(ours)
        let total = merged.filter { $0.key.hasPrefix("grow_total") }.values.reduce(0, +)
        #expect(total == Double((count - 1) * count / 2 + 42))
        withExtendedLifetime((store, series)) {}
    }

    @Test("a store reopening its own pid's file reuses the entries and resumes their values, as Python does")
    func existingFileIsReused() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let validated = try MultiprocessDirectory(path: directory, forWriting: true)
        let descriptor = Fixtures.counter("jobs", labels: [Label("queue", "q")])
        weak var released: MmapValueStore?
        do {
            let first = MmapValueStore(directory: validated, processIdentifier: "9")
            first.makeSeries(descriptor).add(3, at: 0)
            released = first
        }
        // The store's healing thread holds it while a round is under way, so its deinit (which
        // gives the identity's lease back) can come a moment after the last reference here goes.
        var waited = 0
        while released != nil && waited < 5_000 {
            usleep(1_000)
            waited += 1
        }
        #expect(released == nil, "the first store was never released")
        let second = MmapValueStore(directory: validated, processIdentifier: "9")
        let series = second.makeSeries(descriptor)
        #expect(series.value(at: 0) == 3)
        series.add(1, at: 0)
        let entries = try Fixtures.entries(ofFile: "\(directory)/counter_9.db")
        #expect(entries.map(\.value) == [0, 4])
    }

    @Test("an empty .db file left by a killed writer is initialised instead of failing")
    func emptyExistingFileIsInitialised() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        _ = FileManager.default.createFile(atPath: "\(directory)/counter_5.db", contents: Data())
        let store = MmapValueStore(
            directory: try MultiprocessDirectory(path: directory, forWriting: true), processIdentifier: "5")
        store.makeSeries(Fixtures.counter("jobs")).add(2, at: 0)
        #expect(store.storageFailureCount == 0)
        let entries = try Fixtures.entries(ofFile: "\(directory)/counter_5.db")
        #expect(entries.map(\.value) == [0, 2])
        #expect(try FileManager.default.attributesOfItem(atPath: "\(directory)/counter_5.db")[.size] as? Int == 65536)
    }

    @Test("series of each kind go to the file Python (or our Info/Enum layout) names for them")
    func fileNamesPerKind() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let store = MmapValueStore(
            directory: try MultiprocessDirectory(path: directory, forWriting: true), processIdentifier: "3")
        let kinds: [StorageKind] =
            [.counter, .summary, .histogram, .info, .stateSet] + MultiprocessMode.allCases.map { .gauge($0) }
        for (index, kind) in kinds.enumerated() {
            store.makeSeries(Fixtures.descriptor(kind, "m\(index)", slots: [("m\(index)", nil)])).set(1, at: 0)
        }
        let names = Set(try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".db") })
        let expected = Set([
            "counter_3.db", "summary_3.db", "histogram_3.db", "gauge_liveinfo_3.db", "gauge_livestateset_3.db",
        ]).union(MultiprocessMode.allCases.map { "gauge_\($0.rawValue)_3.db" })
        #expect(names == expected)
    }

    @Test("no temporary file is left behind and no .db file is ever smaller than its header")
    func creationLeavesOnlyInitialisedFiles() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let store = MmapValueStore(directory: try MultiprocessDirectory(path: directory, forWriting: true))
        store.makeSeries(Fixtures.gauge("g", mode: .max)).set(1, at: 0)
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
            // Besides the .db files: the writer's lease and the directory lock, never read as metrics.
            if name == "writer_\(store.processIdentifier).lock" || name == DirectoryLock.fileName { continue }
            #expect(name.hasSuffix(".db"))
            let entries = try Fixtures.entries(ofFile: "\(directory)/\(name)")
            #expect(!entries.isEmpty)
        }
    }

    @Test("a worker removes the temporary files an earlier process with its identifier left, then writes")
    func leftoverTemporaryFilesAreRemovedAtStartUp() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let leftovers = ["counter_fx.db.4242.1.tmp", "counter_fx.db.1.tmp", "gauge_sum_fx.db.ab12.tmp"]
        for name in leftovers + ["counter_other.db.1.tmp"] {
            _ = FileManager.default.createFile(atPath: directory + "/" + name, contents: Data([1]))
        }
        let store = MmapValueStore(
            directory: try MultiprocessDirectory(path: directory, forWriting: true), processIdentifier: "fx")
        store.makeSeries(Fixtures.counter("jobs")).add(1, at: 0)
        #expect(store.storageFailureCount == 0)
        #expect(try Fixtures.names(directory) == ["counter_fx.db", "counter_other.db.1.tmp", "writer_fx.lock"])
    }

    @Test("temporary names are random, so two incarnations of one pid never pick the same")
    func temporaryNamesDoNotRepeat() {
        let name = DBFileName(kind: .counter, processIdentifier: "12")
        let names = Set((0..<100).map { _ in name.temporaryFileName })
        #expect(names.count == 100)
        #expect(names.allSatisfy { DBFileName.isTemporaryFile($0, of: "12") && !DBFileName.hasDBSuffix($0.utf8) })
    }
}

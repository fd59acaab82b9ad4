import PrometheusTestSupport
import Testing

@testable import PrometheusClient
@testable import PrometheusMultiprocess

/// The pure parts of the multiprocess merge, table-driven on values and byte arrays built in memory:
/// no directory, no file, no process.
@Suite("Multiprocess merge: pure logic")
struct MergeLogicTests {
    static func key(_ json: String) throws -> DBKey {
        let bytes = Array(json.utf8)
        return try bytes.withUnsafeBufferPointer { try DBKey(json: $0) }
    }

    @Test(
        "each file kind accepts the sample names it writes and rejects the others",
        arguments: [
            (StorageKind.counter, #"["a", "a_total", {}, "h"]"#, nil),
            (.counter, #"["a", "a", {}, "h"]"#, "counter file holds a_total"),
            (.summary, #"["s", "s_count", {}, "h"]"#, nil),
            (.summary, #"["s", "s_sum", {}, "h"]"#, nil),
            (.summary, #"["s", "s_bucket", {}, "h"]"#, "summary file"),
            (.histogram, #"["h", "h_bucket", {"le": "0.5"}, "h"]"#, nil),
            (.histogram, #"["h", "h_bucket", {"le": "NaN"}, "h"]"#, "not a number"),
            (.histogram, #"["h", "h_sum", {"le": "1"}, "h"]"#, "histogram file"),
            (.gauge(.livesum), #"["g", "g", {"x": "1"}, "h"]"#, nil),
            (.gauge(.max), #"["g", "g_total", {}, "h"]"#, "gauge file"),
            (.info, #"["i", "i_info", {"v": "1"}, "h"]"#, nil),
            (.stateSet, #"["e", "e", {"e": "on"}, "h"]"#, nil),
            (.stateSet, #"["e", "e", {"x": "on"}, "h"]"#, "state set file"),
            (.counter, #"["a", "a_total", {"__x": "1"}, "h"]"#, "reserved"),
            (.counter, #"["", "_total", {}, "h"]"#, "metric name is empty"),
        ] as [(StorageKind, String, String?)])
    func entriesAreJudgedByTheirFileKind(kind: StorageKind, json: String, rejection: String?) throws {
        let decoded = try Self.key(json)
        do {
            _ = try MergedSeriesKey(key: decoded, kind: kind, processIdentifier: "7", offset: 8)
            #expect(rejection == nil, "accepted \(json) in a \(kind.filePrefix) file")
        } catch {
            let reason = try #require(rejection, "rejected \(json): \(error)")
            #expect("\(error)".contains(reason), "\(error)")
        }
    }

    @Test func perProcessGaugesGetThePidLabelInsteadOfTheirOwn() throws {
        let series = try MergedSeriesKey(
            key: Self.key(#"["g", "g", {"pid": "forged", "a": "1"}, "h"]"#), kind: .gauge(.all),
            processIdentifier: "42", offset: 8)
        #expect(series.labels == [Label("a", "1"), Label("pid", "42")])
    }

    @Test func histogramBucketsLoseTheirLeAndKeepTheBound() throws {
        let series = try MergedSeriesKey(
            key: Self.key(#"["h", "h_bucket", {"le": "+Inf", "p": "/"}, "h"]"#), kind: .histogram,
            processIdentifier: "1", offset: 8)
        #expect(series.bucketBound == .infinity)
        #expect(series.labels == [Label("p", "/")])
    }

    @Test(
        "each rule folds values from several files as the Python client does",
        arguments: [
            (MergeRule.sum, [(1.0, 0.0), (2, 0), (3, 0)], 6.0, true),
            (.minimum, [(5, 0), (2, 0), (9, 0)], 2, true),
            (.maximum, [(5, 0), (2, 0), (9, 0)], 9, true),
            (.mostRecent, [(5, 10), (2, 30), (9, 20)], 2, true),
            (.mostRecent, [(5, 0), (2, 0)], 0, false),
            (.perProcess, [(4, 0)], 4, true),
            (.latestInfo, [(0, 0), (1, 0)], 1, true),
        ] as [(MergeRule, [(Double, Double)], Double, Bool)])
    func rulesFoldValues(rule: MergeRule, values: [(Double, Double)], merged: Double, shown: Bool) {
        var value = 0.0
        var timestamp = 0.0
        var present = false
        for (next, stamp) in values {
            rule.fold(value: next, timestamp: stamp, into: &value, mergedTimestamp: &timestamp, present: &present)
        }
        #expect(present == shown)
        if shown { #expect(value == merged) }
    }

    @Test(arguments: [
        (StorageKind.counter, MergeRule.sum), (.gauge(.livemin), .minimum), (.gauge(.mostrecent), .mostRecent),
        (.gauge(.liveall), .perProcess), (.info, .latestInfo), (.stateSet, .maximum), (.gauge(.sum), .sum),
    ])
    func everyKindHasItsRule(kind: StorageKind, rule: MergeRule) {
        #expect(MergeRule(kind) == rule)
    }

    @Test func fileNamesAndKindsRoundTripThroughTheirPrefix() {
        for kind in StorageKind.allCases {
            #expect(StorageKind(filePrefix: kind.filePrefix) == kind)
            let name = DBFileName(kind: kind, processIdentifier: "9")
            #expect(DBFileName(fileName: name.fileName) == name)
        }
        #expect(StorageKind.allCases.count == 15)
    }

    @Test func theBuilderSortsOnceAndMakesBucketsCumulative() {
        func series(_ family: String, _ sample: String, _ labels: [Label], bound: Double? = nil)
            -> MergedSeriesTable.Series
        {
            MergedSeriesTable.Series(
                key: MergedSeriesKey(
                    familyName: ByteString(family), sampleName: ByteString(sample), labels: labels, bucketBound: bound),
                type: bound != nil || sample.hasSuffix("_sum") ? .histogram : .counter, help: "h",
                rule: .sum, isMonotonic: true)
        }
        let all = [
            series("z", "z_total", []),
            series("h", "h_bucket", [], bound: .infinity), series("h", "h_bucket", [], bound: 1),
            series("h", "h_sum", []),
            series("a", "a_total", [Label("x", "2")]), series("a", "a_total", [Label("x", "1")]),
        ]
        let families = MergedScrape(
            layout: MergedLayout(series: all), values: [1, 3, 2, 9, 5, 4], present: Array(repeating: true, count: 6)
        ).families()
        #expect(families.map(\.name) == ["a", "h", "z"])
        #expect(families[0].samples.map(\.value) == [4, 5])
        #expect(families[1].samples.map(\.name) == ["h_bucket", "h_bucket", "h_count", "h_sum"])
        #expect(families[1].samples.map(\.value) == [2, 5, 5, 9])
    }

    @Test func aHistogramWithNegativeBucketsHasNoSum() {
        let key = { (sample: String, bound: Double?) in
            MergedSeriesTable.Series(
                key: MergedSeriesKey(
                    familyName: ByteString("h"), sampleName: ByteString(sample), labels: [], bucketBound: bound),
                type: .histogram, help: "h", rule: .sum, isMonotonic: bound != nil)
        }
        let families = MergedScrape(
            layout: MergedLayout(series: [key("h_bucket", -1), key("h_bucket", .infinity), key("h_sum", nil)]),
            values: [1, 1, -3], present: [true, true, true]
        ).families()
        #expect(families[0].samples.map(\.name) == ["h_bucket", "h_bucket", "h_count"])
    }

    @Test(
        "the entry walk finds each entry, asks for the next window, or reports a break",
        arguments: [(0, 4096, "found"), (0, 20, "window"), (1000, 64, "outside"), (0, 4096, "truncated")])
    func entriesAreFoundInWindows(windowStart: Int, windowLength: Int, expectation: String) {
        let key = DBKey.encode(familyName: "a", sampleName: "a_total", labels: [], help: "h")
        var bytes = DBFileLayout.makeFile(entries: [(key, 1, 0), (key, 2, 0)])
        let used = 8 + 2 * DBFileLayout.entrySize(forKeyLength: key.count)
        if expectation == "truncated" {
            bytes.replaceSubrange(8..<12, with: [0xFF, 0xFF, 0, 0])
        }
        let window = Array(bytes[min(windowStart, bytes.count)..<min(windowStart + windowLength, bytes.count)])
        let result = window.withUnsafeBytes { raw in
            Result { () throws(DBFileError) in
                try DBFileLayout.entry(at: 8, inWindow: raw, windowOffset: windowStart, used: used)
            }
        }
        switch (expectation, result) {
        case ("found", .success(let location?)):
            #expect(location.valueOffset == 8 + 4 + key.count + DBFileLayout.paddingLength(forKeyLength: key.count))
        case ("window", .success(nil)), ("outside", .success(nil)):
            break
        case ("truncated", .failure(.entryOutOfRange)):
            break
        default:
            Issue.record("unexpected \(result) for \(expectation)")
        }
    }

    @Test func theTableDecodesAFileOnceAndRecognisesItsKeysInAnother() throws {
        let table = MergedSeriesTable(reservedFamilies: ["reserved"])
        let good = DBKey.encode(familyName: "a", sampleName: "a_total", labels: [], help: "h")
        let clash = DBKey.encode(familyName: "reserved", sampleName: "reserved_total", labels: [], help: "h")
        let bytes = DBFileLayout.makeFile(entries: [(good, 1, 0), (clash, 2, 0)])
        let used =
            8 + DBFileLayout.entrySize(forKeyLength: good.count) + DBFileLayout.entrySize(forKeyLength: clash.count)
        for identifier in ["1", "2"] {
            var decoded: [(meaning: MergedSeriesTable.Meaning, entryOffset: Int, valueOffset: Int)] = []
            let stop = try bytes.withUnsafeBytes { raw throws(DBFileError) in
                try table.decodeEntries(
                    of: DBFileName(kind: .counter, processIdentifier: identifier), bytes: raw, bytesOffset: 0,
                    from: 8, used: used, isFirstDecode: true, into: &decoded)
            }
            #expect(stop == used)
            guard decoded[0].meaning.series == 0, decoded[1].meaning.series == nil else {
                Issue.record("unexpected meanings \(decoded.map(\.meaning))")
                continue
            }
        }
        #expect(table.series.count == 1, "both files' entries feed one series")
    }
}

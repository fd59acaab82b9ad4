/// Merges the `.db` files of a multiprocess directory by the Python client's rules, keeping what it
/// learned about each file between merges: a warm merge reads each file's used bytes and, for entries
/// it has seen, only their values; only entries appended since are decoded.
///
/// Not thread-safe; ``MultiProcessCollector`` serialises merges.
final class MultiprocessMerger {
    /// How values of one series from several files combine.
    enum Combination {
        case sum, minimum, maximum, mostRecent, single, infoMaximum
    }

    /// One merged series: a sample of a family, with the label set it is exposed with.
    struct SeriesIdentity: Hashable {
        var familyName: String
        var sampleName: String
        /// Labels without `le` for histogram buckets; with `pid` for the `all` and `liveall` modes.
        var labels: [Label]
        /// The bucket bound of a histogram bucket.
        var bucketBound: Double?
    }

    struct SeriesInfo {
        var identity: SeriesIdentity
        var type: MetricType
        var help: String
        var combination: Combination
    }

    private struct CachedFile {
        var device: UInt64
        var inode: UInt64
        var parsedEnd: Int
        /// Per entry: the merged series it feeds (-1 for an entry that is ignored) and its value offset.
        var entries: [(series: Int, valueOffset: Int)]
    }

    /// A file that could not be merged, and why.
    struct Problem: Equatable {
        var path: String
        var reason: String
    }

    private var files: [String: CachedFile] = [:]
    private var seriesIndex: [SeriesIdentity: Int] = [:]
    private(set) var series: [SeriesInfo] = []

    /// Merges `paths` (the `.db` files of one directory).
    ///
    /// - Returns: the merged families sorted by name, and the files that were skipped.
    func merge(_ paths: [(path: String, name: DBFileName)]) -> (families: [MetricFamily], problems: [Problem]) {
        var values: [Double] = []
        var timestamps: [Double] = []
        var present: [Bool] = []
        var problems: [Problem] = []
        var seen = Set<String>()
        for (path, name) in paths {
            seen.insert(path)
            do {
                guard let snapshot = try DBFileReader.snapshot(path: path) else {
                    files.removeValue(forKey: path)
                    continue  // deleted since the directory was listed: a dead process's live file
                }
                let cached = try update(path: path, name: name, snapshot: snapshot)
                if values.count < series.count {
                    let missing = series.count - values.count
                    values.append(contentsOf: repeatElement(0, count: missing))
                    timestamps.append(contentsOf: repeatElement(0, count: missing))
                    present.append(contentsOf: repeatElement(false, count: missing))
                }
                for (index, valueOffset) in cached.entries where index >= 0 {
                    let value = DBFileReader.readDouble(snapshot.bytes, at: valueOffset)
                    let timestamp = DBFileReader.readDouble(snapshot.bytes, at: valueOffset + 8)
                    combine(value, timestamp, into: index, &values, &timestamps, &present)
                }
            } catch {
                files.removeValue(forKey: path)
                problems.append(Problem(path: path, reason: "\(error)"))
            }
        }
        files = files.filter { seen.contains($0.key) }
        return (buildFamilies(values: values, present: present), problems)
    }

    private func combine(
        _ value: Double, _ timestamp: Double, into index: Int,
        _ values: inout [Double], _ timestamps: inout [Double], _ present: inout [Bool]
    ) {
        switch series[index].combination {
        case .sum:
            values[index] += value
            present[index] = true
        case .minimum:
            values[index] = present[index] ? Swift.min(values[index], value) : value
            present[index] = true
        case .maximum, .infoMaximum:
            values[index] = present[index] ? Swift.max(values[index], value) : value
            present[index] = true
        case .mostRecent:
            // As in Python: a series never set (timestamp 0) is not exposed.
            if timestamp > timestamps[index] {
                values[index] = value
                timestamps[index] = timestamp
                present[index] = true
            }
        case .single:
            values[index] = value
            present[index] = true
        }
    }

    /// Brings the cache of one file up to date with its current bytes.
    private func update(path: String, name: DBFileName, snapshot: DBFileReader.Snapshot) throws(DBFileError)
        -> CachedFile
    {
        var cached = files[path]
        if let existing = cached,
            existing.device != snapshot.device || existing.inode != snapshot.inode || existing.parsedEnd > snapshot.used
        {
            cached = nil  // replaced (an archive rewritten) or truncated: start over
        }
        var file = cached ?? CachedFile(device: snapshot.device, inode: snapshot.inode, parsedEnd: 8, entries: [])
        if file.parsedEnd < snapshot.used {
            let locations = try DBFileReader.locateEntries(in: snapshot.bytes, from: file.parsedEnd)
            var added: [(series: Int, valueOffset: Int)] = []
            added.reserveCapacity(locations.count)
            for location in locations {
                let key = try DBFileReader.key(of: location, in: snapshot.bytes)
                added.append((try seriesNumber(for: key, in: name, at: location.offset), location.valueOffset))
            }
            file.entries.append(contentsOf: added)
            file.parsedEnd = snapshot.used
        }
        files[path] = file
        return file
    }

    private func seriesNumber(for key: DBKey, in name: DBFileName, at offset: Int) throws(DBFileError) -> Int {
        var labels = key.labels
        var bound: Double?
        let type: MetricType
        let combination: Combination
        switch name.kind {
        case .counter:
            (type, combination) = (.counter, .sum)
        case .summary:
            (type, combination) = (.summary, .sum)
        case .histogram:
            (type, combination) = (.histogram, .sum)
            if let index = labels.firstIndex(where: { $0.name == "le" }) {
                guard let parsed = Self.parseBound(labels[index].value) else {
                    throw .invalidKey(offset: offset, reason: "bucket bound \"\(labels[index].value)\" is not a number")
                }
                bound = parsed
                labels.remove(at: index)
            }
        case .info:
            (type, combination) = (.info, .infoMaximum)
        case .stateSet:
            (type, combination) = (.stateSet, .maximum)
        case .gauge(let mode):
            type = .gauge
            switch mode {
            case .all, .liveall:
                // The pid label replaces any label of the same name, as Python's dict() does.
                labels.removeAll { $0.name == "pid" }
                labels.append(Label("pid", name.processIdentifier))
                combination = .single
            case .min, .livemin: combination = .minimum
            case .max, .livemax: combination = .maximum
            case .sum, .livesum: combination = .sum
            case .mostrecent, .livemostrecent: combination = .mostRecent
            }
        }
        let identity = SeriesIdentity(
            familyName: key.familyName, sampleName: key.sampleName, labels: labels, bucketBound: bound)
        if let existing = seriesIndex[identity] { return existing }
        series.append(SeriesInfo(identity: identity, type: type, help: key.help, combination: combination))
        seriesIndex[identity] = series.count - 1
        return series.count - 1
    }

    static func parseBound(_ text: String) -> Double? {
        switch text {
        case "+Inf", "Inf", "inf", "+inf": return .infinity
        case "-Inf", "-inf": return -.infinity
        default: return Double(text)
        }
    }

    private func buildFamilies(values: [Double], present: [Bool]) -> [MetricFamily] {
        var families: [String: MetricFamily] = [:]
        var histogramBuckets: [String: [[Label]: [(bound: Double, value: Double)]]] = [:]
        var familyLabelSets: [String: [[Label]]] = [:]
        var samplesByLabels: [String: [[Label]: [Sample]]] = [:]
        for index in series.indices where index < present.count && present[index] {
            let info = series[index]
            let identity = info.identity
            let value = values[index]
            if info.combination == .infoMaximum && value == 0 { continue }
            if families[identity.familyName] == nil {
                families[identity.familyName] = MetricFamily(
                    name: identity.familyName, help: info.help, type: info.type)
            }
            if samplesByLabels[identity.familyName]?[identity.labels] == nil {
                familyLabelSets[identity.familyName, default: []].append(identity.labels)
                samplesByLabels[identity.familyName, default: [:]][identity.labels] = []
            }
            if let bound = identity.bucketBound {
                histogramBuckets[identity.familyName, default: [:]][identity.labels, default: []].append((bound, value))
            } else {
                samplesByLabels[identity.familyName]![identity.labels]!.append(
                    Sample(name: identity.sampleName, labels: identity.labels, value: value))
            }
        }
        var result: [MetricFamily] = []
        for name in families.keys.sorted(by: PythonJSONKey.isOrderedByCodePoint) {
            var family = families[name]!
            let labelSets = familyLabelSets[name, default: []].sorted(by: Self.labelsPrecede)
            for labels in labelSets {
                var samples = samplesByLabels[name]?[labels] ?? []
                if let buckets = histogramBuckets[name]?[labels] {
                    var cumulative = 0.0
                    var bucketSamples: [Sample] = []
                    for bucket in buckets.sorted(by: { $0.bound < $1.bound }) {
                        cumulative += bucket.value
                        bucketSamples.append(
                            Sample(
                                name: name + "_bucket",
                                labels: labels + [Label("le", GoFloatFormat.string(bucket.bound))],
                                value: cumulative))
                    }
                    bucketSamples.append(Sample(name: name + "_count", labels: labels, value: cumulative))
                    samples = bucketSamples + samples
                } else {
                    samples.sort { $0.name < $1.name }
                }
                family.samples.append(contentsOf: samples)
            }
            result.append(family)
        }
        return result
    }

    private static func labelsPrecede(_ lhs: [Label], _ rhs: [Label]) -> Bool {
        for (left, right) in zip(lhs, rhs) {
            if left.name != right.name { return PythonJSONKey.isOrderedByCodePoint(left.name, right.name) }
            if left.value != right.value { return PythonJSONKey.isOrderedByCodePoint(left.value, right.value) }
        }
        return lhs.count < rhs.count
    }
}

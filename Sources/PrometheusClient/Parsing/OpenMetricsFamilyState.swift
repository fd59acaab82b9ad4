/// The family an ``OpenMetricsParser`` is reading: its metadata, its samples, and the rules that
/// need more than one line (series groups, timestamps, histogram structure, reserved names).
struct OpenMetricsFamilyState {
    private(set) var family: MetricFamily
    private var hasHelp = false
    private var hasType = false
    private var hasUnit = false
    /// The line of each sample, for errors found when the family ends.
    private var sampleLines: [Int] = []

    /// The series group of the previous sample (its labels without `le`, `quantile` or the state),
    /// every group seen, the previous sample's timestamp and the series seen since the group began.
    private var group: [Label]?
    private var seenGroups: Set<[Label]> = []
    private var groupTimestamp: Timestamp?
    private var groupSeries: Set<[Label]> = []

    init(name: String) {
        family = MetricFamily(name: name, help: "", type: .unknown)
    }

    // MARK: - Metadata

    /// Applies a `# HELP`, `# TYPE` or `# UNIT` line's text.
    ///
    /// - Throws: a failure for repeated metadata, an unknown type, or a unit that does not fit.
    mutating func apply(keyword: String, text: String, scanner: LineScanner, at offset: Int)
        throws(LineScanner.Failure)
    {
        switch keyword {
        case "HELP":
            guard !hasHelp else { throw scanner.fail("duplicate # HELP for \(family.name)", at: offset) }
            hasHelp = true
            family.help = LineScanner.unescape(text, quotes: true)
        case "TYPE":
            guard !hasType else { throw scanner.fail("duplicate # TYPE for \(family.name)", at: offset) }
            guard let type = MetricType(rawValue: text) else {
                throw scanner.fail("unknown metric type \"\(text)\"")
            }
            hasType = true
            family.type = type
        default:
            guard !hasUnit else { throw scanner.fail("duplicate # UNIT for \(family.name)", at: offset) }
            hasUnit = true
            family.unit = text
        }
        guard !family.unit.isEmpty else { return }
        if family.type == .info || family.type == .stateSet {
            throw scanner.fail("\(family.type.rawValue) metrics cannot have a unit")
        }
        guard family.name.utf8.count > family.unit.utf8.count,
            family.name.utf8.reversed().starts(with: ("_" + family.unit).utf8.reversed())
        else {
            throw scanner.fail("unit \(family.unit) is not a suffix of the name \(family.name)")
        }
    }

    // MARK: - Names

    /// The sample-name suffixes that join a family of `type`.
    private static func sampleSuffixes(for type: MetricType) -> [String] {
        switch type {
        case .counter: return ["_total", "_created"]
        case .gauge, .stateSet, .unknown: return [""]
        case .summary: return ["", "_count", "_sum", "_created"]
        case .histogram: return ["_bucket", "_count", "_sum", "_created", ""]
        case .gaugeHistogram: return ["_bucket", "_gcount", "_gsum"]
        case .info: return ["_info"]
        }
    }

    /// Whether a sample called `sampleName` belongs to this family.
    func accepts(sampleName: String) -> Bool {
        suffix(of: sampleName).map { Self.sampleSuffixes(for: family.type).contains($0) } ?? false
    }

    /// Every name this family keeps a later family from using: its own and those its type derives.
    var reservedNames: [String] {
        let suffixes: [String]
        switch family.type {
        case .counter: suffixes = ["_total", "_created"]
        case .summary: suffixes = ["_count", "_sum", "_created"]
        case .histogram: suffixes = ["_count", "_sum", "_bucket", "_created"]
        case .gaugeHistogram: suffixes = ["_gcount", "_gsum", "_bucket"]
        case .info: suffixes = ["_info"]
        case .gauge, .stateSet, .unknown: suffixes = []
        }
        return [family.name] + suffixes.map { family.name + $0 }
    }

    /// What `sampleName` adds to the family name, or nil when it does not start with it (by bytes).
    private func suffix(of sampleName: String) -> String? {
        let name = sampleName.utf8
        let prefix = family.name.utf8
        guard name.starts(with: prefix) else { return nil }
        return String(decoding: name.dropFirst(prefix.count), as: UTF8.self)
    }

    // MARK: - Samples

    /// Checks a sample of this family and adds it, unless it repeats the series and timestamp of an
    /// earlier sample of its group (then the first is kept, as the Python parser does).
    ///
    /// - Throws: a failure for a value the sample's kind cannot have, a misplaced exemplar, or a
    ///   break of the grouping and timestamp rules.
    mutating func add(_ sample: Sample, line: Int, scanner: LineScanner, valueOffset: Int, lineOffset: Int)
        throws(LineScanner.Failure)
    {
        let suffix = suffix(of: sample.name) ?? ""
        try checkValue(of: sample, suffix: suffix, scanner: scanner, at: valueOffset)
        if let exemplar = sample.exemplar {
            let allowed =
                (family.type == .counter && suffix == "_total")
                || ((family.type == .histogram || family.type == .gaugeHistogram) && suffix == "_bucket")
            guard allowed else {
                throw scanner.fail("only counter _total and histogram _bucket samples can have exemplars")
            }
            let characters = exemplar.labels.reduce(0) {
                $0 + $1.name.unicodeScalars.count + $1.value.unicodeScalars.count
            }
            guard characters <= Exemplar.maximumLabelCharacters else {
                throw scanner.fail("exemplar labels have \(characters) characters, more than 128")
            }
        }
        let sampleGroup = groupLabels(of: sample, suffix: suffix)
        if let group, group == sampleGroup {
            guard (sample.timestamp == nil) == (groupTimestamp == nil) else {
                throw scanner.fail("timestamps must be given for all samples of a series or for none", at: lineOffset)
            }
            if let previous = groupTimestamp, let timestamp = sample.timestamp, timestamp < previous,
                family.type != .info
            {
                throw scanner.fail("timestamps of a series must not go backwards", at: lineOffset)
            }
        } else {
            guard seenGroups.insert(sampleGroup).inserted else {
                throw scanner.fail("invalid metric grouping: samples of one label set must be together", at: lineOffset)
            }
            groupSeries.removeAll(keepingCapacity: true)
        }
        let series = [Label("", sample.name)] + Self.sorted(sample.labels)
        let isRepeat = sample.timestamp == groupTimestamp && groupSeries.contains(series)
        groupSeries.insert(series)
        group = sampleGroup
        groupTimestamp = sample.timestamp
        if !isRepeat {
            family.samples.append(sample)
            sampleLines.append(line)
        }
    }

    /// The labels that identify a sample's series group: without `le` on buckets, `quantile` on
    /// quantiles and the state label on state sets; info samples are all one group.
    private func groupLabels(of sample: Sample, suffix: String) -> [Label] {
        let dropped: String?
        switch family.type {
        case .info: return []
        case .summary where suffix.isEmpty: dropped = "quantile"
        case .stateSet: dropped = family.name
        case .histogram where suffix == "_bucket", .gaugeHistogram where suffix == "_bucket": dropped = "le"
        default: dropped = nil
        }
        let labels =
            dropped.map { name in sample.labels.filter { !ByteIdentity.equal($0.name, name) } } ?? sample.labels
        return Self.sorted(labels)
    }

    private static func sorted(_ labels: [Label]) -> [Label] {
        labels.count < 2 ? labels : labels.sorted { ByteIdentity.precedes($0.name, $1.name) }
    }

    private func checkValue(of sample: Sample, suffix: String, scanner: LineScanner, at offset: Int)
        throws(LineScanner.Failure)
    {
        let value = sample.value
        if ["_total", "_count", "_sum", "_bucket", "_gcount", "_gsum"].contains(suffix) {
            guard !value.isNaN else { throw scanner.fail("\(suffix) values cannot be NaN", at: offset) }
            // A _gsum may be negative beside negative buckets; that is checked when the family ends.
            if suffix != "_gsum" {
                guard value >= 0 else { throw scanner.fail("\(suffix) values cannot be negative", at: offset) }
            }
        }
        if ["_bucket", "_count", "_gcount"].contains(suffix) {
            guard value == value.rounded() else {
                throw scanner.fail("bucket and count values must be integers", at: offset)
            }
        }
        let labels = sample.labels
        switch family.type {
        case .info:
            guard value == 1 else { throw scanner.fail("info values must be 1", at: offset) }
        case .stateSet:
            guard value == 0 || value == 1 else { throw scanner.fail("state set values must be 0 or 1", at: offset) }
            guard labels[family.name] != nil else {
                throw scanner.fail("state set samples need the label \(family.name)")
            }
        case .summary where suffix.isEmpty:
            guard let quantile = labels["quantile"].flatMap(LineScanner.parseNumber), quantile >= 0, quantile <= 1
            else { throw scanner.fail("summary quantiles need a quantile label in [0, 1]") }
            guard value.isNaN || value >= 0 else {
                throw scanner.fail("quantile values cannot be negative", at: offset)
            }
        case .histogram where suffix == "_bucket", .gaugeHistogram where suffix == "_bucket":
            guard let le = labels["le"] else { throw scanner.fail("buckets need an le label") }
            guard le == "+Inf" || (LineScanner.parseNumber(le).map { $0.isFinite } ?? false) else {
                throw scanner.fail("invalid le \"\(le)\" (use +Inf for the last bucket)")
            }
        default:
            break
        }
    }

    // MARK: - End of the family

    /// The finished family, after checking each histogram group's structure.
    ///
    /// - Throws: a failure naming the line of the group's last sample.
    func finish() throws(LineScanner.Failure) -> MetricFamily {
        guard family.type == .histogram || family.type == .gaugeHistogram else { return family }
        var check = HistogramGroupCheck(family: family.name)
        var group: [Label]?
        var timestamp: Timestamp?
        var lastLine = 0
        for (index, sample) in family.samples.enumerated() {
            // Native histogram samples (the bare name) make the group's classic samples optional.
            let suffix = suffix(of: sample.name) ?? ""
            let sampleGroup = groupLabels(of: sample, suffix: suffix)
            if group != nil, group != sampleGroup || timestamp != sample.timestamp {
                try check.finish(line: lastLine)
                check = HistogramGroupCheck(family: family.name)
            }
            group = sampleGroup
            timestamp = sample.timestamp
            lastLine = sampleLines[index]
            try check.add(sample, suffix: suffix, line: lastLine)
        }
        if group != nil {
            try check.finish(line: lastLine)
        }
        return family
    }
}

/// The classic structure of one histogram or gauge-histogram group, checked as the Python parser
/// checks it: increasing bounds and counts, a `+Inf` bucket equal to the count, `_sum` (`_gsum`)
/// if and only if `_count` (`_gcount`), no `_sum` beside negative buckets, and a negative `_gsum`
/// only beside them.
private struct HistogramGroupCheck {
    let family: String
    private var lastBound: Double?
    private var lastCount = 0.0
    private var count: Double?
    private var hasNegativeBuckets = false
    private var hasSum = false
    private var hasGaugeSum = false
    private var hasNegativeGaugeSum = false
    /// Whether the group has a native-histogram sample: then its classic samples are optional.
    private var hasNative = false

    init(family: String) {
        self.family = family
    }

    mutating func add(_ sample: Sample, suffix: String, line: Int) throws(LineScanner.Failure) {
        if sample.nativeHistogram != nil { hasNative = true }
        switch suffix {
        case "_bucket":
            let bound = sample.labels["le"].flatMap(LineScanner.parseNumber) ?? .nan
            if bound < 0 { hasNegativeBuckets = true }
            if let lastBound, !(bound > lastBound) {
                throw fail("histogram \(family) buckets are not in increasing order", line: line)
            }
            guard sample.value >= lastCount else {
                throw fail("histogram \(family) bucket counts decrease", line: line)
            }
            lastBound = bound
            lastCount = sample.value
        case "_count", "_gcount":
            count = sample.value
        case "_sum":
            hasSum = true
        case "_gsum":
            hasGaugeSum = true
            if sample.value < 0 { hasNegativeGaugeSum = true }
        default:
            break
        }
    }

    func finish(line: Int) throws(LineScanner.Failure) {
        // A native histogram alone needs no classic buckets.
        if hasNative && lastBound == nil && count == nil && !hasSum && !hasGaugeSum { return }
        guard lastBound == .infinity else {
            throw fail("histogram \(family) needs a +Inf bucket for every label set", line: line)
        }
        if let count, count != lastCount {
            throw fail("histogram \(family) count differs from its +Inf bucket", line: line)
        }
        if (hasSum || hasGaugeSum) && count == nil {
            throw fail("histogram \(family) has a sum without a count", line: line)
        }
        if !(hasSum || hasGaugeSum) && count != nil {
            throw fail("histogram \(family) has a count without a sum", line: line)
        }
        if hasNegativeBuckets && hasSum {
            throw fail("histogram \(family) has negative buckets, so it cannot have a _sum", line: line)
        }
        if !hasNegativeBuckets && hasNegativeGaugeSum {
            throw fail("gauge histogram \(family) has a negative _gsum but no negative buckets", line: line)
        }
    }

    private func fail(_ reason: String, line: Int) -> LineScanner.Failure {
        LineScanner.Failure(offset: 0, reason: reason, line: line)
    }
}

extension OpenMetrics2Line {
    /// Folds a family's samples into its OpenMetrics 2.0 lines, in the order their series first
    /// appear: a counter's `_created` becomes its line's start timestamp, a histogram's or summary's
    /// samples of one series (and one timestamp) become one composite line.
    ///
    /// Exemplars without a timestamp, which 2.0 cannot carry, are left out, as are exemplars on
    /// types that carry none; a histogram carries its native exemplars when it has any, else its
    /// buckets' (in bucket order).
    ///
    /// - Throws: ``Inexpressible`` for a family 2.0 cannot carry whole: a sample whose name does not
    ///   fit its type, a histogram or summary series without a sum or a count, classic buckets without
    ///   `+Inf` or with a threshold that is not a number.
    package static func lines(of family: MetricFamily) throws(Inexpressible) -> [OpenMetrics2Line] {
        switch family.type {
        case .histogram, .gaugeHistogram, .summary:
            return try compositeLines(of: family)
        default:
            return try numberLines(of: family)
        }
    }

    private static func numberLines(of family: MetricFamily) throws(Inexpressible) -> [OpenMetrics2Line] {
        let name = familyName(of: family)
        let created = family.name + "_created"
        var lines: [OpenMetrics2Line] = []
        lines.reserveCapacity(family.samples.count)
        for sample in family.samples {
            if ByteIdentity.equal(sample.name, name) {
                let exemplars = family.type == .counter ? sample.exemplar.map { [$0] } ?? [] : []
                lines.append(
                    OpenMetrics2Line(
                        labels: sample.labels, value: .number(sample.value), timestamp: sample.timestamp,
                        exemplars: exemplars.filter { $0.timestamp != nil }))
            } else if family.type == .counter, ByteIdentity.equal(sample.name, created) {
                // The start of the latest line of the same series.
                guard let index = lines.lastIndex(where: { $0.labels == sample.labels }) else {
                    throw Inexpressible(reason: "\(created) comes before its series' \(name) sample")
                }
                lines[index].start = sample.value.isFinite ? sample.value : nil
            } else {
                throw Inexpressible(
                    reason: "the sample \(sample.name) does not belong to the \(family.type.rawValue) \(name)")
            }
        }
        return lines
    }

    /// The parts of one composite series, gathered from its samples.
    private struct Parts {
        var labels: [Label]
        var timestamp: Timestamp?
        var count: Double?
        var sum: Double?
        var start: Double?
        var native: NativeHistogram?
        var buckets: [(threshold: String, bound: Double, count: Double, exemplar: Exemplar?)] = []
        var quantiles: [(quantile: String, bound: Double, value: Double)] = []
    }

    private static func compositeLines(of family: MetricFamily) throws(Inexpressible) -> [OpenMetrics2Line] {
        let extra = family.type == .summary ? "quantile" : "le"
        let isGauge = family.type == .gaugeHistogram
        var parts: [Parts] = []
        var indexOfSeries: [SeriesKey: Int] = [:]
        for sample in family.samples {
            guard let suffix = suffix(of: sample.name, after: family.name) else {
                throw Inexpressible(reason: "the sample \(sample.name) does not belong to \(family.name)")
            }
            let labels = sample.labels.filter { !ByteIdentity.equal($0.name, extra) }
            let key = SeriesKey(labels: labels, timestamp: sample.timestamp)
            let index: Int
            if let known = indexOfSeries[key] {
                index = known
            } else {
                index = parts.count
                indexOfSeries[key] = index
                parts.append(Parts(labels: labels, timestamp: sample.timestamp))
            }
            try add(sample, suffix: suffix, type: family.type, isGauge: isGauge, to: &parts[index])
        }
        var lines: [OpenMetrics2Line] = []
        lines.reserveCapacity(parts.count)
        for part in parts {
            lines.append(try line(from: part, of: family))
        }
        return lines
    }

    private struct SeriesKey: Hashable {
        var labels: [Label]
        var timestamp: Timestamp?
    }

    private static func add(
        _ sample: Sample, suffix: String, type: MetricType, isGauge: Bool, to part: inout Parts
    ) throws(Inexpressible) {
        switch (suffix, type) {
        case ("", .histogram), ("", .gaugeHistogram):
            guard let native = sample.nativeHistogram else {
                throw Inexpressible(reason: "the sample \(sample.name) has no native histogram value")
            }
            part.native = native
        case ("", .summary):
            guard let text = sample.labels["quantile"], let bound = LineScanner.parseNumber(text) else {
                throw Inexpressible(reason: "a quantile sample of \(sample.name) has no numeric quantile label")
            }
            part.quantiles.append((text, bound, sample.value))
        case ("_bucket", .histogram), ("_bucket", .gaugeHistogram):
            guard let text = sample.labels["le"], let bound = LineScanner.parseNumber(text), !bound.isNaN else {
                throw Inexpressible(reason: "a bucket of \(sample.name) has no numeric le label")
            }
            part.buckets.append((text, bound, sample.value, sample.exemplar))
        case ("_count", .histogram), ("_count", .summary), ("_gcount", .gaugeHistogram):
            part.count = sample.value
        case ("_sum", .histogram), ("_sum", .summary), ("_gsum", .gaugeHistogram):
            part.sum = sample.value
        case ("_created", .histogram), ("_created", .summary):
            part.start = sample.value.isFinite ? sample.value : nil
        default:
            throw Inexpressible(reason: "the sample \(sample.name) does not belong to a \(type.rawValue)")
        }
    }

    private static func line(from part: Parts, of family: MetricFamily) throws(Inexpressible) -> OpenMetrics2Line {
        let labelText = part.labels.map { "\($0.name)=\"\($0.value)\"" }.joined(separator: ",")
        let series = family.name + (part.labels.isEmpty ? "" : "{\(labelText)}")
        var buckets = part.buckets.sorted { $0.bound < $1.bound }
        let count = part.native?.count ?? part.count ?? buckets.last?.count
        let sum = part.native?.sum ?? part.sum
        guard let count, let sum else {
            throw Inexpressible(reason: "\(series) has no sum, which OpenMetrics 2.0 requires")
        }
        if family.type == .summary {
            let quantiles = part.quantiles.sorted { $0.bound < $1.bound }.map {
                (realNumberText($0.quantile), $0.value)
            }
            return OpenMetrics2Line(
                labels: part.labels, value: .summary(SummaryValue(count: count, sum: sum, quantiles: quantiles)),
                timestamp: part.timestamp, start: part.start)
        }
        if buckets.isEmpty && part.native == nil {
            // A histogram with a count but no buckets: its +Inf bucket is its count, by definition.
            buckets = [("+Inf", .infinity, count, nil)]
        }
        if let last = buckets.last, last.bound != .infinity {
            throw Inexpressible(reason: "\(series) has no +Inf bucket")
        }
        // A native histogram's exemplars are all of the series' (this package's histograms keep
        // their buckets' exemplars there too, by time); a classic one has its buckets'.
        let nativeExemplars = part.native?.exemplars ?? []
        let exemplars = nativeExemplars.isEmpty ? buckets.compactMap(\.exemplar) : nativeExemplars
        var native = part.native
        native?.exemplars = []
        if let native { try check(native, of: series) }
        let value = HistogramValue(
            count: count, sum: sum, native: native,
            buckets: buckets.map { ($0.bound == .infinity ? "+Inf" : realNumberText($0.threshold), $0.count) })
        return OpenMetrics2Line(
            labels: part.labels, value: .histogram(value), timestamp: part.timestamp,
            start: family.type == .histogram ? part.start : nil,
            exemplars: exemplars.filter { $0.timestamp != nil })
    }

    /// Checks what the 2.0 grammar and rules ask of native buckets that the model does not enforce.
    private static func check(_ native: NativeHistogram, of series: String) throws(Inexpressible) {
        guard (-4...8).contains(native.schema) else {
            throw Inexpressible(reason: "\(series) has native schema \(native.schema), outside -4...8")
        }
        guard native.zeroThreshold.isFinite, native.zeroThreshold >= 0 else {
            throw Inexpressible(reason: "\(series) has a native zero threshold that is not a non-negative number")
        }
        for (spans, counts) in [
            (native.negativeSpans, native.negativeBucketCounts), (native.positiveSpans, native.positiveBucketCounts),
        ] {
            guard spans.dropFirst().allSatisfy({ $0.offset >= 0 }),
                spans.reduce(0, { $0 + Int($1.length) }) == counts.count
            else {
                throw Inexpressible(reason: "\(series) has native spans that do not match its buckets")
            }
        }
    }

    /// What `name` adds to `familyName`, or nil when it does not start with it (by bytes).
    private static func suffix(of name: String, after familyName: String) -> String? {
        guard name.utf8.starts(with: familyName.utf8) else { return nil }
        return String(decoding: name.utf8.dropFirst(familyName.utf8.count), as: UTF8.self)
    }

    /// `text` when it is a real number as OpenMetrics 2.0 spells one (`0.1`, `1e+06`, `-5`), else the
    /// number it means written as the value writers write numbers.
    static func realNumberText(_ text: String) -> String {
        if isRealNumber(text.utf8) { return text }
        return GoFloatFormat.string(LineScanner.parseNumber(text) ?? .nan)
    }

    /// Whether `bytes` is a `realnumber` of the OpenMetrics 2.0 grammar: an optional sign, digits with
    /// an optional fraction (at least one digit on some side of the point) and an optional exponent.
    static func isRealNumber(_ bytes: some Collection<UInt8>) -> Bool {
        var index = bytes.startIndex
        func skipDigits() -> Int {
            var count = 0
            while index != bytes.endIndex, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                bytes.formIndex(after: &index)
                count += 1
            }
            return count
        }
        if index != bytes.endIndex, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
            bytes.formIndex(after: &index)
        }
        var digits = skipDigits()
        if index != bytes.endIndex, bytes[index] == UInt8(ascii: ".") {
            bytes.formIndex(after: &index)
            digits += skipDigits()
        }
        guard digits > 0 else { return false }
        if index != bytes.endIndex, bytes[index] | 0x20 == UInt8(ascii: "e") {
            bytes.formIndex(after: &index)
            if index != bytes.endIndex, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                bytes.formIndex(after: &index)
            }
            guard skipDigits() > 0 else { return false }
        }
        return index == bytes.endIndex
    }
}

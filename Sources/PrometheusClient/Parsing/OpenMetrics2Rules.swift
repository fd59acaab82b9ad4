/// The rules of the OpenMetrics 2.0 data model for one sample line's value, by family type: what
/// the specification says a value MUST (not SHOULD) be, beyond what its grammar says.
enum OpenMetrics2Rules {
    /// - Throws: a failure naming the broken rule.
    static func check(
        _ line: OpenMetrics2Line, type: MetricType, family: String, scanner: LineScanner, at offset: Int
    ) throws(LineScanner.Failure) {
        func fail(_ reason: String) -> LineScanner.Failure { scanner.fail("\(family): \(reason)", at: offset) }
        switch (type, line.value) {
        case (.counter, .number(let value)):
            guard !value.isNaN, value >= 0 else { throw fail("a counter value must be a number, not NaN or negative") }
        case (.gauge, .number), (.unknown, _):
            break
        case (.stateSet, .number(let value)):
            guard value == 0 || value == 1 else { throw fail("a state set value must be 0 or 1") }
            guard line.labels[family] != nil else { throw fail("a state set sample needs the label \(family)") }
        case (.info, .number(let value)):
            guard value == 1 else { throw fail("an info value must be 1") }
        case (.histogram, .histogram(let histogram)), (.gaugeHistogram, .histogram(let histogram)):
            try checkHistogram(histogram, line: line, isGauge: type == .gaugeHistogram, fail: fail)
        case (.summary, .summary(let summary)):
            try checkSummary(summary, line: line, fail: fail)
        case (_, .number):
            throw fail("a \(type.rawValue) sample needs a composite value")
        default:
            throw fail("a \(type.rawValue) sample cannot have this value")
        }
    }

    /// The parser marks a gauge histogram's value by its `gcount` field: it must match the type.
    static func checkForm(isGauge: Bool, type: MetricType, family: String, scanner: LineScanner, at offset: Int)
        throws(LineScanner.Failure)
    {
        if isGauge != (type == .gaugeHistogram), type == .histogram || type == .gaugeHistogram {
            throw scanner.fail(
                "\(family): a \(type.rawValue) value uses \(type == .histogram ? "count and sum" : "gcount and gsum")",
                at: offset)
        }
    }

    private static func checkHistogram(
        _ histogram: OpenMetrics2Line.HistogramValue, line: OpenMetrics2Line, isGauge: Bool,
        fail: (String) -> LineScanner.Failure
    ) throws(LineScanner.Failure) {
        if !isGauge {
            guard !histogram.count.isNaN, histogram.count >= 0 else {
                throw fail("a histogram count cannot be negative")
            }
        }
        if !histogram.buckets.isEmpty {
            guard line.labels["le"] == nil else {
                throw fail("a histogram with classic buckets cannot have an le label")
            }
            var previous = -Double.infinity
            var previousCount = -Double.infinity
            for (index, bucket) in histogram.buckets.enumerated() {
                let bound = OpenMetrics2ValueScanner.number(bucket.threshold.utf8) ?? .nan
                guard bound > previous || (index == 0 && bound == -.infinity) else {
                    throw fail("classic bucket thresholds must be unique and increasing")
                }
                guard bound != .infinity || index == histogram.buckets.count - 1 else {
                    throw fail("+Inf must be the last classic bucket")
                }
                if !isGauge {
                    guard !bucket.count.isNaN, bucket.count >= 0, bucket.count >= previousCount else {
                        throw fail("classic bucket counts must be cumulative: not negative, never decreasing")
                    }
                }
                previous = bound
                previousCount = bucket.count
            }
            guard histogram.buckets.last?.threshold == "+Inf" else { throw fail("classic buckets end with +Inf") }
            guard histogram.buckets.last?.count == histogram.count else {
                throw fail("the count must equal the +Inf bucket")
            }
        }
        if let native = histogram.native {
            guard (-4...8).contains(native.schema) else { throw fail("native schema must be in -4...8") }
            guard native.zeroThreshold >= 0 else { throw fail("the zero threshold cannot be negative") }
            let counts = native.negativeBucketCounts + native.positiveBucketCounts + [native.zeroCount]
            for (spans, buckets) in [
                (native.negativeSpans, native.negativeBucketCounts),
                (native.positiveSpans, native.positiveBucketCounts),
            ] where spans.reduce(0, { $0 + Int($1.length) }) != buckets.count {
                throw fail("the span lengths must add up to the number of native buckets")
            }
            if !isGauge {
                guard counts.allSatisfy({ !$0.isNaN && $0 >= 0 }) else {
                    throw fail("native bucket counts cannot be negative")
                }
                guard histogram.count >= counts.reduce(0, +) else {
                    throw fail("the count cannot be below the sum of the native buckets")
                }
            }
        }
    }

    private static func checkSummary(
        _ summary: OpenMetrics2Line.SummaryValue, line: OpenMetrics2Line, fail: (String) -> LineScanner.Failure
    ) throws(LineScanner.Failure) {
        guard !summary.count.isNaN, summary.count >= 0, summary.count == summary.count.rounded() else {
            throw fail("a summary count must be a non-negative integer")
        }
        guard !summary.sum.isNaN, summary.sum >= 0 else { throw fail("a summary sum cannot be NaN or negative") }
        guard line.labels["quantile"] == nil else { throw fail("a summary cannot have a quantile label") }
        var previous = -Double.infinity
        for quantile in summary.quantiles {
            let bound = OpenMetrics2ValueScanner.number(quantile.quantile.utf8) ?? .nan
            guard bound >= 0, bound <= 1 else { throw fail("quantiles must be between 0 and 1") }
            guard bound > previous else { throw fail("quantiles must be unique and increasing") }
            guard quantile.value.isNaN || quantile.value >= 0 else { throw fail("quantile values cannot be negative") }
            previous = bound
        }
    }
}

/// One sample line of OpenMetrics 2.0: a series, a value (a number or a composite value), an
/// optional timestamp and start timestamp, and any exemplars.
///
/// The model keeps the OpenMetrics 1.0 shape (a histogram is `_bucket`, `_count`, `_sum` and
/// `_created` samples; a counter `_total` and `_created`), so that every writer and the multiprocess
/// merge share one model. This type owns the mapping between that shape and the 2.0 lines, both
/// ways: ``lines(of:)`` folds a family's samples into lines for the writer, and ``samples(into:)``
/// unfolds a parsed line into the samples the collectors of this package produce for the same
/// series, in their order, so that a family written and read back is the family collected.
package struct OpenMetrics2Line: Sendable, Equatable {
    /// The value of a line.
    package enum Value: Sendable, Equatable {
        case number(Double)
        case histogram(HistogramValue)
        case summary(SummaryValue)
    }

    /// The composite value of a histogram or gauge histogram line.
    package struct HistogramValue: Sendable, Equatable {
        /// `count` (`gcount` for a gauge histogram).
        package var count: Double
        /// `sum` (`gsum`).
        package var sum: Double
        /// The native buckets, if the histogram has them (its count and sum are the line's).
        package var native: NativeHistogram?
        /// The classic buckets: each threshold as written (`0.1`, `+Inf`) and its cumulative count,
        /// sorted by threshold, the last `+Inf`; empty for a native-only histogram.
        package var buckets: [(threshold: String, count: Double)]

        package static func == (lhs: Self, rhs: Self) -> Bool {
            lhs.count.bitPattern == rhs.count.bitPattern && lhs.sum.bitPattern == rhs.sum.bitPattern
                && lhs.native == rhs.native && lhs.buckets.map(\.threshold) == rhs.buckets.map(\.threshold)
                && lhs.buckets.map(\.count.bitPattern) == rhs.buckets.map(\.count.bitPattern)
        }
    }

    /// The composite value of a summary line.
    package struct SummaryValue: Sendable, Equatable {
        package var count: Double
        package var sum: Double
        /// Each quantile as written (`0.95`) and its value, sorted by quantile.
        package var quantiles: [(quantile: String, value: Double)]

        package static func == (lhs: Self, rhs: Self) -> Bool {
            lhs.count.bitPattern == rhs.count.bitPattern && lhs.sum.bitPattern == rhs.sum.bitPattern
                && lhs.quantiles.map(\.quantile) == rhs.quantiles.map(\.quantile)
                && lhs.quantiles.map(\.value.bitPattern) == rhs.quantiles.map(\.value.bitPattern)
        }
    }

    /// The series' labels (without `le` or `quantile`).
    package var labels: [Label]
    package var value: Value
    package var timestamp: Timestamp?
    /// The start timestamp (`st@`), in Unix seconds: the model's `_created` value.
    package var start: Double?
    package var exemplars: [Exemplar]

    package init(
        labels: [Label], value: Value, timestamp: Timestamp? = nil, start: Double? = nil, exemplars: [Exemplar] = []
    ) {
        self.labels = labels
        self.value = value
        self.timestamp = timestamp
        self.start = start
        self.exemplars = exemplars
    }

    /// Why a family has no OpenMetrics 2.0 form.
    package struct Inexpressible: Error, Sendable, Equatable {
        package var reason: String
    }

    /// The name every sample line of `family` carries in OpenMetrics 2.0, which is also the name its
    /// TYPE, UNIT and HELP lines give: a counter's value sample name (`jobs_total`), an info family's
    /// `_info` name, and the family's own name for the other types.
    package static func familyName(of family: MetricFamily) -> String {
        switch family.type {
        case .counter:
            let created = family.name + "_created"
            return family.samples.first { !ByteIdentity.equal($0.name, created) }?.name ?? family.name + "_total"
        case .info:
            return family.samples.first?.name ?? family.name + "_info"
        default:
            return family.name
        }
    }

    /// The model name of a family whose OpenMetrics 2.0 name is `name`: without `_total` for a counter
    /// and without `_info` for an info family, as the collectors of this package name them.
    package static func modelName(of name: String, type: MetricType) -> String {
        let suffix: String
        switch type {
        case .counter: suffix = "_total"
        case .info: suffix = "_info"
        default: return name
        }
        guard name.utf8.count > suffix.utf8.count, name.hasSuffix(suffix) else { return name }
        return String(name.dropLast(suffix.count))
    }

    /// Whether OpenMetrics 2.0 lets a line of `type` carry a start timestamp.
    package static func carriesStart(_ type: MetricType) -> Bool {
        type == .counter || type == .histogram || type == .summary || type == .unknown
    }

    /// Whether OpenMetrics 2.0 lets a line of `type` carry exemplars.
    package static func carriesExemplars(_ type: MetricType) -> Bool {
        type == .counter || type == .histogram || type == .gaugeHistogram
    }
}

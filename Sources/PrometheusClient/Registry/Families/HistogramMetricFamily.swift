/// Builds a histogram family in a custom collector: cumulative `<name>_bucket{le}` samples ending with
/// `+Inf`, `<name>_count` (the `+Inf` count) and, when given and the first bound is not negative,
/// `<name>_sum`.
public struct HistogramMetricFamily: Sendable {
    private var builder: FamilyBuilder

    /// The family built so far.
    public var family: MetricFamily { builder.family }

    /// Starts an empty family.
    ///
    /// - Throws: `MetricError` for invalid names.
    public init(name: String, help: String, labelNames: [String] = [], unit: String = "") throws(MetricError) {
        builder = try FamilyBuilder(name: name, help: help, type: .histogram, unit: unit, labelNames: labelNames)
    }

    /// Adds one child's buckets, given as (upper bound, cumulative count, optional exemplar).
    ///
    /// - Throws: `MetricError.labelCountMismatch`, or `MetricError.invalidFamily` when the buckets do not
    ///   end with `+Inf`, bounds do not increase or counts decrease.
    public mutating func addMetric(
        _ labelValues: [String],
        buckets: [(upperBound: Double, cumulativeCount: Double, exemplar: Exemplar?)],
        sum: Double?,
        timestamp: Timestamp? = nil
    ) throws(MetricError) {
        let labels = try builder.labels(labelValues)
        var copy = builder
        let count = try copy.appendBuckets(buckets, labels: labels, timestamp: timestamp)
        copy.append("_count", labels, count, timestamp)
        if let sum, let first = buckets.first, first.upperBound >= 0 {
            copy.append("_sum", labels, sum, timestamp)
        }
        builder = copy
    }
}

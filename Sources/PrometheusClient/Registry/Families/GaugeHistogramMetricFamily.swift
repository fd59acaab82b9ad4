/// Builds a gauge histogram family (buckets of current values that can go down) in a custom
/// collector: cumulative `<name>_bucket{le}`, `<name>_gcount` and `<name>_gsum`.
public struct GaugeHistogramMetricFamily: Sendable {
    private var builder: FamilyBuilder

    /// The family built so far.
    public var family: MetricFamily { builder.family }

    /// Starts an empty family.
    ///
    /// - Throws: `MetricError` for invalid names.
    public init(name: String, help: String, labelNames: [String] = [], unit: String = "") throws(MetricError) {
        builder = try FamilyBuilder(
            name: name, help: help, type: .gaugeHistogram, unit: unit, labelNames: labelNames)
    }

    /// Adds one child's buckets, given as (upper bound, cumulative count, optional exemplar), and the
    /// sum of the current values.
    ///
    /// - Throws: `MetricError.labelCountMismatch`, or `MetricError.invalidFamily` for malformed buckets.
    public mutating func addMetric(
        _ labelValues: [String],
        buckets: [(upperBound: Double, cumulativeCount: Double, exemplar: Exemplar?)],
        sum: Double,
        timestamp: Timestamp? = nil
    ) throws(MetricError) {
        let labels = try builder.labels(labelValues)
        var copy = builder
        let count = try copy.appendBuckets(buckets, labels: labels, timestamp: timestamp)
        copy.append("_gcount", labels, count, timestamp)
        copy.append("_gsum", labels, sum, timestamp)
        builder = copy
    }
}

/// Builds a summary family in a custom collector: `<name>_count` and `<name>_sum` per child.
public struct SummaryMetricFamily: Sendable {
    private var builder: FamilyBuilder

    /// The family built so far.
    public var family: MetricFamily { builder.family }

    /// Starts an empty family.
    ///
    /// - Throws: `MetricError` for invalid names.
    public init(name: String, help: String, labelNames: [String] = [], unit: String = "") throws(MetricError) {
        builder = try FamilyBuilder(name: name, help: help, type: .summary, unit: unit, labelNames: labelNames)
    }

    /// Adds one child's count and sum.
    ///
    /// - Throws: `MetricError.labelCountMismatch`.
    public mutating func addMetric(_ labelValues: [String], count: Double, sum: Double, timestamp: Timestamp? = nil)
        throws(MetricError)
    {
        let labels = try builder.labels(labelValues)
        builder.append("_count", labels, count, timestamp)
        builder.append("_sum", labels, sum, timestamp)
    }
}

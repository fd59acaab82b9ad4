/// Builds an unknown family in a custom collector: one `<name>` sample per child.
public struct UnknownMetricFamily: Sendable {
    private var builder: FamilyBuilder

    /// The family built so far.
    public var family: MetricFamily { builder.family }

    /// Starts an empty family.
    ///
    /// - Throws: `MetricError` for invalid names.
    public init(name: String, help: String, labelNames: [String] = [], unit: String = "") throws(MetricError) {
        builder = try FamilyBuilder(name: name, help: help, type: .unknown, unit: unit, labelNames: labelNames)
    }

    /// Starts a family holding one sample without labels.
    ///
    /// - Throws: `MetricError` for invalid names.
    public init(name: String, help: String, value: Double, unit: String = "") throws(MetricError) {
        try self.init(name: name, help: help, unit: unit)
        try addMetric([], value: value)
    }

    /// Adds one child's value.
    ///
    /// - Throws: `MetricError.labelCountMismatch`.
    public mutating func addMetric(_ labelValues: [String], value: Double, timestamp: Timestamp? = nil)
        throws(MetricError)
    {
        builder.append("", try builder.labels(labelValues), value, timestamp)
    }
}

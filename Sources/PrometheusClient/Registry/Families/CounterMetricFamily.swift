/// Builds a counter family in a custom collector: `<name>_total` samples and optional `_created`.
///
/// ```swift
/// var family = try CounterMetricFamily(name: "jobs", help: "Jobs run.", labelNames: ["queue"])
/// try family.addMetric(["default"], value: 42)
/// return [family.family]
/// ```
public struct CounterMetricFamily: Sendable {
    private var builder: FamilyBuilder

    /// The family built so far.
    public var family: MetricFamily { builder.family }

    /// Starts an empty family; a trailing `_total` is dropped from `name`.
    ///
    /// - Throws: `MetricError` for invalid names.
    public init(name: String, help: String, labelNames: [String] = [], unit: String = "") throws(MetricError) {
        builder = try FamilyBuilder(name: name, help: help, type: .counter, unit: unit, labelNames: labelNames)
    }

    /// Starts a family holding one sample without labels.
    ///
    /// - Throws: `MetricError` for invalid names.
    public init(name: String, help: String, value: Double, created: Double? = nil, unit: String = "")
        throws(MetricError)
    {
        try self.init(name: name, help: help, unit: unit)
        try addMetric([], value: value, created: created)
    }

    /// Adds one child's total (and its creation time, Unix seconds, if given).
    ///
    /// - Throws: `MetricError.labelCountMismatch`.
    public mutating func addMetric(
        _ labelValues: [String],
        value: Double,
        created: Double? = nil,
        timestamp: Timestamp? = nil,
        exemplar: Exemplar? = nil
    ) throws(MetricError) {
        let labels = try builder.labels(labelValues)
        builder.family.samples.append(
            Sample(
                name: builder.family.name + "_total", labels: labels, value: value, timestamp: timestamp,
                exemplar: exemplar))
        if let created {
            builder.append("_created", labels, created, timestamp)
        }
    }
}

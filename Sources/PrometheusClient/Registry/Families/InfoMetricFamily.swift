/// Builds an info family in a custom collector: `<name>_info` samples with the value 1.
public struct InfoMetricFamily: Sendable {
    private var builder: FamilyBuilder

    /// The family built so far.
    public var family: MetricFamily { builder.family }

    /// Starts an empty family.
    ///
    /// - Throws: `MetricError` for invalid names.
    public init(name: String, help: String, labelNames: [String] = []) throws(MetricError) {
        builder = try FamilyBuilder(name: name, help: help, type: .info, unit: "", labelNames: labelNames)
    }

    /// Adds one child's information.
    ///
    /// - Throws: `MetricError.labelCountMismatch`, or `MetricError.invalidInfo` when a key is an invalid
    ///   label name or one of the label names.
    public mutating func addMetric(_ labelValues: [String], info: [String: String], timestamp: Timestamp? = nil)
        throws(MetricError)
    {
        let labels = try builder.labels(labelValues)
        for key in info.keys {
            do {
                try MetricNaming.validateLabelName(key)
            } catch {
                throw .invalidInfo(metric: builder.family.name, reason: "key \"\(key)\": \(error)")
            }
            if builder.labelNames.contains(key) {
                throw .invalidInfo(metric: builder.family.name, reason: "key \"\(key)\" is also a label name")
            }
        }
        builder.append("_info", labels + [Label](info), 1, timestamp)
    }
}

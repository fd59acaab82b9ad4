/// Builds a state set family in a custom collector: one `<name>{<name>="<state>"}` sample per state,
/// 1 when the state is active and 0 otherwise, sorted by state name.
public struct StateSetMetricFamily: Sendable {
    private var builder: FamilyBuilder

    /// The family built so far.
    public var family: MetricFamily { builder.family }

    /// Starts an empty family.
    ///
    /// - Throws: `MetricError` for invalid names.
    public init(name: String, help: String, labelNames: [String] = []) throws(MetricError) {
        builder = try FamilyBuilder(name: name, help: help, type: .stateSet, unit: "", labelNames: labelNames)
    }

    /// Adds one child's states.
    ///
    /// - Throws: `MetricError.labelCountMismatch`.
    public mutating func addMetric(_ labelValues: [String], states: [String: Bool], timestamp: Timestamp? = nil)
        throws(MetricError)
    {
        let labels = try builder.labels(labelValues)
        let name = builder.family.name
        for (state, active) in states.sorted(by: { $0.key < $1.key }) {
            builder.append("", labels + [Label(name, state)], active ? 1 : 0, timestamp)
        }
    }
}

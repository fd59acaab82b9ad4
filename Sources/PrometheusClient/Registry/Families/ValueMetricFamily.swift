/// The types of family that hold one plain value per child: gauges and unknown-typed metrics.
public protocol PlainValueType: Sendable {
    /// The family's type.
    static var metricType: MetricType { get }
}

/// Gauge families (``GaugeMetricFamily``).
public enum GaugeValues: PlainValueType {
    /// `gauge`.
    public static var metricType: MetricType { .gauge }
}

/// Unknown-typed families (``UnknownMetricFamily``).
public enum UnknownValues: PlainValueType {
    /// `unknown` (`untyped` in the Prometheus text format).
    public static var metricType: MetricType { .unknown }
}

/// Builds a gauge family in a custom collector: one `<name>` sample per child (Python's
/// `GaugeMetricFamily`).
public typealias GaugeMetricFamily = ValueMetricFamily<GaugeValues>

/// Builds an unknown family in a custom collector: one `<name>` sample per child (Python's
/// `UnknownMetricFamily`).
public typealias UnknownMetricFamily = ValueMetricFamily<UnknownValues>

/// Builds a family with one plain value per child; use it as ``GaugeMetricFamily`` or
/// ``UnknownMetricFamily``.
public struct ValueMetricFamily<Values: PlainValueType>: Sendable {
    private var builder: FamilyBuilder

    /// The family built so far.
    public var family: MetricFamily { builder.family }

    /// Starts an empty family.
    ///
    /// - Throws: `MetricError` for invalid names.
    public init(name: String, help: String, labelNames: [String] = [], unit: String = "") throws(MetricError) {
        builder = try FamilyBuilder(name: name, help: help, type: Values.metricType, unit: unit, labelNames: labelNames)
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

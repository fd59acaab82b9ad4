/// A collected metric family: what a collector returns and what the exposition writers print.
///
/// `name` is the family name without type suffixes (a counter family `requests` has samples named
/// `requests_total` and `requests_created`). Builders such as ``CounterMetricFamily`` construct
/// families with the naming rules applied; this type itself only holds data.
public struct MetricFamily: Sendable, Hashable {
    /// The family name, without `_total`, `_info`, `_bucket` and similar sample suffixes.
    public var name: String
    /// The help text (documentation).
    public var help: String
    /// The metric type.
    public var type: MetricType
    /// The unit (OpenMetrics `# UNIT`), or empty.
    public var unit: String
    /// The samples, in exposition order.
    public var samples: [Sample]

    /// Creates a family from its parts.
    public init(name: String, help: String, type: MetricType, unit: String = "", samples: [Sample] = []) {
        self.name = name
        self.help = help
        self.type = type
        self.unit = unit
        self.samples = samples
    }

    /// Every sample name this family can produce, used by the registry to detect clashes: the name
    /// itself plus the type's suffixes (`_total`, `_created`, `_bucket`, ...).
    public var reservedNames: [String] {
        [name] + type.reservedSuffixes.map { name + $0 }
    }
}

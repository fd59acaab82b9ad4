/// The validated identity of one metric: full name, help, type, unit and declared label names.
///
/// Every metric type builds one in its initializer, before anything is registered, so a metric that
/// fails validation leaves nothing behind.
struct MetricDefinition: Sendable {
    /// The full family name (namespace, subsystem, name and unit joined; counters without `_total`).
    let name: String
    /// The help text.
    let help: String
    /// The metric type.
    let type: MetricType
    /// The unit, or empty.
    let unit: String
    /// The declared label names, in declaration order.
    let labelNames: [String]

    /// Validates and joins the parts of a metric's name and its label names.
    ///
    /// - Throws: `MetricError` for an invalid or empty name, a unit on a type that cannot have one, an
    ///   invalid, reserved or duplicate label name.
    init(
        name: String,
        help: String,
        type: MetricType,
        namespace: String,
        subsystem: String,
        unit: String,
        labelNames: [String],
        reservedLabelNames: Set<String> = []
    ) throws(MetricError) {
        let fullName = try MetricNaming.fullName(
            name: name, namespace: namespace, subsystem: subsystem, unit: unit, type: type)
        try MetricNaming.validateLabelNames(labelNames, metric: fullName, reserved: reservedLabelNames)
        self.name = fullName
        self.help = help
        self.type = type
        self.unit = unit
        self.labelNames = labelNames
    }

    /// The position of the declared label `name` (compared by bytes), if it is declared.
    func index(ofLabel name: String) -> Int? {
        labelNames.firstIndex { ByteIdentity.equal($0, name) }
    }

    /// Pairs label values with the declared names.
    func labels(for values: [String]) -> [Label] {
        zip(labelNames, values).map { Label($0, $1) }
    }

    /// An empty family of this metric, for `describe()` and as the start of `collect()`.
    func emptyFamily() -> MetricFamily {
        MetricFamily(name: name, help: help, type: type, unit: unit)
    }
}

import Synchronization

/// The naming rules for metrics and labels, shared by the metric types, the family builders and the
/// parsers.
///
/// By default names may hold any UTF-8 text (only the empty name is rejected), as in Prometheus 3 and
/// the Python client. Legacy validation restricts metric names to `[a-zA-Z_:][a-zA-Z0-9_:]*` and label
/// names to `[a-zA-Z_][a-zA-Z0-9_]*`; it starts from ``PrometheusConfiguration/legacyNameValidation``
/// (`PROMETHEUS_LEGACY_NAME_VALIDATION=true`) and ``MetricNaming/legacyValidation`` changes it.
public enum MetricNaming {
    private static let legacyValidationFlag = Atomic<Bool>(PrometheusConfiguration.process.legacyNameValidation)

    /// Whether names must follow the legacy (pre-UTF-8) character rules.
    public static var legacyValidation: Bool {
        get { legacyValidationFlag.load(ordering: .relaxed) }
        set { legacyValidationFlag.store(newValue, ordering: .relaxed) }
    }

    /// Joins namespace, subsystem and name with `_`, skipping empty parts, then appends `_<unit>` unless
    /// the name already ends with it. Counters lose a trailing `_total` (before the unit is applied).
    ///
    /// - Throws: `MetricError.invalidMetricName` for an empty or invalid result, and
    ///   `MetricError.unitNotAllowed` for a unit on info and stateset metrics.
    public static func fullName(
        name: String,
        namespace: String = "",
        subsystem: String = "",
        unit: String = "",
        type: MetricType
    ) throws(MetricError) -> String {
        guard !name.isEmpty else {
            throw .invalidMetricName(name, reason: "the name must not be empty")
        }
        var full = [namespace, subsystem, name].filter { !$0.isEmpty }.joined(separator: "_")
        if type == .counter, full.hasSuffix("_total") {
            full.removeLast("_total".count)
        }
        if !unit.isEmpty {
            if type == .info || type == .stateSet {
                throw .unitNotAllowed(metric: full, type: type)
            }
            if !full.hasSuffix("_" + unit) {
                full += "_" + unit
            }
        }
        try validateMetricName(full)
        return full
    }

    /// Checks a full metric name.
    ///
    /// - Throws: `MetricError.invalidMetricName` when the name is empty, or (legacy mode) not
    ///   `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    public static func validateMetricName(_ name: String) throws(MetricError) {
        guard !name.isEmpty else {
            throw .invalidMetricName(name, reason: "the name must not be empty")
        }
        if legacyValidation, !isLegacyMetricName(name) {
            throw .invalidMetricName(name, reason: "legacy validation requires [a-zA-Z_:][a-zA-Z0-9_:]*")
        }
    }

    /// Checks label names for a metric: non-empty, not starting with `__`, not in `reserved`, no
    /// duplicates, and (legacy mode) `[a-zA-Z_][a-zA-Z0-9_]*`.
    ///
    /// - Throws: the first `MetricError` a name violates.
    public static func validateLabelNames(
        _ names: [String],
        metric: String,
        reserved: Set<String> = []
    ) throws(MetricError) {
        var seen = Set<ByteString>()
        let reservedBytes = Set(reserved.map(ByteString.init))
        for name in names {
            try validateLabelName(name)
            if reservedBytes.contains(ByteString(name)) {
                throw .reservedLabelName(name, metric: metric)
            }
            if !seen.insert(ByteString(name)).inserted {
                throw .duplicateLabelName(name, metric: metric)
            }
        }
    }

    /// Checks one label name: non-empty, no `__` prefix, and (legacy mode) `[a-zA-Z_][a-zA-Z0-9_]*`.
    /// `legacy` defaults to the process's ``legacyValidation``; readers of files other processes
    /// wrote pass false, so that what one writer could write every reader accepts.
    ///
    /// - Throws: `MetricError.invalidLabelName` or `MetricError.reservedLabelName`.
    public static func validateLabelName(_ name: String, legacy: Bool = legacyValidation) throws(MetricError) {
        guard !name.isEmpty else {
            throw .invalidLabelName(name, reason: "label names must not be empty")
        }
        if name.hasPrefix("__") {
            throw .reservedLabelName(name, metric: "(any)")
        }
        if legacy, !isLegacyLabelName(name) {
            throw .invalidLabelName(name, reason: "legacy validation requires [a-zA-Z_][a-zA-Z0-9_]*")
        }
    }

    /// Whether `name` matches `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    public static func isLegacyMetricName(_ name: String) -> Bool {
        isLegacy(name, allowColon: true)
    }

    /// Whether `name` matches `[a-zA-Z_][a-zA-Z0-9_]*`.
    public static func isLegacyLabelName(_ name: String) -> Bool {
        isLegacy(name, allowColon: false)
    }

    private static func isLegacy(_ name: String, allowColon: Bool) -> Bool {
        var first = true
        for byte in name.utf8 {
            let isLetter = (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || byte == 0x5F
            let isDigit = byte >= 0x30 && byte <= 0x39
            let isColon = allowColon && byte == 0x3A
            if !(isLetter || isColon || (!first && isDigit)) {
                return false
            }
            first = false
        }
        return !first
    }
}

/// Mistakes in defining or using a metric. Every case names what was wrong and how to fix it.
public enum MetricError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The metric name is empty, or fails legacy validation.
    case invalidMetricName(String, reason: String)
    /// A label name is not allowed (empty, invalid characters in legacy mode).
    case invalidLabelName(String, reason: String)
    /// A label name is reserved (`__` prefix, `le` on histograms, `quantile` on summaries, ...).
    case reservedLabelName(String, metric: String)
    /// The same label name was declared twice.
    case duplicateLabelName(String, metric: String)
    /// `labels(...)` got a different number of values than the metric declares.
    case labelCountMismatch(metric: String, expected: [String], got: Int)
    /// `labels([name: value])` used names that differ from the declared ones.
    case labelNamesMismatch(metric: String, expected: [String], got: [String])
    /// `labels(...)` was called on a metric that has no label names.
    case noLabelNames(metric: String)
    /// A counter was asked to go down, or by NaN.
    case invalidIncrement(metric: String, amount: Double)
    /// Histogram buckets are unsorted, contain NaN, or are too few.
    case invalidBuckets(metric: String, reason: String)
    /// A unit was given to a type that cannot have one (info, stateset).
    case unitNotAllowed(metric: String, type: MetricType)
    /// Info values overlap the metric's label names, or use an invalid label name.
    case invalidInfo(metric: String, reason: String)
    /// An enum got no states, duplicate states, or a state it does not declare.
    case invalidState(metric: String, reason: String)
    /// A gauge multiprocess mode name that is not one of the ten modes.
    case invalidMultiprocessMode(String)
    /// An exemplar's labels are invalid or longer than 128 characters.
    case invalidExemplar(reason: String)
    /// A metric family builder was used inconsistently (values and labels together, sum without count).
    case invalidFamily(metric: String, reason: String)
    /// A feature this package cannot yet merge across processes was asked for in multiprocess mode.
    case unsupportedInMultiprocessMode(metric: String, feature: String)

    /// A message a user can act on.
    public var description: String {
        switch self {
        case .invalidMetricName(let name, let reason):
            return "invalid metric name \"\(name)\": \(reason)"
        case .invalidLabelName(let name, let reason):
            return "invalid label name \"\(name)\": \(reason)"
        case .reservedLabelName(let name, let metric):
            return "label name \"\(name)\" is reserved and cannot be used on metric \(metric)"
        case .duplicateLabelName(let name, let metric):
            return "label name \"\(name)\" is declared more than once on metric \(metric)"
        case .labelCountMismatch(let metric, let expected, let got):
            return "metric \(metric) has \(expected.count) label(s) \(expected), but \(got) value(s) were given"
        case .labelNamesMismatch(let metric, let expected, let got):
            return "metric \(metric) has labels \(expected), but values were given for \(got.sorted())"
        case .noLabelNames(let metric):
            return "metric \(metric) was declared without label names, so labels(...) cannot be used"
        case .invalidIncrement(let metric, let amount):
            return "counter \(metric) can only be incremented by a non-negative number, got \(amount)"
        case .invalidBuckets(let metric, let reason):
            return "histogram \(metric) has invalid buckets: \(reason)"
        case .unitNotAllowed(let metric, let type):
            return "metric \(metric) is of type \(type.rawValue), which cannot have a unit"
        case .invalidInfo(let metric, let reason):
            return "info metric \(metric): \(reason)"
        case .invalidState(let metric, let reason):
            return "enum metric \(metric): \(reason)"
        case .invalidMultiprocessMode(let mode):
            return
                "invalid multiprocess mode \"\(mode)\"; use one of all, liveall, min, livemin, max, livemax, sum, livesum, mostrecent, livemostrecent"
        case .invalidExemplar(let reason):
            return "invalid exemplar: \(reason)"
        case .invalidFamily(let metric, let reason):
            return "metric family \(metric): \(reason)"
        case .unsupportedInMultiprocessMode(let metric, let feature):
            return
                "metric \(metric): \(feature) are not merged across processes yet; leave them out in multiprocess mode"
        }
    }
}

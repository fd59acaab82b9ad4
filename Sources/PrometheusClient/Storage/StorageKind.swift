/// Which store a series' values belong to. In multiprocess mode it selects the file
/// (`counter_<pid>.db`, `gauge_livesum_<pid>.db`, ...); in memory it is only informative.
public enum StorageKind: Sendable, Hashable {
    /// Counter values (`<name>_total`).
    case counter
    /// Gauge values, per multiprocess mode.
    case gauge(MultiprocessMode)
    /// Summary `_count` and `_sum`.
    case summary
    /// Histogram `_sum` and non-cumulative `_bucket` values.
    case histogram
    /// Info series (value 1 for the current label set, 0 for replaced ones).
    case info
    /// Enum (stateset) series, one per state, 1 for the current state.
    case stateSet
}

import Synchronization

/// The switch for `_created` samples (the time each counter, summary and histogram child was created
/// or reset). It starts from ``PrometheusConfiguration/createdSeries`` (on unless
/// `PROMETHEUS_DISABLE_CREATED_SERIES=true`); ``CreatedSeries/isEnabled`` changes it at run time. Read
/// at every collection, like the Python client; a `MultiProcessCollector` may be given its own choice.
public enum CreatedSeries {
    private static let enabled = Atomic<Bool>(PrometheusConfiguration.process.createdSeries)

    /// Whether collections include `_created` samples.
    public static var isEnabled: Bool {
        get { enabled.load(ordering: .relaxed) }
        set { enabled.store(newValue, ordering: .relaxed) }
    }
}

import Synchronization

/// The switch for `_created` samples (the time each counter, summary and histogram child was created
/// or reset). On by default; `PROMETHEUS_DISABLE_CREATED_SERIES=true` at start-up or
/// ``CreatedSeries/isEnabled`` turns them off. Read at every collection, like the Python client.
public enum CreatedSeries {
    private static let enabled = Atomic<Bool>(!EnvironmentFlag.isTrue("PROMETHEUS_DISABLE_CREATED_SERIES"))

    /// Whether collections include `_created` samples.
    public static var isEnabled: Bool {
        get { enabled.load(ordering: .relaxed) }
        set { enabled.store(newValue, ordering: .relaxed) }
    }
}

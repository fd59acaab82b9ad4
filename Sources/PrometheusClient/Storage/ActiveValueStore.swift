/// Chooses the process-wide value store that new metrics write to.
///
/// Outside multiprocess mode this is the in-memory store. The multiprocess layer replaces the choice
/// when `PROMETHEUS_MULTIPROC_DIR` is set or multiprocess mode is enabled through its API.
enum ActiveValueStore {
    /// The store new metrics should use.
    ///
    /// - Throws: an error describing why the configured multiprocess directory cannot be used.
    static func current() throws -> any ValueStore {
        InMemoryValueStore.shared
    }
}

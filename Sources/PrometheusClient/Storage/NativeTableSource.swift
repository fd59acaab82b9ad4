/// Where a recorder's tables live when other processes must see them (multiprocess mode): the
/// `MmapValueStore`, which appends them to the process's `histogram_<id>.native` file
/// (``NativeBucketFileLayout``).
protocol NativeTableSource: AnyObject, Sendable {
    /// Runs `body` under the lock that guards the recorders of this source: the store's lock, which
    /// `fork()` also takes, so no thread is ever inside a recorder's slow path while the process is
    /// copied.
    func withTableLock<T>(_ body: () -> T) -> T

    /// Under that lock: a new empty table for `series` (its header written, its buckets zero), or
    /// nil when the series' buckets stay in process memory (removed, or the file cannot grow).
    func makeTableLocked(
        for series: SeriesStorage, schema: Int32, zeroThreshold: Double, capacity: Int
    ) -> UnsafeMutableRawPointer?

    /// Under that lock: marks a table removed, so that no reader counts it.
    func markTableRemovedLocked(_ table: UnsafeMutableRawPointer)
}

/// Where metric values live: process memory (``InMemoryValueStore``) or per-process memory-mapped
/// files (`MmapValueStore`, multiprocess mode).
///
/// A store hands out ``SeriesStorage`` objects. Each holds pointers to 16-byte slots, a value followed
/// by a timestamp, which is the layout of an entry's tail in a multiprocess `.db` file. The metric
/// types update slots with single atomic operations through those pointers; the store is only called
/// again on the slow path (after `fork()`, when a series must move to the child's own files).
protocol ValueStore: AnyObject, Sendable {
    /// Whether values are shared through files with other processes.
    var isMultiprocess: Bool { get }

    /// Creates the storage for one series and binds it at once (in multiprocess mode this writes its
    /// entries, so a scrape sees the series from creation, as in the Python client).
    func makeSeries(_ descriptor: SeriesDescriptor) -> SeriesStorage

    /// Binds a series whose binding was dropped (after `fork()`): returns its new slot pointers.
    func bind(_ series: SeriesStorage) -> SeriesBinding
}

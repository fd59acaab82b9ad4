/// Where metric values live: process memory (``InMemoryValueStore``) or per-process memory-mapped
/// files (`MmapValueStore`, multiprocess mode).
///
/// A store hands out ``SeriesStorage`` objects. Each holds pointers to 16-byte slots, a value followed
/// by a timestamp, which is the layout of an entry's tail in a multiprocess `.db` file. The metric
/// types update slots with single atomic operations through those pointers; the store is only called
/// again on the slow path (after `fork()`, when a series must move to the child's own files).
protocol ValueStore: AnyObject, Sendable {
    /// The multiprocess directory whose files hold the values, or nil when they are in process
    /// memory.
    var sharedDirectory: String? { get }

    /// Where native bucket tables go when other processes must see them (the multiprocess store), or
    /// nil when a recorder keeps its tables in process memory.
    var nativeTableSource: (any NativeTableSource)? { get }

    /// Creates the storage for one series and binds it at once (in multiprocess mode this writes its
    /// entries, so a scrape sees the series from creation, as in the Python client).
    func makeSeries(_ descriptor: SeriesDescriptor) -> SeriesStorage

    /// Binds a series whose binding was dropped (after `fork()`): returns its new slot pointers.
    func bind(_ series: SeriesStorage) -> SeriesBinding

    /// Takes a series out of what the store shares, for a child removed from its metric: in
    /// multiprocess mode its entries are marked removed (zeroed, so the master leaves them out) and
    /// the series writes to process memory from then on, so a reference kept to the removed child
    /// can no longer change the merge. A child made again for the same labels starts from zero.
    func remove(_ series: SeriesStorage)

    /// Records `exemplar` as the latest of slot `index` of `series` where other processes can see
    /// it (multiprocess mode); in-memory stores keep exemplars in the children only.
    func recordExemplar(_ exemplar: Exemplar, of series: SeriesStorage, at index: Int)

    /// Keeps `series`' callback (``GaugeChild/setFunction(_:)``) where other processes see its
    /// results: in multiprocess mode it is sampled into the series' file every
    /// ``Multiprocess/gaugeFunctionInterval`` seconds by a thread of the store; in-memory stores
    /// call it at collection instead, so they do nothing here.
    func sampleFunction(of series: any SampledSeries)

    /// Samples every callback given to ``sampleFunction(of:)`` now, on the calling thread.
    func sampleFunctions()
}

extension ValueStore {
    /// Whether values are shared through files with other processes.
    var isMultiprocess: Bool { sharedDirectory != nil }
}

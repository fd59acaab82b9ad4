/// Keeps values in process memory: the store used outside multiprocess mode.
final class InMemoryValueStore: ValueStore {
    /// The process-wide in-memory store.
    static let shared = InMemoryValueStore()

    var sharedDirectory: String? { nil }
    var nativeTableSource: (any NativeTableSource)? { nil }

    func makeSeries(_ descriptor: SeriesDescriptor) -> SeriesStorage {
        let series = SeriesStorage(descriptor: descriptor, store: self)
        series.install(SeriesBinding(inMemorySlotCount: descriptor.slotCount))
        return series
    }

    func bind(_ series: SeriesStorage) -> SeriesBinding {
        // In-memory series are bound at creation and never unbound; this only runs if a caller
        // unbinds one explicitly, and then the values restart from zero as after a fork.
        let binding = SeriesBinding(inMemorySlotCount: series.slotCount)
        series.install(binding)
        return binding
    }

    func remove(_ series: SeriesStorage) {
        // The removed child's memory goes with it.
    }

    func recordExemplar(_ exemplar: Exemplar, of series: SeriesStorage, at index: Int) {
        // The child keeps its exemplars itself.
    }

    func sampleFunction(of series: any SampledSeries) {
        // Called at every collection instead.
    }

    func sampleFunctions() {
        // Callbacks are called at every collection.
    }
}

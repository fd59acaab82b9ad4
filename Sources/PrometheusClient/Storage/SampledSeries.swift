/// A series whose value a callback produces (a gauge given ``GaugeChild/setFunction(_:)``), which a
/// multiprocess store samples into its files; the storage layer knows no metric type beyond this.
protocol SampledSeries: AnyObject, Sendable {
    /// The storage the sampled value is written to (a removed one is no longer sampled).
    var sampledStorage: SeriesStorage { get }

    /// Stores the callback's current result; false when no callback is set.
    func storeCallbackValue() -> Bool

    /// Takes the lock that guards the callback, before `fork()`: the sampling thread reads the
    /// callback under it, and a child copied while that thread held it could never sample.
    func lockCallbackForFork()

    /// Releases it after `fork()`, in the parent and in the child.
    func unlockCallbackAfterFork()
}

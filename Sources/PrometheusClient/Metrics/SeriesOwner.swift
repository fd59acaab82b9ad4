/// A metric's child with values in a store: what a metric takes out of the store when the child is
/// removed (``Metric/remove(_:)``, ``Metric/clear()``).
protocol SeriesOwner: AnyObject {
    /// Every series the child writes to.
    var storedSeries: [SeriesStorage] { get }
}

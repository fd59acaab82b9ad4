/// Whether a metric was declared with label names: the type parameter of ``Counter``, ``Gauge``,
/// ``Histogram``, ``Summary``, ``Info`` and ``Enum``.
///
/// The initializer picks it: `Counter(name:help:)` makes a `Counter<Unlabelled>`, whose updates act
/// on its one series, need no `try` and cannot fail (`requests.inc()`); `Counter(name:help:labelNames:)`
/// makes a `Counter<Labelled>`, whose series are chosen with `labels(...)`, as in the Python client.
/// Updating a labelled metric without choosing a series is a compile error, not a run-time one.
public protocol LabelShape: Sendable {}

/// A metric declared without label names: one series, updated directly.
public enum Unlabelled: LabelShape {}

/// A metric declared with label names: choose a series with `labels(...)`, then update it.
public enum Labelled: LabelShape {}

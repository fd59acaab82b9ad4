import Synchronization

/// The latest exemplar of each of a series' exemplar-carrying samples (a counter's `_total`, a
/// histogram's buckets), allocated with the series' first exemplar.
final class ExemplarSlots: Sendable {
    private let latest: Mutex<[Exemplar?]>

    private init(count: Int) {
        latest = Mutex(Array(repeating: nil, count: count))
    }

    /// The slots of `reference`, made (once, whichever thread wins) when there are none yet.
    static func slots(in reference: borrowing AtomicLazyReference<ExemplarSlots>, count: Int) -> ExemplarSlots {
        reference.load() ?? reference.storeIfNil(ExemplarSlots(count: count))
    }

    /// Replaces the exemplar of slot `index`.
    func store(_ exemplar: Exemplar, at index: Int) {
        latest.withLock { $0[index] = exemplar }
    }

    /// The exemplars, nil where none was recorded.
    var exemplars: [Exemplar?] {
        latest.withLock { $0 }
    }
}

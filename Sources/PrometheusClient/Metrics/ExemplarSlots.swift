import Synchronization

/// The latest exemplar of each of a series' exemplar-carrying samples (a counter's `_total`, a
/// histogram's buckets), allocated with the series' first exemplar.
final class ExemplarSlots: Sendable {
    private let latest: Mutex<[Exemplar?]>

    private init(count: Int) {
        latest = Mutex(Array(repeating: nil, count: count))
    }

    /// The slots of `reference`, made (once, whichever thread wins) when there are none yet.
    static func slots(in reference: borrowing Reference, count: Int) -> ExemplarSlots {
        if let existing = reference.load() { return existing }
        let made = ExemplarSlots(count: count)
        return reference.storeIfNone(made)
    }

    /// A reference to slots made at most once and kept until the owner goes: a null pointer until
    /// then. (The standard `AtomicLazyReference` is generic, and unspecialised here its `load()`
    /// instantiates type metadata at every call, which a scrape makes once per series.)
    struct Reference: ~Copyable, Sendable {
        private let address = Atomic<UInt>(0)

        init() {}

        deinit {
            if let pointer = UnsafeRawPointer(bitPattern: address.load(ordering: .acquiring)) {
                Unmanaged<ExemplarSlots>.fromOpaque(pointer).release()
            }
        }

        /// The slots, if made.
        @inline(__always)
        func load() -> ExemplarSlots? {
            guard let pointer = UnsafeRawPointer(bitPattern: address.load(ordering: .acquiring)) else { return nil }
            return Unmanaged<ExemplarSlots>.fromOpaque(pointer).takeUnretainedValue()
        }

        /// Keeps `slots` unless slots were kept before; returns the kept ones.
        func storeIfNone(_ slots: ExemplarSlots) -> ExemplarSlots {
            let retained = Unmanaged.passRetained(slots)
            let bits = UInt(bitPattern: retained.toOpaque())
            let (exchanged, current) = address.compareExchange(
                expected: 0, desired: bits, successOrdering: .acquiringAndReleasing, failureOrdering: .acquiring)
            if exchanged { return slots }
            retained.release()
            return Unmanaged<ExemplarSlots>.fromOpaque(UnsafeRawPointer(bitPattern: current)!).takeUnretainedValue()
        }
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

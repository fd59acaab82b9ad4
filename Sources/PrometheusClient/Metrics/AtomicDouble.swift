import Synchronization

/// A `Double` that can be read and replaced from any thread: used for `_created` times, which change
/// on `reset()` while a scrape may be reading them. Stored inline in the child that owns it (one
/// allocation less per child than a class would cost).
struct AtomicDouble: ~Copyable, Sendable {
    private let bits: Atomic<UInt64>

    init(_ value: Double) {
        bits = Atomic(value.bitPattern)
    }

    /// The current value.
    var value: Double {
        Double(bitPattern: bits.load(ordering: .relaxed))
    }

    /// Replaces the value.
    func store(_ value: Double) {
        bits.store(value.bitPattern, ordering: .relaxed)
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Moves multiprocess stores to the child's own files after `fork()`, through `pthread_atfork`
/// handlers registered once per process.
///
/// Checking the pid on every write, as the Python client does, would cost a system call or a load
/// on the hot path; the atfork child handler instead drops every series' binding, so the hot path's
/// binding load finds nothing and the first write in the child rebinds that series.
enum ForkHandler {
    private struct WeakStore {
        weak var store: MmapValueStore?
    }

    // Guarded by `mutex`. Plain C state because the handlers run around fork(), where Swift's own
    // locks could be held by threads that will not exist in the child.
    nonisolated(unsafe) private static var stores: [WeakStore] = []
    nonisolated(unsafe) private static var lockedStores: [MmapValueStore] = []
    nonisolated(unsafe) private static let mutex: UnsafeMutablePointer<pthread_mutex_t> = {
        let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        return mutex
    }()
    private static let installed: Bool = {
        pthread_atfork(
            { ForkHandler.prepare() },
            { ForkHandler.parent() },
            { ForkHandler.child() })
        return true
    }()

    /// Makes `store` follow forks. Installs the atfork handlers on first use.
    static func register(_ store: MmapValueStore) {
        _ = installed
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        stores.removeAll { $0.store == nil }
        stores.append(WeakStore(store: store))
    }

    /// Stops following forks for `store` (from its deinit).
    static func unregister(_ store: MmapValueStore) {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        // The store is being deinitialised, so its weak references already read nil.
        stores.removeAll { $0.store == nil || $0.store === store }
    }

    private static func prepare() {
        pthread_mutex_lock(mutex)
        // Strong references keep the stores alive until the handlers on both sides are done.
        for entry in stores {
            if let store = entry.store {
                lockedStores.append(store)
            }
        }
        for store in lockedStores {
            store.lockForFork()
        }
    }

    private static func parent() {
        for store in lockedStores {
            store.unlockAfterForkInParent()
        }
        releaseLockedStores()
    }

    private static func child() {
        for store in lockedStores {
            store.resetInForkedChild()
        }
        releaseLockedStores()
    }

    /// Drops the strong references only after unlocking: the last one may deinitialise a store,
    /// whose deinit unregisters it under the same mutex.
    private static func releaseLockedStores() {
        var held: [MmapValueStore] = []
        swap(&held, &lockedStores)
        pthread_mutex_unlock(mutex)
        _ = held.count
    }
}

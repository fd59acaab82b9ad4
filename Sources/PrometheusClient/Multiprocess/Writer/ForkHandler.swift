import PrometheusSystem

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

    // Guarded by `mutex`. A plain pthread mutex because the handlers run around fork(), where it
    // is taken in one handler and released in another.
    nonisolated(unsafe) private static var stores: [WeakStore] = []
    nonisolated(unsafe) private static var lockedStores: [MmapValueStore] = []
    private static let mutex = ProcessMutex()
    private static let installed: Bool = {
        ForkHooks.install(
            prepare: { ForkHandler.prepare() },
            parent: { ForkHandler.parent() },
            child: { ForkHandler.child() })
        return true
    }()

    /// Makes `store` follow forks. Installs the atfork handlers on first use.
    static func register(_ store: MmapValueStore) {
        _ = installed
        mutex.lock()
        defer { mutex.unlock() }
        stores.removeAll { $0.store == nil }
        stores.append(WeakStore(store: store))
    }

    /// Stops following forks for `store` (from its deinit).
    static func unregister(_ store: MmapValueStore) {
        mutex.lock()
        defer { mutex.unlock() }
        // The store is being deinitialised, so its weak references already read nil.
        stores.removeAll { $0.store == nil || $0.store === store }
    }

    private static func prepare() {
        mutex.lock()
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
        mutex.unlock()
        _ = held.count
    }
}

internal import Glibc

/// A plain `pthread` mutex in its own allocation, for state that `fork()` handlers lock: Swift's
/// `Mutex` cannot be taken in an atfork handler and released in another.
package final class ProcessMutex: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    package init() {
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    package func lock() {
        pthread_mutex_lock(mutex)
    }

    package func unlock() {
        pthread_mutex_unlock(mutex)
    }

    /// Runs `body` holding the mutex.
    @inline(__always)
    package func withLock<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}

/// Registers handlers that run around every `fork()` of the process (`pthread_atfork(3)`).
package enum ForkHooks {
    /// Installs `prepare` (in the parent, before the fork), `parent` (in the parent, after it) and
    /// `child` (in the child, which has only the forking thread). Handlers cannot be removed.
    package static func install(
        prepare: @convention(c) () -> Void, parent: @convention(c) () -> Void, child: @convention(c) () -> Void
    ) {
        pthread_atfork(prepare, parent, child)
    }
}

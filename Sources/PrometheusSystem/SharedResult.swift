internal import Glibc

/// A value one thread produces and others wait for, each until its own deadline: a `pthread` mutex
/// and a condition variable on the monotonic clock. Set once; later sets are ignored.
package final class SharedResult<Value: Sendable>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private var value: Value?

    package init() {
        mutex = .allocate(capacity: 1)
        condition = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Publishes `newValue` and wakes every waiter (the first value stays).
    package func set(_ newValue: Value) {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        guard value == nil else { return }
        value = newValue
        pthread_cond_broadcast(condition)
    }

    /// The value, waiting for it until `deadline` (``SystemClock/monotonic()`` seconds); nil when the
    /// deadline passes first.
    package func wait(until deadline: Double) -> Value? {
        var time = timespec()
        time.tv_sec = Int(deadline.rounded(.down))
        time.tv_nsec = Int((deadline - deadline.rounded(.down)) * 1e9)
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while value == nil {
            // EINTR is not returned by pthread_cond_timedwait; ETIMEDOUT ends the wait.
            if pthread_cond_timedwait(condition, mutex, &time) == ETIMEDOUT { break }
        }
        return value
    }
}

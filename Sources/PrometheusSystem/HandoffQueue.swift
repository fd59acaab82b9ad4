internal import Glibc

/// A first-in, first-out queue between threads: producers ``push(_:)``, consumers block in
/// ``pop()`` until an element or ``close()`` arrives. A `pthread` mutex and condition variable.
package final class HandoffQueue<Element: Sendable>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private var elements: [Element] = []
    private var head = 0
    private var closed = false

    package init() {
        mutex = .allocate(capacity: 1)
        condition = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Adds `element` and wakes one waiting consumer.
    ///
    /// - Returns: false, dropping `element`, when the queue is closed.
    @discardableResult
    package func push(_ element: Element) -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        guard !closed else { return false }
        elements.append(element)
        pthread_cond_signal(condition)
        return true
    }

    /// The oldest element, waiting for one; nil once the queue is closed and drained.
    package func pop() -> Element? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while head == elements.count {
            if closed { return nil }
            pthread_cond_wait(condition, mutex)
        }
        let element = elements[head]
        head += 1
        if head == elements.count {
            // Keeps the storage: steady state allocates nothing.
            elements.removeAll(keepingCapacity: true)
            head = 0
        }
        return element
    }

    /// Every element now queued, without waiting (for a single consumer that polls).
    package func drain(into body: (Element) -> Void) {
        pthread_mutex_lock(mutex)
        let batch = elements[head...]
        elements.removeAll(keepingCapacity: true)
        head = 0
        pthread_mutex_unlock(mutex)
        batch.forEach(body)
    }

    /// Refuses further elements and wakes every consumer; those queued are still popped.
    package func close() {
        pthread_mutex_lock(mutex)
        closed = true
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
    }
}

internal import CPrometheusSystemCalls
internal import Glibc

/// An `epoll(7)` instance: one thread waits on many descriptors at once, each registered with a
/// 64-bit token that comes back with its readiness. Level-triggered.
package final class EventPoll: @unchecked Sendable {
    /// What to wait for, and what came back.
    package struct Events: OptionSet, Sendable, Hashable {
        package let rawValue: UInt32
        package init(rawValue: UInt32) { self.rawValue = rawValue }

        package static let readable = Events(rawValue: UInt32(PROMETHEUS_EPOLLIN))
        package static let writable = Events(rawValue: UInt32(PROMETHEUS_EPOLLOUT))
        /// Always reported, never asked for: an error on the descriptor.
        package static let error = Events(rawValue: UInt32(PROMETHEUS_EPOLLERR))
        /// Always reported, never asked for: both directions are closed.
        package static let hangUp = Events(rawValue: UInt32(PROMETHEUS_EPOLLHUP))
        /// The peer closed its sending side.
        package static let peerClosed = Events(rawValue: UInt32(PROMETHEUS_EPOLLRDHUP))
        /// Wake only one of the processes waiting on a shared descriptor (a listening socket
        /// served by every worker of a pre-fork server), instead of all of them. Only on add.
        package static let exclusive = Events(rawValue: UInt32(PROMETHEUS_EPOLLEXCLUSIVE))
    }

    private let descriptor: Int32
    private let tokens: UnsafeMutablePointer<UInt64>
    private let events: UnsafeMutablePointer<UInt32>
    /// The most events one ``wait(milliseconds:_:)`` reports.
    package let capacity = 256

    /// - Throws: the `Errno` of `epoll_create1(2)`.
    package init() throws(Errno) {
        descriptor = try retryingInterrupts { prometheus_epoll_create() }
        tokens = .allocate(capacity: capacity)
        events = .allocate(capacity: capacity)
    }

    deinit {
        _ = Glibc.close(descriptor)
        tokens.deallocate()
        events.deallocate()
    }

    /// Starts watching `descriptor` for `events`, reporting `token`.
    ///
    /// - Throws: the `Errno` of `epoll_ctl(2)`.
    package func add(_ descriptor: Int32, events: Events, token: UInt64) throws(Errno) {
        _ = try retryingInterrupts { prometheus_epoll_control(self.descriptor, 1, descriptor, events.rawValue, token) }
    }

    /// Changes what `descriptor` is watched for (an empty set: only errors and hang-ups).
    ///
    /// - Throws: the `Errno` of `epoll_ctl(2)`.
    package func modify(_ descriptor: Int32, events: Events, token: UInt64) throws(Errno) {
        _ = try retryingInterrupts { prometheus_epoll_control(self.descriptor, 2, descriptor, events.rawValue, token) }
    }

    /// Stops watching `descriptor` (closing it does so too).
    package func remove(_ descriptor: Int32) {
        _ = prometheus_epoll_control(self.descriptor, 3, descriptor, 0, 0)
    }

    /// Waits up to `milliseconds` (-1: forever) and calls `body` with each ready token and its
    /// events. No allocation.
    ///
    /// - Returns: the number of events reported (0 on timeout or interruption).
    @discardableResult
    package func wait(milliseconds: Int32, _ body: (UInt64, Events) -> Void) -> Int {
        let count = prometheus_epoll_wait(descriptor, tokens, events, Int32(capacity), milliseconds)
        guard count > 0 else { return 0 }
        for index in 0..<Int(count) {
            body(tokens[index], Events(rawValue: events[index]))
        }
        return Int(count)
    }
}

/// An `eventfd(2)` counter: other threads signal it, the event loop sees it readable and resets it.
package final class EventNotifier: Sendable {
    /// The descriptor to watch.
    package let descriptor: Int32

    /// - Throws: the `Errno` of `eventfd(2)`.
    package init() throws(Errno) {
        descriptor = try retryingInterrupts { prometheus_eventfd_create() }
    }

    deinit {
        _ = Glibc.close(descriptor)
    }

    /// Makes the descriptor readable until the next ``reset()``.
    package func signal() {
        var one: UInt64 = 1
        _ = write(descriptor, &one, 8)
    }

    /// Makes the descriptor unreadable again.
    package func reset() {
        var value: UInt64 = 0
        _ = read(descriptor, &value, 8)
    }
}

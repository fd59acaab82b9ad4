internal import Glibc

/// POSIX threads with a chosen stack size. The server uses plain threads rather than Dispatch so that
/// one blocked connection can never starve others of a shared pool, and so that the stack size (the
/// memory cost of a connection) is explicit.
package enum NativeThread {
    private final class Box {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    /// A thread that can be waited for.
    package struct Joinable: @unchecked Sendable {
        fileprivate let thread: pthread_t

        /// Waits until the thread has finished.
        package func join() {
            pthread_join(thread, nil)
        }
    }

    /// Gives the processor to another thread (`sched_yield`), for waits that spin.
    package static func yield() {
        sched_yield()
    }

    /// Starts `body` on a new thread that cleans up after itself.
    ///
    /// - Throws: the error number `pthread_create` returned.
    package static func startDetached(stackSize: Int, _ body: @escaping @Sendable () -> Void) throws(Errno) {
        _ = try start(stackSize: stackSize, detached: true, body)
    }

    /// Starts `body` on a new thread to be joined.
    ///
    /// - Throws: the error number `pthread_create` returned.
    package static func startJoinable(stackSize: Int, _ body: @escaping @Sendable () -> Void) throws(Errno) -> Joinable
    {
        Joinable(thread: try start(stackSize: stackSize, detached: false, body))
    }

    private static func start(stackSize: Int, detached: Bool, _ body: @escaping @Sendable () -> Void) throws(Errno)
        -> pthread_t
    {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setstacksize(&attributes, stackSize)
        if detached {
            pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        }
        let context = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let status = pthread_create(
            &thread, &attributes,
            { raw in
                let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
                box.body()
                return nil
            }, context)
        if status != 0 {
            Unmanaged<Box>.fromOpaque(context).release()
            throw Errno(rawValue: status)
        }
        return thread
    }
}

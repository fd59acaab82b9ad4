#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Starts POSIX threads with a chosen stack size. The server uses plain threads rather than Dispatch
/// so that one blocked connection can never starve others of a shared pool, and so that the stack
/// size (the memory cost of a connection) is explicit.
enum NativeThread {
    private final class Box {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    /// Starts `body` on a new thread. Detached threads clean up after themselves; joinable ones
    /// return the handle to pass to `pthread_join`.
    ///
    /// - Returns: the thread handle (meaningful only when `detached` is false).
    /// - Throws: ``ServingError/threadCreationFailed(errno:)`` when the system refuses.
    @discardableResult
    static func start(stackSize: Int, detached: Bool, _ body: @escaping @Sendable () -> Void)
        throws(ServingError) -> pthread_t
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
            throw .threadCreationFailed(errno: status)
        }
        return thread
    }
}

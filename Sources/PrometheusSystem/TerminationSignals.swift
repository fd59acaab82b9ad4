internal import Glibc

/// SIGINT and SIGTERM for programs that run until told to stop: blocked before any thread starts
/// (threads inherit the mask), then taken synchronously with `sigwait`, so no handler runs.
package enum TerminationSignals {
    /// Blocks SIGINT and SIGTERM in the calling thread and every thread it starts afterwards.
    package static func block() {
        var signals = set()
        pthread_sigmask(SIG_BLOCK, &signals, nil)
    }

    /// Waits until SIGINT or SIGTERM arrives (after ``block()``); returns its number.
    package static func wait() -> Int32 {
        var signals = set()
        var received: Int32 = 0
        while sigwait(&signals, &received) != 0 {}
        return received
    }

    private static func set() -> sigset_t {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        return signals
    }
}

import Glibc

/// Signal handling without handlers: the master blocks the signals it cares about before it forks
/// or starts any thread (so every thread and child inherits the mask), and its main thread collects
/// them synchronously with `sigtimedwait`. Nothing runs in signal context, so nothing needs to be
/// async-signal-safe.
enum DemoSignals {
    static let watched: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGCHLD]

    static var watchedSet: sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in watched { sigaddset(&set, signal) }
        return set
    }

    /// Blocks the watched signals in the calling thread (and so in threads and children created
    /// afterwards).
    static func block() {
        var set = watchedSet
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Waits up to `seconds` for a watched signal; returns it, or nil on timeout.
    static func wait(seconds: Double) -> Int32? {
        var set = watchedSet
        var timeout = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
        let signal = sigtimedwait(&set, nil, &timeout)
        return signal > 0 ? signal : nil
    }

    static func isStop(_ signal: Int32) -> Bool {
        signal == SIGINT || signal == SIGTERM || signal == SIGHUP
    }
}

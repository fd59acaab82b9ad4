internal import CPrometheusSystemCalls
internal import Glibc

/// A descriptor for one process (`pidfd_open(2)`): unlike a pid, it can never come to name a later
/// process that reuses the number, so asking it whether the process has ended is exact.
package final class ProcessHandle {
    /// The pid the handle was opened for.
    package let pid: Int32
    private let descriptor: Int32

    /// Opens a handle on the process `pid` names now.
    ///
    /// - Throws: `ESRCH` when no such process exists, `ENOSYS` on kernels before Linux 5.3, `EMFILE`
    ///   when out of descriptors.
    package init(pid: Int32) throws(Errno) {
        let raw = prometheus_pidfd_open(pid)
        guard raw >= 0 else { throw Errno.current }
        self.pid = pid
        descriptor = raw
    }

    deinit {
        Glibc.close(descriptor)
    }

    /// Whether the process has ended (its handle polls readable); one `poll(2)` that never waits.
    package var hasExited: Bool {
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let ready = poll(&entry, 1, 0)
        return ready > 0 && entry.revents != 0
    }
}

/// Questions about other processes, answered from the kernel and `/proc`.
package enum ProcessTable {
    /// Whether a process `pid` exists in this process's pid namespace (`kill(pid, 0)`; a process this
    /// one may not signal exists too).
    package static func exists(_ pid: Int32) -> Bool {
        guard pid > 0 else { return false }
        return kill(pid, 0) == 0 || errno == EPERM
    }
}

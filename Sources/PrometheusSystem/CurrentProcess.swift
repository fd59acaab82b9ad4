internal import Glibc

/// Facts about the running process: its id, environment, limits, standard error.
package enum CurrentProcess {
    /// This process's id (`getpid(2)`); changes in a forked child.
    package static var id: Int32 {
        getpid()
    }

    /// The value of the environment variable `name`, if it is set (an empty value counts as set).
    package static func environmentValue(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    /// The soft limit on the size of files this process may write (`RLIMIT_FSIZE`), or nil when
    /// unlimited. Writing beyond it raises SIGXFSZ, which kills the process by default.
    package static var fileSizeLimit: Int? {
        softLimit(RLIMIT_FSIZE)
    }

    /// The soft limit on open descriptors (`RLIMIT_NOFILE`), or nil when unlimited or unknown.
    package static var openFileLimit: Int? {
        softLimit(RLIMIT_NOFILE)
    }

    private static func softLimit(_ resource: __rlimit_resource) -> Int? {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(resource.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max else {
            return nil
        }
        return Int(clamping: limit.rlim_cur)
    }

    /// Writes `line` and a newline to standard error in one `write(2)`, so that lines of several
    /// processes sharing the stream do not interleave; takes no lock, so it is safe after `fork()`.
    package static func writeToStandardError(_ line: String) {
        let text = line + "\n"
        let standardError = FileDescriptor(rawValue: STDERR_FILENO)
        _ = text.utf8.withContiguousStorageIfAvailable { bytes in
            try? standardError.writeAll(UnsafeRawBufferPointer(bytes))
        }
    }

    /// The machine's name and kernel as `uname(2)` reports them.
    package static var platform: (system: String, release: String, machine: String) {
        var names = utsname()
        uname(&names)
        func text<T>(_ field: T) -> String {
            withUnsafeBytes(of: field) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        return (text(names.sysname), text(names.release), text(names.machine))
    }

    /// Clock ticks per second, the unit of CPU times in `/proc` (`_SC_CLK_TCK`).
    package static let clockTicksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
}

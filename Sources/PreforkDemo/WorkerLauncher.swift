import Glibc

/// Starts worker processes.
///
/// The first generation is created with `fork()` while the master is still single-threaded: the
/// children inherit the bound socket and the configuration with no exec, like gunicorn's workers.
/// Once the master runs its metrics server it has threads, and `fork()` in a multithreaded process
/// may copy a lock that another thread holds (malloc, the Swift runtime) into a child that can then
/// deadlock. Replacements are therefore started with `posix_spawn` of this same executable in worker
/// mode, which execs at once and inherits only the listening socket.
enum WorkerLauncher {
    enum LaunchError: Error, CustomStringConvertible {
        case multithreaded(Int)
        case forkFailed(Int32)
        case spawnFailed(Int32)

        var description: String {
            switch self {
            case .multithreaded(let count):
                return "refusing to fork: the process already has \(count) threads"
            case .forkFailed(let code): return "fork failed: \(String(cString: strerror(code)))"
            case .spawnFailed(let code): return "posix_spawn failed: \(String(cString: strerror(code)))"
            }
        }
    }

    /// The number of threads of this process, from /proc/self/task (1 when unknown).
    static func threadCount() -> Int {
        guard let directory = opendir("/proc/self/task") else { return 1 }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { count += 1 }
        }
        return max(count, 1)
    }

    /// Forks a worker that runs `body` and exits with its status. Only for the single-threaded phase.
    ///
    /// - Throws: ``LaunchError/multithreaded(_:)`` if threads already exist, or the fork error.
    static func fork(_ body: () -> Int32) throws(LaunchError) -> pid_t {
        let threads = threadCount()
        guard threads == 1 else { throw .multithreaded(threads) }
        fflush(nil)  // or the child would print the parent's buffered output again
        let pid = Glibc.fork()
        if pid < 0 { throw .forkFailed(errno) }
        if pid == 0 {
            exit(body())
        }
        return pid
    }

    /// Spawns this executable in worker mode, passing `listenFD` (inherited) and its slot.
    ///
    /// - Throws: ``LaunchError/spawnFailed(_:)``.
    static func spawn(listenFD: Int32, masterPID: pid_t, slot: Int) throws(LaunchError) -> pid_t {
        let executable = selfExecutable()
        let arguments = [
            executable, "--worker-listen-fd", String(listenFD), "--worker-master-pid", String(masterPID),
            "--worker-slot", String(slot),
        ]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The child starts with the master's blocked set (it collects signals the same way) and with
        // default dispositions for everything else.
        var mask = DemoSignals.watchedSet
        posix_spawnattr_setsigmask(&attributes, &mask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, nil, &attributes, &argv, environ)
        guard status == 0 else { throw .spawnFailed(status) }
        return pid
    }

    private static func selfExecutable() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return CommandLine.arguments[0] }
        return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

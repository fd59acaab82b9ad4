internal import CPrometheusSystemCalls
internal import Glibc

/// An open file descriptor: a thin, typed wrapper over the system calls on it.
///
/// Every descriptor is opened close-on-exec. Calls are retried when a signal interrupts them, and a
/// failure throws the system's ``Errno``. The descriptor is a plain value: close it exactly once.
package struct FileDescriptor: Hashable, Sendable {
    /// The raw descriptor number.
    package let rawValue: Int32

    package init(rawValue: Int32) {
        self.rawValue = rawValue
    }

    /// How a file is opened for access.
    package enum AccessMode: Sendable {
        case readOnly, writeOnly, readWrite

        var flags: Int32 {
            switch self {
            case .readOnly: return O_RDONLY
            case .writeOnly: return O_WRONLY
            case .readWrite: return O_RDWR
            }
        }
    }

    /// Options of `open(2)` beyond the access mode.
    package struct OpenOptions: OptionSet, Sendable {
        package let rawValue: Int32
        package init(rawValue: Int32) { self.rawValue = rawValue }

        /// Create the file if it does not exist.
        package static let create = OpenOptions(rawValue: O_CREAT)
        /// With `create`: fail with `EEXIST` if the file exists.
        package static let exclusive = OpenOptions(rawValue: O_EXCL)
        /// Truncate an existing file to zero bytes.
        package static let truncate = OpenOptions(rawValue: O_TRUNC)
        /// Never block in `open` (a FIFO without a writer, a device): what a reader of untrusted
        /// directories needs before it has checked that a name is a regular file.
        package static let nonBlocking = OpenOptions(rawValue: O_NONBLOCK)
        /// Fail unless the path is a directory.
        package static let directory = OpenOptions(rawValue: O_DIRECTORY)
        /// Fail with `ELOOP` if the last component is a symbolic link.
        package static let noFollow = OpenOptions(rawValue: O_NOFOLLOW)
        /// Do not update the access time on reads (Linux; only the owner may ask, `EPERM` otherwise).
        package static let noAccessTime = OpenOptions(rawValue: 0o1_000_000)
    }

    /// Opens `path`.
    ///
    /// - Throws: the `Errno` of `open(2)`.
    package static func open(
        _ path: String, _ access: AccessMode, options: OpenOptions = [], permissions: UInt32 = 0o644
    ) throws(Errno) -> FileDescriptor {
        let flags = access.flags | options.rawValue | O_CLOEXEC
        let raw = try retryingInterrupts { Glibc.open(path, flags, mode_t(permissions)) }
        return FileDescriptor(rawValue: raw)
    }

    /// Opens `name` relative to the directory `directory` (`openat(2)`), sparing the kernel a walk of
    /// the directory's path.
    ///
    /// - Throws: the `Errno` of `openat(2)`.
    package static func open(
        _ name: String, in directory: FileDescriptor, _ access: AccessMode, options: OpenOptions = [],
        permissions: UInt32 = 0o644
    ) throws(Errno) -> FileDescriptor {
        let flags = access.flags | options.rawValue | O_CLOEXEC
        let raw = try retryingInterrupts { openat(directory.rawValue, name, flags, mode_t(permissions)) }
        return FileDescriptor(rawValue: raw)
    }

    /// Closes the descriptor. `close(2)` is not retried: on Linux the descriptor is gone even when
    /// it reports `EINTR`, and a retry could close a descriptor another thread just opened.
    package func close() {
        _ = Glibc.close(rawValue)
    }

    /// Reads up to `buffer.count` bytes at the current offset.
    ///
    /// - Returns: the number of bytes read, 0 at the end of the file.
    /// - Throws: the `Errno` of `read(2)`.
    package func read(into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        try retryingInterrupts { Glibc.read(rawValue, buffer.baseAddress, buffer.count) }
    }

    /// Reads until `buffer` is full or the file ends, from file offset `offset`.
    ///
    /// - Returns: the number of bytes read; fewer than `buffer.count` only at the end of the file.
    /// - Throws: the `Errno` of `pread(2)`.
    package func read(fromAbsoluteOffset offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws(Errno)
        -> Int
    {
        var done = 0
        while done < buffer.count {
            let count = try retryingInterrupts {
                pread(rawValue, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            }
            if count == 0 { break }
            done += count
        }
        return done
    }

    /// Reads up to `count` bytes from file offset `offset` into a new array (shorter at the end of
    /// the file).
    ///
    /// - Throws: the `Errno` of `pread(2)`.
    package func readBytes(fromAbsoluteOffset offset: Int, count: Int) throws(Errno) -> [UInt8] {
        var failure: Errno?
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            do throws(Errno) {
                initialized = try read(fromAbsoluteOffset: offset, into: UnsafeMutableRawBufferPointer(buffer))
            } catch {
                failure = error
                initialized = 0
            }
        }
        if let failure { throw failure }
        return bytes
    }

    /// Writes all of `bytes` at the current offset.
    ///
    /// - Throws: the `Errno` of `write(2)`; part of the bytes may have been written then.
    package func writeAll(_ bytes: UnsafeRawBufferPointer) throws(Errno) {
        var done = 0
        while done < bytes.count {
            done += try retryingInterrupts { Glibc.write(rawValue, bytes.baseAddress! + done, bytes.count - done) }
        }
    }

    /// Writes all of `bytes` at the current offset.
    ///
    /// - Throws: the `Errno` of `write(2)`.
    package func writeAll(_ bytes: [UInt8]) throws(Errno) {
        var failure: Errno?
        bytes.withUnsafeBytes { raw in
            do throws(Errno) {
                try writeAll(raw)
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
    }

    /// Writes all of `bytes` at file offset `offset`.
    ///
    /// - Throws: the `Errno` of `pwrite(2)`.
    package func writeAll(_ bytes: UnsafeRawBufferPointer, toAbsoluteOffset offset: Int) throws(Errno) {
        var done = 0
        while done < bytes.count {
            done += try retryingInterrupts {
                pwrite(rawValue, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            }
        }
    }

    /// The file's type, size, identity and times (`fstat(2)`).
    ///
    /// - Throws: the `Errno` of `fstat(2)`.
    package func status() throws(Errno) -> FileStatus {
        var raw = stat()
        _ = try retryingInterrupts { fstat(rawValue, &raw) }
        return FileStatus(raw)
    }

    /// Flushes the file's data and metadata to the device (`fsync(2)`).
    ///
    /// - Throws: the `Errno` of `fsync(2)`.
    package func sync() throws(Errno) {
        _ = try retryingInterrupts { fsync(rawValue) }
    }

    /// Allocates the blocks of bytes `0..<size` (`posix_fallocate(3)`), so that later writes to
    /// them, through a mapping too, cannot fail for lack of space.
    ///
    /// - Throws: `ENOSPC` and friends.
    package func allocate(size: Int) throws(Errno) {
        try retryingInterruptsOfErrorNumber { posix_fallocate(rawValue, 0, off_t(size)) }
    }

    /// Sets the file's size (`ftruncate(2)`).
    ///
    /// - Throws: the `Errno` of `ftruncate(2)`.
    package func truncate(size: Int) throws(Errno) {
        _ = try retryingInterrupts { ftruncate(rawValue, off_t(size)) }
    }

    /// Kinds of advisory whole-file lock (`flock(2)`).
    package enum LockKind: Sendable {
        case shared, exclusive
    }

    /// Takes an advisory lock on the file, waiting for it; closing the descriptor releases it.
    ///
    /// - Throws: the `Errno` of `flock(2)`.
    package func lock(_ kind: LockKind) throws(Errno) {
        let operation = kind == .shared ? LOCK_SH : LOCK_EX
        _ = try retryingInterrupts { flock(rawValue, operation) }
    }

    /// Takes an exclusive open-file-description lock on the whole file without waiting (`F_OFD_SETLK`).
    /// The lock belongs to the open file description, not the process: a forked child's copy of the
    /// descriptor shares it, and the kernel releases it when the last copy is closed, however the
    /// holder ends (SIGKILL and the OOM killer included).
    ///
    /// - Returns: false when another open file description holds a lock on the file.
    /// - Throws: the `Errno` of `fcntl(2)` for other failures.
    package func tryLockExclusively() throws(Errno) -> Bool {
        if prometheus_ofd_try_lock_exclusive(rawValue) == 0 { return true }
        let error = Errno.current
        if error.rawValue == EAGAIN || error.rawValue == EACCES { return false }
        throw error
    }

    /// Whether another open file description holds a lock on the file (`F_OFD_GETLK`); takes none,
    /// so asking never disturbs a process trying to lock it.
    ///
    /// - Throws: the `Errno` of `fcntl(2)`.
    package func isLockedByAnother() throws(Errno) -> Bool {
        let result = prometheus_ofd_is_locked(rawValue)
        if result < 0 { throw Errno.current }
        return result == 1
    }
}

internal import Glibc

/// An error number reported by the operating system, with its name and message.
///
/// Every failed system call of this package ends up as one of these, carried by the package's own
/// error types (`MultiprocessError.fileFailure`, `ServingError`, ...) so that messages always say
/// what the system said: `No space left on device (ENOSPC)`.
public struct Errno: Error, Hashable, Sendable, CustomStringConvertible {
    /// The numeric value of `errno`.
    public let rawValue: Int32

    /// Wraps a raw error number.
    public init(rawValue: Int32) {
        self.rawValue = rawValue
    }

    /// The calling thread's current `errno`.
    package static var current: Errno {
        Errno(rawValue: errno)
    }

    /// The system's message and the symbolic name, for example `No such file or directory (ENOENT)`.
    public var description: String {
        let message = String(cString: strerror(rawValue))
        return name.map { "\(message) (\($0))" } ?? "\(message) (errno \(rawValue))"
    }

    /// The symbolic name of the common error numbers.
    public var name: String? {
        Self.names[rawValue]
    }

    private static let names: [Int32: String] = [
        EPERM: "EPERM", ENOENT: "ENOENT", EINTR: "EINTR", EIO: "EIO", EBADF: "EBADF", EAGAIN: "EAGAIN",
        ENOMEM: "ENOMEM", EACCES: "EACCES", EEXIST: "EEXIST", ENOTDIR: "ENOTDIR", EISDIR: "EISDIR",
        EINVAL: "EINVAL", EMFILE: "EMFILE", ENFILE: "ENFILE", EFBIG: "EFBIG", ENOSPC: "ENOSPC", EROFS: "EROFS",
        EPIPE: "EPIPE", ELOOP: "ELOOP", ENAMETOOLONG: "ENAMETOOLONG", EDQUOT: "EDQUOT", ENXIO: "ENXIO",
        EADDRINUSE: "EADDRINUSE", EADDRNOTAVAIL: "EADDRNOTAVAIL", ECONNREFUSED: "ECONNREFUSED",
        ECONNRESET: "ECONNRESET", ETIMEDOUT: "ETIMEDOUT", ENOTCONN: "ENOTCONN", ESRCH: "ESRCH",
        EOPNOTSUPP: "EOPNOTSUPP", ENOSYS: "ENOSYS", ECHILD: "ECHILD", EXDEV: "EXDEV", EINPROGRESS: "EINPROGRESS",
        EFAULT: "EFAULT",
    ]

    /// The operation was not permitted.
    public static let notPermitted = Errno(rawValue: EPERM)
    /// No such file or directory.
    public static let noSuchFileOrDirectory = Errno(rawValue: ENOENT)
    /// A signal interrupted the call.
    public static let interrupted = Errno(rawValue: EINTR)
    /// An input/output error.
    public static let ioError = Errno(rawValue: EIO)
    /// The resource is temporarily unavailable (would block).
    public static let wouldBlock = Errno(rawValue: EAGAIN)
    /// The file exists.
    public static let fileExists = Errno(rawValue: EEXIST)
    /// An invalid argument (or, for files, content that cannot be what it claims).
    public static let invalidArgument = Errno(rawValue: EINVAL)
    /// The file is too large (or would exceed a limit).
    public static let fileTooLarge = Errno(rawValue: EFBIG)
    /// No space left on the device.
    public static let noSpace = Errno(rawValue: ENOSPC)
    /// Too many levels of symbolic links.
    public static let tooManySymbolicLinks = Errno(rawValue: ELOOP)
    /// Permission denied.
    public static let permissionDenied = Errno(rawValue: EACCES)
    /// No such process.
    public static let noSuchProcess = Errno(rawValue: ESRCH)
    /// Is a directory.
    public static let isDirectory = Errno(rawValue: EISDIR)
    /// The operation is not supported.
    public static let notSupported = Errno(rawValue: EOPNOTSUPP)
    /// A path component is not a directory.
    public static let notDirectory = Errno(rawValue: ENOTDIR)
    /// The file system is read-only.
    public static let readOnlyFileSystem = Errno(rawValue: EROFS)
    /// A rename across file systems.
    public static let crossDevice = Errno(rawValue: EXDEV)
    /// The address is already in use.
    public static let addressInUse = Errno(rawValue: EADDRINUSE)
    /// `EMFILE`: the process has as many descriptors open as its limit allows.
    public static let tooManyOpenFiles = Errno(rawValue: EMFILE)
    /// `ENFILE`: the system has as many files open as it allows.
    public static let tooManyOpenFilesInSystem = Errno(rawValue: ENFILE)
    /// `EFAULT`: an address the call was given cannot be read or written (a mapping past the end of
    /// its file, for a copy that reports it instead of raising `SIGBUS`).
    public static let badAddress = Errno(rawValue: EFAULT)
}

/// Runs a system call until it is not interrupted by a signal: the package's one policy for EINTR.
///
/// The call is evaluated again on every retry, so a call that computes its timeout inside the
/// closure waits only for what is left.
///
/// - Returns: the call's result when it is not -1.
/// - Throws: the `Errno` of a failure other than `EINTR`.
@inline(__always)
package func retryingInterrupts<Result: FixedWidthInteger>(_ call: () -> Result) throws(Errno) -> Result {
    while true {
        let result = call()
        if result != -1 { return result }
        let error = Errno.current
        if error != .interrupted { throw error }
    }
}

/// Runs a call on a non-blocking descriptor under the same EINTR policy as ``retryingInterrupts(_:)``,
/// telling "nothing to do now" apart from a failure.
///
/// The label is required, so that no call of ``retryingInterrupts(_:)`` can resolve to this one: a
/// blocking call whose `EWOULDBLOCK` means something (`flock` with `LOCK_NB`) must throw it.
///
/// - Parameter isBenign: which failures mean "try later" rather than "failed": `\.meansWouldBlock`
///   for `EAGAIN` and `EWOULDBLOCK`; `accept(2)` adds the connections a client aborted.
/// - Returns: the call's result when it is not -1, nil when it failed with a benign error.
/// - Throws: the `Errno` of any other failure.
@inline(__always)
package func retryingInterrupts<Result: FixedWidthInteger>(
    unlessWouldBlock isBenign: (Errno) -> Bool, _ call: () -> Result
) throws(Errno) -> Result? {
    while true {
        let result = call()
        if result != -1 { return result }
        let error = Errno.current
        if error == .interrupted { continue }
        if isBenign(error) { return nil }
        throw error
    }
}

/// Runs a call that returns an error number instead of setting `errno` (posix_fallocate,
/// clock_nanosleep, the pthread functions), retrying `EINTR`.
///
/// - Throws: the returned error number when it is not 0.
@inline(__always)
package func retryingInterruptsOfErrorNumber(_ call: () -> Int32) throws(Errno) {
    while true {
        let result = call()
        if result == 0 { return }
        if result != EINTR { throw Errno(rawValue: result) }
    }
}

extension Errno {
    /// Whether this is `EAGAIN` or `EWOULDBLOCK`: a non-blocking call found nothing to do.
    package var meansWouldBlock: Bool {
        rawValue == EAGAIN || rawValue == EWOULDBLOCK
    }
}

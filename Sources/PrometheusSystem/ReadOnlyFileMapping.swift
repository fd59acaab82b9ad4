internal import CPrometheusSystemCalls
internal import Glibc

/// A read-only shared mapping of a file's first bytes (`mmap(2)`).
///
/// Reading a page of the mapping that lies past the file's end raises `SIGBUS`, which kills a
/// process that has no handler: a reader of files that someone else may truncate must not touch
/// such a mapping directly, only through ``OwnMemory/copy(_:)``, which fails instead.
package struct ReadOnlyFileMapping: @unchecked Sendable {
    /// The mapped bytes.
    package let bytes: UnsafeRawBufferPointer

    /// Maps the first `length` bytes of `file` (`length` > 0), shared and read-only.
    ///
    /// - Throws: the `Errno` of `mmap(2)`.
    package init(_ file: FileDescriptor, length: Int) throws(Errno) {
        let mapped = mmap(nil, length, PROT_READ, MAP_SHARED, file.rawValue, 0)
        guard let mapped, mapped != MAP_FAILED else { throw Errno.current }
        bytes = UnsafeRawBufferPointer(start: mapped, count: length)
    }

    /// Unmaps the bytes; the mapping must not be read afterwards.
    package func release() {
        munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count)
    }
}

/// A batch of copies within this process's own memory, made with one system call, that report an
/// unreadable page instead of faulting: how a reader takes the bytes of many mapped files that
/// someone else may truncate.
///
/// The batch keeps its arrays between uses, so that filling and copying allocate nothing. Not
/// thread-safe: one owner fills and copies it.
package final class OwnMemoryBatch {
    /// The most segments one batch holds (`IOV_MAX`, what one system call takes).
    package static let capacity = 1024

    private let destinations = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: capacity)
    private let sources = UnsafeMutablePointer<UnsafeRawPointer?>.allocate(capacity: capacity)
    private let lengths = UnsafeMutablePointer<UInt>.allocate(capacity: capacity)
    /// The segments added since the last ``removeAll()``.
    package private(set) var count = 0
    /// Their bytes in all.
    package private(set) var byteCount = 0

    package init() {}

    deinit {
        destinations.deallocate()
        sources.deallocate()
        lengths.deallocate()
    }

    /// Whether another segment fits.
    package var isFull: Bool { count == Self.capacity }

    /// Adds a copy of `source` into the start of `destination`, which must be as large.
    package func append(from source: UnsafeRawBufferPointer, to destination: UnsafeMutableRawPointer) {
        precondition(!isFull, "an OwnMemoryBatch holds at most \(Self.capacity) segments")
        destinations[count] = destination
        sources[count] = source.baseAddress
        lengths[count] = UInt(source.count)
        count += 1
        byteCount += source.count
    }

    /// Empties the batch, keeping its arrays.
    package func removeAll() {
        count = 0
        byteCount = 0
    }

    /// Copies every segment, in order, with one `process_vm_readv(2)` on this process. A page that
    /// cannot be read (a mapping past the end of its file) ends the copy there: the kernel reports a
    /// short count, with no signal.
    ///
    /// - Returns: the bytes copied, segment after segment: fewer than ``byteCount`` when a page could
    ///   not be read.
    /// - Throws: the `Errno` of `process_vm_readv(2)` when it copied nothing (`EPERM` where a seccomp
    ///   profile forbids the call, `EFAULT` when the first page cannot be read).
    package func copy() throws(Errno) -> Int {
        guard count > 0 else { return 0 }
        return try retryingInterrupts { prometheus_copy_own_memory(destinations, sources, lengths, UInt(count)) }
    }
}

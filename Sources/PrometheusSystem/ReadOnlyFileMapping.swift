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

/// Copies within this process's own memory that report an unreadable page instead of faulting.
package enum OwnMemory {
    /// The most segments one system call takes (`IOV_MAX`).
    package static let segmentsPerCall = 1024

    /// Copies each segment's source into its destination (of the same size) with one
    /// `process_vm_readv(2)` on this process per ``segmentsPerCall`` segments. A page that cannot be
    /// read (a mapping past the end of its file) ends the copy there: the kernel reports it as a
    /// short count, with no signal.
    ///
    /// - Returns: the bytes copied, segment after segment; fewer than asked when a page could not be
    ///   read.
    /// - Throws: the `Errno` of `process_vm_readv(2)` when it copied nothing (`EPERM` where a seccomp
    ///   profile forbids the call, `EFAULT` when the first page is unreadable).
    package static func copy(
        _ segments: [(from: UnsafeRawBufferPointer, to: UnsafeMutableRawBufferPointer)]
    ) throws(Errno) -> Int {
        var copied = 0
        var start = 0
        while start < segments.count {
            let end = Swift.min(start + segmentsPerCall, segments.count)
            let asked = segments[start..<end].reduce(0) { $0 + $1.from.count }
            let got = try copyChunk(segments[start..<end])
            copied += got
            if got < asked { break }
            start = end
        }
        return copied
    }

    private static func copyChunk(
        _ segments: ArraySlice<(from: UnsafeRawBufferPointer, to: UnsafeMutableRawBufferPointer)>
    ) throws(Errno) -> Int {
        let count = segments.count
        let result = withUnsafeTemporaryAllocation(of: UnsafeMutableRawPointer?.self, capacity: count) { destinations in
            withUnsafeTemporaryAllocation(of: UnsafeRawPointer?.self, capacity: count) { sources in
                withUnsafeTemporaryAllocation(of: UInt.self, capacity: count) { lengths in
                    for (index, segment) in segments.enumerated() {
                        destinations[index] = segment.to.baseAddress
                        sources[index] = segment.from.baseAddress
                        lengths[index] = UInt(Swift.min(segment.from.count, segment.to.count))
                    }
                    return Result(catching: { () throws(Errno) -> Int in
                        try retryingInterrupts {
                            prometheus_copy_own_memory(
                                destinations.baseAddress, sources.baseAddress, lengths.baseAddress, UInt(count))
                        }
                    })
                }
            }
        }
        return try result.get()
    }
}

internal import Glibc

/// Address-space reservations and shared file mappings (`mmap(2)`), for files whose pointers must
/// never move: a range is reserved once, and the file is mapped into it piece by piece as it grows.
package struct AddressReservation: @unchecked Sendable {
    /// The first byte of the reserved range.
    package let base: UnsafeMutableRawPointer
    /// The range's size in bytes.
    package let size: Int

    /// The size of a memory page.
    package static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// Reserves `size` bytes of address space without backing memory.
    ///
    /// - Throws: the `Errno` of `mmap(2)`.
    package init(size: Int) throws(Errno) {
        let reserved = mmap(nil, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        guard let reserved, reserved != MAP_FAILED else { throw Errno.current }
        base = reserved
        self.size = size
    }

    /// Maps bytes `offset..<offset + length` of `file`, shared and writable, at the same offset of
    /// the reservation (`offset` must be a multiple of the page size).
    ///
    /// - Throws: the `Errno` of `mmap(2)`.
    package func mapShared(_ file: FileDescriptor, offset: Int, length: Int) throws(Errno) {
        let mapped = mmap(
            base + offset, length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, file.rawValue, off_t(offset))
        guard let mapped, mapped != MAP_FAILED else { throw Errno.current }
    }

    /// Releases the whole range and every mapping in it.
    package func release() {
        munmap(base, size)
    }
}

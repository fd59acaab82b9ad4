import PrometheusClient
import PrometheusSystem

/// The batched copy: a warm merge of many small files spends most of its time entering the kernel,
/// one `pread` per file. Small files read again are mapped once, and each merge copies the used
/// bytes of up to 64 of them out of their mappings with one `process_vm_readv` on the master's
/// own memory (``OwnMemoryBatch``), which is safe where reading the mappings directly is not: a page
/// past the end of a file truncated under its mapping makes the call return short, with no signal,
/// and the files from there on are read with `pread` as before, which reports them as it always did.
///
/// Wide files are not batched: for them the copy is the cost, and `pread` copies faster than the
/// page-by-page copy of the batched call (measured by `prometheus-benchmarks merge-render`, which
/// prints both floors).
/// The sizes that decide which files the merge copies in batches, shared with the benchmark that
/// measures the floor of this way of reading.
package enum BatchedCopyPolicy {
    /// Files of up to this many used bytes are mapped and copied in batches; larger ones are read
    /// with `pread`.
    package static let fileLimit = 16 << 10
    /// How many files one batch copies at most: the merge looks this many up ahead of reading them.
    /// Enough to make the system call's cost small per file, few enough that the descriptors a cold
    /// merge opens ahead stay a small part of its budget.
    package static let filesPerBatch = 64
    /// What one batch copies at most, the staging buffer's size: room for a whole batch of files at
    /// the limit, so that no file of a batch is left to `pread` for want of room.
    package static let batchBytes = filesPerBatch * fileLimit
}

extension DBFileCache {
    /// Adds `file` to the batch when it is mapped, small, and read before (its used size from the
    /// previous merge is what is copied), and the batch has room.
    ///
    /// - Returns: whether the file joined the batch; one that did not is read with `pread`.
    func addToBatch(_ file: File) -> Bool {
        file.stagedCount = 0
        guard copiesInBatches, let mapping = file.mapping, file.parsedEnd > DBFileLayout.headerSize,
            file.parsedEnd <= mapping.bytes.count
        else { return false }
        let count = file.parsedEnd
        guard !batch.isFull, batch.byteCount + count <= BatchedCopyPolicy.batchBytes else { return false }
        let staging = stagingBuffer()
        file.stagedOffset = batch.byteCount
        file.stagedCount = count
        batch.append(
            from: UnsafeRawBufferPointer(rebasing: mapping.bytes[0..<count]), to: staging.baseAddress! + batch.byteCount
        )
        return true
    }

    /// Copies the batch. Files whose bytes did not all arrive (a page past the end of a truncated
    /// file stops the copy) are read with `pread` instead; if the system refuses the call (`EPERM`
    /// from a seccomp profile, `ENOSYS`), every file is, from now on.
    func copyBatch(of files: some Sequence<File>) {
        guard batch.count > 0 else { return }
        var copied = 0
        do {
            copied = try batch.copy()
        } catch .badAddress {
            // The first file's first page is past its end: nothing copied, every file read with pread.
        } catch {
            copiesInBatches = false
        }
        for file in files where file.stagedCount > 0 && file.stagedOffset + file.stagedCount > copied {
            file.stagedCount = 0
        }
        batch.removeAll()
    }

    /// A staged file's bytes, where this merge's batched copy put them.
    ///
    /// - Returns: nil when the file was not copied, or when its bytes cannot be the file's: the byte
    ///   before the last known entry's value is always a padding space, and a file cut short inside
    ///   its last mapped page reads as zeros from its end to the page's (where `pread` would return
    ///   short). Such a file is read with `pread`, which reports it as before. (A cut inside the last
    ///   entry's value is not seen here: those bytes read as zeros, as bytes overwritten would.)
    func stagedBytes(of file: File) -> UnsafeRawBufferPointer? {
        let count = file.stagedCount
        file.stagedCount = 0
        guard count > 0, let staging else { return nil }
        let bytes = UnsafeRawBufferPointer(start: staging.baseAddress! + file.stagedOffset, count: count)
        if let last = file.entries.last?.valueOffset, last - 1 < count, bytes[last - 1] != DBFileLayout.paddingByte {
            return nil
        }
        filesCopiedInBatches += 1
        return bytes
    }

    /// Maps a small file read again whose descriptor stays open, or maps it anew when it has grown
    /// past its mapping. A file read once (a cold merge) is not mapped: that would add a system call
    /// to every file of the master's first scrape.
    func mapForBatches(_ file: File, used: Int, readBefore: Bool) {
        guard copiesInBatches, readBefore, used <= BatchedCopyPolicy.fileLimit, openDescriptors <= descriptorBudget,
            let descriptor = file.descriptor
        else { return }
        if let mapping = file.mapping, mapping.bytes.count >= used { return }
        unmap(file)
        let pages = (used + AddressReservation.pageSize - 1) / AddressReservation.pageSize
        // A mapping that fails (the process's limit of mappings) leaves the file to pread.
        file.mapping = try? ReadOnlyFileMapping(descriptor, length: pages * AddressReservation.pageSize)
    }

    /// Releases a file's mapping, if it has one.
    func unmap(_ file: File) {
        file.mapping?.release()
        file.mapping = nil
        file.stagedCount = 0
    }

    private func stagingBuffer() -> UnsafeMutableRawBufferPointer {
        if let staging { return staging }
        let made = UnsafeMutableRawBufferPointer.allocate(byteCount: BatchedCopyPolicy.batchBytes, alignment: 4096)
        staging = made
        return made
    }
}

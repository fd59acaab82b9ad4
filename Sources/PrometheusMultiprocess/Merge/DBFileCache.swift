import PrometheusClient
import PrometheusSystem

/// The `.db` files of one directory as the merger last saw them: open descriptors (within a budget),
/// what was decoded of each, and the one read buffer, so that a warm merge costs one read per file.
///
/// Reading is defensive: names are opened without blocking and only regular files are read, so a
/// FIFO, socket, device or directory named like a `.db` file is reported instead of hanging the
/// merge; the header's `used` is checked against the file's size before a byte is allocated for it;
/// and files are read in windows of at most ``windowLimit`` bytes, so no file, however large or
/// forged, makes the buffer larger than that. The buffer shrinks again when large files go away.
///
/// Small files read again are also mapped, and copied out of their mappings in batches
/// (``addToBatch(_:)``): one system call for up to 64 files instead of one `pread` each.
final class DBFileCache {
    /// One file, as far as it has been read.
    final class File {
        let fileName: String
        let name: DBFileName
        let inode: UInt64
        /// Kept open between merges while the budget allows.
        var descriptor: FileDescriptor?
        /// Where the next undecoded entry starts.
        var parsedEnd = DBFileLayout.headerSize
        /// Per decoded entry that feeds a series: the series and its value offset, in file order.
        var entries: [(series: Int, valueOffset: Int)] = []
        /// The merge rule all of ``entries`` follow, when they share one (``MultiprocessMerger``
        /// folds such a file with the rule a constant).
        var sharedRule: MergeRule?
        /// Entries skipped because they cannot be merged, with why (reported at every merge).
        var rejections: [DBFileError] = []
        /// The merge that last saw the file in the listing.
        var generation = 0
        /// A read-only mapping of the file's first bytes, for the batched copy (``DBFileCache/addToBatch(_:)``):
        /// made when a small file is read again while its descriptor is kept, released with it.
        var mapping: ReadOnlyFileMapping?
        /// Where the current batched copy put the file's first bytes in the staging buffer, and how
        /// many; `stagedCount` is 0 when it did not (then the file is read with `pread`).
        var stagedOffset = 0
        var stagedCount = 0
        /// The file's first ``DBFileCache/firstReadSize`` bytes (or fewer: all it had) as ``OpenAhead``
        /// read them, for the merge's first read of it; valid until the merge takes the next file
        /// from its helper, and taken by that first read.
        var firstBytes: UnsafeRawBufferPointer?

        init(fileName: String, name: DBFileName, inode: UInt64) {
            self.fileName = fileName
            self.name = name
            self.inode = inode
        }
    }

    /// How many bytes the first read of a file not read before asks for: a page, the whole of a
    /// file of a few dozen series.
    static let firstReadSize = 4096

    /// The most bytes one read may bring in, and so the largest the buffer grows (16 MiB by default):
    /// files up to this size are read whole, larger ones window by window.
    let windowLimit: Int
    /// How many descriptors stay open between merges: half of the process's soft limit, the other
    /// half left to the rest of the master (its server's connections are capped below the limit
    /// too). A file beyond the budget is opened and closed again at every scrape, which doubled the
    /// warm scrape of 9,000 files under a limit of 20,000 when the budget was a quarter.
    private(set) var descriptorBudget: Int

    private var files: [ByteString: File] = [:]
    /// The files of the previous merge in listing order: listings rarely change between scrapes, so
    /// the file at the same position is usually the one wanted, found without hashing its name.
    private var previousOrder: [File] = []
    private var order: [File] = []
    private(set) var generation = 0
    private(set) var openDescriptors = 0
    private var directoryPath = ""
    private var directory: FileDescriptor?
    private(set) var buffer: UnsafeMutableRawBufferPointer
    private static let minimumBuffer = 1 << 16
    /// The largest window read in the current merge, to shrink the buffer to afterwards.
    private var largestRead = 0
    /// The batched copy's destination (``addToBatch(_:)``), allocated at its first use.
    var staging: UnsafeMutableRawBufferPointer?
    let batch = OwnMemoryBatch()
    /// How many files the current merge has had to open (new or replaced ones), successfully or not.
    private(set) var opensAttempted = 0
    /// How many files the current merge read from a batched copy rather than with `pread`.
    var filesCopiedInBatches = 0
    /// False once the system refused a batched copy (a seccomp profile that forbids
    /// `process_vm_readv`): every file is read with `pread` from then on.
    var copiesInBatches = true

    init(windowLimit: Int = 16 << 20) {
        self.windowLimit = Swift.max(windowLimit, Self.minimumBuffer)
        descriptorBudget = Swift.min((CurrentProcess.openFileLimit ?? 1024) / 2, 32_768)
        buffer = .allocate(byteCount: Self.minimumBuffer, alignment: 4096)
    }

    deinit {
        for file in files.values {
            file.descriptor?.close()
            file.mapping?.release()
        }
        directory?.close()
        buffer.deallocate()
        staging?.deallocate()
    }

    /// Starts a merge of `path`, which lists `fileCount` files (room is made for them at once, so
    /// that a cold merge does not grow its table of files step by step).
    func beginMerge(directory path: String, fileCount: Int = 0) {
        if files.capacity < fileCount { files.reserveCapacity(fileCount) }
        generation += 1
        directoryPath = path
        order.removeAll(keepingCapacity: true)
        largestRead = 0
        filesCopiedInBatches = 0
        opensAttempted = 0
    }

    /// Ends a merge: forgets files that were not listed, closes the directory and gives back buffer
    /// memory that only large files needed.
    func endMerge() {
        previousOrder = order
        directory?.close()
        directory = nil
        for (name, file) in files where file.generation != generation {
            forget(name, file)
        }
        let wanted = Swift.max(Self.minimumBuffer, largestRead.nextPowerOfTwo)
        if buffer.count > 2 * wanted {
            buffer.deallocate()
            buffer = .allocate(byteCount: wanted, alignment: 4096)
        }
    }

    /// The path of a file of the directory being merged.
    func path(of fileName: String) -> String {
        Self.path(of: fileName, in: directoryPath)
    }

    /// The path of a file in `directory`.
    static func path(of fileName: String, in directory: String) -> String {
        directory.hasSuffix("/") ? directory + fileName : directory + "/" + fileName
    }

    /// The path of the directory being merged.
    var directoryBeingMerged: String { directoryPath }

    /// The cached state of the listed file at `position`, opening it if it is new or was replaced.
    ///
    /// - Returns: nil when the file no longer exists (a dead process's live file, deleted since the
    ///   listing).
    /// - Throws: `DBFileError` for a foreign name, a file that is not a regular file, a dangling
    ///   link, or one that cannot be opened.
    /// - Parameter prefetched: the file opened already, and its first bytes read, by ``OpenAhead``
    ///   (used instead of opening it again, and closed if not needed; opened short of descriptors,
    ///   it is opened again here).
    func file(
        named fileName: String, inode: UInt64, listedAsRegular: Bool = false, parsedName: DBFileName? = nil,
        position: Int, prefetched: OpenAhead.Prefetched? = nil
    ) throws(DBFileError) -> File? {
        let key = ByteString(fileName)
        let known = cached(fileName, key, position: position)
        if let known, known.inode == inode {
            Self.close(prefetched)
            known.generation = generation
            order.append(known)
            return known
        }
        if let known {
            forget(key, known)  // replaced (an archive rewritten): start over
        }
        guard let name = parsedName ?? DBFileName(fileName: fileName) else {
            Self.close(prefetched)
            throw .foreignName(fileName: fileName)
        }
        opensAttempted += 1
        let descriptor: FileDescriptor?
        var firstBytes: UnsafeRawBufferPointer?
        if let prefetched, !Self.ranShortOfDescriptors(prefetched.opened) {
            descriptor = try prefetched.opened.get()
            firstBytes = prefetched.firstBytes
        } else {
            descriptor = try open(fileName, knownRegular: listedAsRegular)
        }
        guard let descriptor else { return nil }
        let file = File(fileName: fileName, name: name, inode: inode)
        file.descriptor = descriptor
        file.firstBytes = firstBytes
        file.generation = generation
        openDescriptors += 1
        files[key] = file
        order.append(file)
        return file
    }

    /// Closes a file the helper opened that is not needed.
    private static func close(_ prefetched: OpenAhead.Prefetched?) {
        if case .success(let descriptor?) = prefetched?.opened { descriptor.close() }
    }

    /// Whether ``file(named:inode:listedAsRegular:parsedName:position:prefetched:)`` would open the
    /// listed file (it is new, or was replaced) rather than find it here.
    func mustOpen(_ fileName: String, inode: UInt64, position: Int) -> Bool {
        cached(fileName, ByteString(fileName), position: position)?.inode != inode
    }

    /// The file of that name the previous merges saw, looked up first at the same listing position.
    private func cached(_ fileName: String, _ key: ByteString, position: Int) -> File? {
        position < previousOrder.count && ByteIdentity.equal(previousOrder[position].fileName, fileName)
            ? previousOrder[position] : files[key]
    }

    /// The directory being merged, opened for opening its files relative to it (nil when it cannot
    /// be opened: files are then opened by path).
    func directoryDescriptor() -> FileDescriptor? {
        if directory == nil {
            directory = try? FileDescriptor.open(directoryPath, .readOnly, options: .directory)
        }
        return directory
    }

    private static func ranShortOfDescriptors(_ opened: Result<FileDescriptor?, DBFileError>) -> Bool {
        guard case .failure(.unreadable(_, let errno)) = opened else { return false }
        return errno == .tooManyOpenFiles || errno == .tooManyOpenFilesInSystem
    }

    /// Drops a file that failed, so that the next merge opens it afresh.
    func discard(_ file: File) {
        forget(ByteString(file.fileName), file)
        order.removeAll { $0 === file }
    }

    /// Closes the file's descriptor when more are open than the budget allows; it is reopened next time.
    func closeIfOverBudget(_ file: File) {
        guard openDescriptors > descriptorBudget, let descriptor = file.descriptor else { return }
        descriptor.close()
        file.descriptor = nil
        openDescriptors -= 1
        unmap(file)
    }

    private func forget(_ key: ByteString, _ file: File) {
        if let descriptor = file.descriptor {
            descriptor.close()
            openDescriptors -= 1
        }
        file.descriptor = nil
        unmap(file)
        files.removeValue(forKey: key)
    }

    /// Opens a directory entry for reading without blocking, and checks that it is a regular file
    /// (unless the listing said so already).
    private func open(_ fileName: String, knownRegular: Bool = false) throws(DBFileError) -> FileDescriptor? {
        let directory = directoryDescriptor()
        do {
            return try DBFileReader.openChecked(
                path: self.path(of: fileName), fileName: fileName, in: directory, knownRegular: knownRegular)
        } catch .unreadable(_, let errno)
            where (errno == .tooManyOpenFiles || errno == .tooManyOpenFilesInSystem) && openDescriptors > 0
        {
            // The process ran short of descriptors (another collector, the server's connections, the
            // application): the ones kept between scrapes are given back, fewer are kept from now on,
            // and the file is tried once more, so that the scrape loses no file to the budget.
            releaseKeptDescriptors()
            return try DBFileReader.openChecked(
                path: self.path(of: fileName), fileName: fileName, in: directory, knownRegular: knownRegular)
        }
    }

    /// Closes every descriptor kept between scrapes and halves the budget (to no fewer than 16).
    private func releaseKeptDescriptors() {
        descriptorBudget = Swift.max(Swift.min(descriptorBudget, openDescriptors) / 2, 16)
        for file in files.values {
            file.descriptor?.close()
            file.descriptor = nil
            unmap(file)
        }
        openDescriptors = 0
    }

    /// Reopens a cached file whose descriptor was closed for the budget.
    private func descriptor(of file: File) throws(DBFileError) -> FileDescriptor {
        if let descriptor = file.descriptor { return descriptor }
        guard let descriptor = try open(file.fileName) else {
            throw .missing(path: path(of: file.fileName))
        }
        file.descriptor = descriptor
        openDescriptors += 1
        return descriptor
    }

    /// Reads the start of the file into the buffer, or takes it from this merge's batched copy, and
    /// checks its header.
    ///
    /// - Parameter expected: how many bytes were used at the previous merge (the used size rarely
    ///   grows between merges, so reading that much usually brings in the whole file at once).
    /// - Returns: the used size, and the file's bytes from offset 0 now at hand (in the read buffer
    ///   or the staging buffer: valid until the next read or batch).
    /// - Throws: `DBFileError` for a short file, an impossible header, or a failed read.
    func readStart(of file: File, expected: Int) throws(DBFileError) -> (used: Int, start: UnsafeRawBufferPointer) {
        let descriptor = try descriptor(of: file)
        let first: Int
        let start: UnsafeRawBufferPointer
        let firstBytes = file.firstBytes
        file.firstBytes = nil
        if let staged = stagedBytes(of: file) {
            // Copied in this merge's batch: as if read with one pread of the same size.
            (first, start) = (staged.count, staged)
        } else if let firstBytes, expected <= DBFileLayout.headerSize {
            // Read by the helper that opened the file: the same read the line below would make.
            (first, start) = (Self.firstReadSize, firstBytes)
        } else {
            first = Swift.min(expected > DBFileLayout.headerSize ? expected : Self.firstReadSize, buffer.count)
            let count = try read(descriptor, file, from: 0, count: first)
            start = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
        }
        let got = start.count
        guard got >= DBFileLayout.headerSize else { throw .tooShort(size: got) }
        let header = DBFileLayout.header(of: start)
        // A short read means the file ends here; otherwise its size is asked before trusting `used`
        // (or before reporting an impossible one, so that the message states the real size).
        var size = got
        let claimed = Int(Int32(bitPattern: header))
        if got == first && (claimed > got || claimed < DBFileLayout.headerSize) {
            do {
                size = try descriptor.status().size
            } catch {
                throw .unreadable(path: path(of: file.fileName), errno: error)
            }
        }
        let used = try DBFileLayout.used(fromHeader: header, fileSize: size)
        let readBefore = expected > DBFileLayout.headerSize
        if used > got && used <= windowLimit {
            // The whole file fits a window: grow the buffer to it and read the rest.
            if start.baseAddress == UnsafeRawPointer(buffer.baseAddress) {
                grow(toHold: used, keeping: got)
            } else {
                grow(toHold: used, keeping: 0)
                buffer.baseAddress!.copyMemory(from: start.baseAddress!, byteCount: got)
            }
            let rest = try read(descriptor, file, from: got, count: used - got, at: got)
            guard got + rest >= used else { throw .usedOutOfRange(used: used, size: got + rest) }
            mapForBatches(file, used: used, readBefore: readBefore)
            return (used, UnsafeRawBufferPointer(rebasing: buffer[0..<used]))
        }
        mapForBatches(file, used: used, readBefore: readBefore)
        return (used, UnsafeRawBufferPointer(rebasing: start[0..<Swift.min(got, used)]))
    }

    /// Reads `count` bytes of the file from `offset` into the start of the buffer (growing it up to
    /// the window limit).
    ///
    /// - Throws: `DBFileError` when the read fails or the file ends early.
    func readWindow(of file: File, from offset: Int, count: Int) throws(DBFileError) -> UnsafeRawBufferPointer {
        let length = Swift.min(count, windowLimit)
        grow(toHold: length, keeping: 0)
        let got = try read(try descriptor(of: file), file, from: offset, count: length)
        guard got == length else { throw .usedOutOfRange(used: offset + length, size: offset + got) }
        return UnsafeRawBufferPointer(rebasing: buffer[0..<length])
    }

    private func grow(toHold count: Int, keeping kept: Int) {
        largestRead = Swift.max(largestRead, count)
        guard count > buffer.count else { return }
        let larger = UnsafeMutableRawBufferPointer.allocate(byteCount: count.nextPowerOfTwo, alignment: 4096)
        if kept > 0 {
            larger.copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer[0..<kept]))
        }
        buffer.deallocate()
        buffer = larger
    }

    private func read(
        _ descriptor: FileDescriptor, _ file: File, from offset: Int, count: Int, at bufferOffset: Int = 0
    )
        throws(DBFileError) -> Int
    {
        largestRead = Swift.max(largestRead, bufferOffset + count)
        do {
            return try descriptor.read(
                fromAbsoluteOffset: offset,
                into: UnsafeMutableRawBufferPointer(rebasing: buffer[bufferOffset..<(bufferOffset + count)]))
        } catch {
            throw .unreadable(path: path(of: file.fileName), errno: error)
        }
    }
}

extension Int {
    /// The smallest power of two that is at least `self` (and at least 1).
    fileprivate var nextPowerOfTwo: Int {
        self <= 1 ? 1 : 1 << (Int.bitWidth - (self - 1).leadingZeroBitCount)
    }
}

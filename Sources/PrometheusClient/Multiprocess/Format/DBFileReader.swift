import PrometheusSystem

/// Reads whole multiprocess `.db` files with plain reads (never mapping them, so a file truncated or
/// deleted by another process cannot fault the reader), for the archiver, the inspection and the
/// companion-file mergers (exemplars, native buckets). Like the merge's own reader, it opens without
/// blocking, reads regular files only and checks the header against the file's size before it
/// allocates anything.
package enum DBFileReader {
    /// The used bytes of one file.
    package struct Snapshot {
        /// Bytes `0..<used` of the file.
        package var bytes: [UInt8]
    }

    /// One decoded entry.
    package struct Entry: Sendable {
        package var key: DBKey
        package var value: Double
        package var timestamp: Double
        package var offset: Int

        package init(key: DBKey, value: Double, timestamp: Double, offset: Int) {
            self.key = key
            self.value = value
            self.timestamp = timestamp
            self.offset = offset
        }
    }

    /// Made once: an option set's array literal goes through an unspecialised generic initialiser,
    /// a noticeable part of a cold merge's cost per file.
    private static let readOptions: FileDescriptor.OpenOptions = [.nonBlocking, .noAccessTime]

    /// Opens a multiprocess file for reading the one defensive way every reader shares: without
    /// blocking (a FIFO planted under the name cannot stall the reader), without updating its access
    /// time where the owner may ask so, and only when it is a regular file (unless a listing said
    /// so already, or the caller checks it with a `stat` of its own). Relative to `directory` when given (a merge opens thousands of names), else
    /// `path`.
    ///
    /// - Returns: the descriptor, or nil when the file does not exist (any more).
    /// - Throws: `DBFileError.danglingSymbolicLink`, `.notARegularFile` or `.unreadable`.
    package static func openChecked(
        path: @autoclosure () -> String, fileName: String? = nil, in directory: FileDescriptor? = nil,
        knownRegular: Bool = false
    ) throws(DBFileError) -> FileDescriptor? {
        func attempt(_ options: FileDescriptor.OpenOptions) throws(Errno) -> FileDescriptor {
            if let directory, let fileName {
                return try FileDescriptor.open(fileName, in: directory, .readOnly, options: options)
            }
            return try FileDescriptor.open(path(), .readOnly, options: options)
        }
        let descriptor: FileDescriptor
        do {
            do {
                // O_NOATIME spares an inode update per read; only the file's owner may ask for it.
                descriptor = try attempt(Self.readOptions)
            } catch  where error == .notPermitted {
                descriptor = try attempt(.nonBlocking)
            }
        } catch  where error == .noSuchFileOrDirectory {
            // Deleted since it was listed, or a link to nothing: only the second is a problem.
            let link: FileStatus? =
                if let directory, let fileName {
                    try? FileSystem.status(ofEntry: fileName, in: directory)
                } else {
                    try? FileSystem.status(ofLink: path())
                }
            if link?.kind == .symbolicLink { throw .danglingSymbolicLink(path: path()) }
            return nil
        } catch {
            throw .unreadable(path: path(), errno: error)
        }
        if knownRegular { return descriptor }
        let status: FileStatus
        do {
            status = try descriptor.status()
        } catch {
            descriptor.close()
            throw .unreadable(path: path(), errno: error)
        }
        guard status.kind == .regular else {
            descriptor.close()
            throw .notARegularFile(path: path(), kind: status.kind.description)
        }
        return descriptor
    }

    /// How much of a file ``snapshot(path:limit:checkingFirst:)`` reads before it trusts the rest.
    static let firstWindow = 64 << 10

    /// Reads the used part of the file at `path`; nil when the file does not exist (any more).
    ///
    /// - Parameter check: for a file larger than ``firstWindow``, called with its first bytes before
    ///   the rest is read, so that a file whose header claims gigabytes of entries that make no sense
    ///   costs one small read, not what it claims (smaller files are read whole at once).
    /// - Throws: `DBFileError` when it is not a regular file, cannot be read, its header is impossible
    ///   or `check` throws.
    package static func snapshot(
        path: String, limit: Int = DBFileLayout.maximumUsed,
        checkingFirst check: ((UnsafeRawBufferPointer) throws(DBFileError) -> Void)? = nil
    ) throws(DBFileError) -> Snapshot? {
        // Its kind is checked below, with the size, by the one `stat` a snapshot needs.
        guard let descriptor = try openChecked(path: path, knownRegular: true) else { return nil }
        defer { descriptor.close() }
        func io<T>(_ call: () throws(Errno) -> T) throws(DBFileError) -> T {
            do {
                return try call()
            } catch {
                throw .unreadable(path: path, errno: error)
            }
        }
        let status = try io { () throws(Errno) in try descriptor.status() }
        guard status.kind == .regular else { throw .notARegularFile(path: path, kind: status.kind.description) }
        guard status.size >= DBFileLayout.headerSize else { throw .tooShort(size: status.size) }
        let header = try io { () throws(Errno) in
            try descriptor.readBytes(fromAbsoluteOffset: 0, count: DBFileLayout.headerSize)
        }
        guard header.count == DBFileLayout.headerSize else { throw .tooShort(size: header.count) }
        let rawHeader = header.withUnsafeBytes { DBFileLayout.header(of: $0) }
        // A live writer grows its file before it publishes a larger `used`: when the header claims
        // more than the size seen before it was read, the file is asked for its size again.
        var size = status.size
        if Int(Int32(bitPattern: rawHeader)) > size {
            size = try io { () throws(Errno) in try descriptor.status() }.size
        }
        let used = try DBFileLayout.used(fromHeader: rawHeader, fileSize: size, limit: limit)
        var bytes: [UInt8] = []
        if let check, used > firstWindow {
            bytes = try io { () throws(Errno) in try descriptor.readBytes(fromAbsoluteOffset: 0, count: firstWindow) }
            guard bytes.count == firstWindow else { throw .usedOutOfRange(used: used, size: bytes.count) }
            let problem: DBFileError? = bytes.withUnsafeBytes { window in
                do throws(DBFileError) {
                    try check(window)
                    return nil
                } catch {
                    return error
                }
            }
            if let problem { throw problem }
        }
        let start = bytes.count
        bytes += try io { () throws(Errno) in
            try descriptor.readBytes(fromAbsoluteOffset: start, count: used - start)
        }
        guard bytes.count == used else { throw .usedOutOfRange(used: used, size: bytes.count) }
        return Snapshot(bytes: bytes)
    }

    /// Checks the entries of a `.db` file's first bytes (as many as fit in `window`, which starts at
    /// the file's start): each must lie within the file's `used` and have a valid JSON key.
    ///
    /// - Throws: `DBFileError` for the first entry that makes no sense.
    package static func checkEntries(inFirst window: UnsafeRawBufferPointer) throws(DBFileError) {
        let used = Int(Int32(bitPattern: DBFileLayout.header(of: window)))
        var offset = DBFileLayout.headerSize
        while offset < Swift.min(used, window.count) {
            guard let location = try DBFileLayout.entry(at: offset, inWindow: window, windowOffset: 0, used: used)
            else { return }
            _ = try key(of: location, in: window)
            offset = location.end
        }
    }

    /// Every entry of `bytes` (a whole file's used bytes), keys decoded.
    ///
    /// - Throws: `DBFileError` for an entry out of range or a key that is not valid JSON.
    package static func entries(of bytes: [UInt8]) throws(DBFileError) -> [Entry] {
        let result: Result<[Entry], DBFileError> = bytes.withUnsafeBytes { raw in
            var entries: [Entry] = []
            do throws(DBFileError) {
                try DBFileLayout.forEachEntry(in: raw, used: raw.count) { location throws(DBFileError) in
                    entries.append(
                        Entry(
                            key: try key(of: location, in: raw),
                            value: DBFileLayout.double(at: location.valueOffset, in: raw),
                            timestamp: DBFileLayout.double(at: location.valueOffset + 8, in: raw),
                            offset: location.offset))
                }
                return .success(entries)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Every entry of the file at `path`, decoded.
    ///
    /// - Throws: `DBFileError` for a missing, unreadable or corrupt file.
    package static func entries(ofFile path: String) throws(DBFileError) -> [Entry] {
        guard let snapshot = try snapshot(path: path, checkingFirst: checkEntries(inFirst:)) else {
            throw .missing(path: path)
        }
        return try entries(of: snapshot.bytes)
    }

    /// Decodes the key of an entry.
    ///
    /// - Throws: `DBFileError.invalidKey`.
    package static func key(of location: DBFileLayout.EntryLocation, in bytes: UnsafeRawBufferPointer)
        throws(DBFileError)
        -> DBKey
    {
        let keyBytes = UnsafeRawBufferPointer(rebasing: bytes[location.keyRange]).assumingMemoryBound(to: UInt8.self)
        do {
            return try DBKey(json: keyBytes)
        } catch {
            throw .invalidKey(offset: location.offset, reason: error.reason)
        }
    }
}

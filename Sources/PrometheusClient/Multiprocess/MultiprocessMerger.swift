import Glibc

/// Merges the `.db` files of a multiprocess directory by the Python client's rules, keeping what it
/// learned about each file between merges: a warm merge reads each file's used bytes and, for entries
/// it has seen, only their values; only entries appended since are decoded.
///
/// Not thread-safe; ``MultiProcessCollector`` serialises merges.
final class MultiprocessMerger {
    /// How values of one series from several files combine.
    enum Combination {
        case sum, minimum, maximum, mostRecent, single, infoMaximum
    }

    /// One merged series: a sample of a family, with the label set it is exposed with.
    struct SeriesIdentity: Hashable {
        var familyName: String
        var sampleName: String
        /// Labels without `le` for histogram buckets; with `pid` for the `all` and `liveall` modes.
        var labels: [Label]
        /// The bucket bound of a histogram bucket.
        var bucketBound: Double?
    }

    struct SeriesInfo {
        var identity: SeriesIdentity
        var type: MetricType
        var help: String
        var combination: Combination
        /// Whether the merged value may only grow (counter totals, histogram buckets, summary counts).
        var isMonotonic: Bool
    }

    /// A reference type, so that a warm merge updates it in place without copying its entries.
    private final class CachedFile {
        let fileName: String
        let name: DBFileName
        var inode: UInt64
        /// Kept open between merges (within a budget), so a warm merge costs one read per file.
        var descriptor: Int32
        var parsedEnd: Int
        /// Per entry: the merged series it feeds and its value offset.
        var entries: [(series: Int, valueOffset: Int)]
        /// The merge that last saw the file in the listing.
        var generation: Int = 0

        init(fileName: String, name: DBFileName, inode: UInt64, descriptor: Int32) {
            self.fileName = fileName
            self.name = name
            self.inode = inode
            self.descriptor = descriptor
            self.parsedEnd = DBFileLayout.headerSize
            self.entries = []
        }
    }

    /// Keys already decoded, per group of files whose keys mean the same series (all counter files;
    /// each process's `all`-mode gauge file, whose series carry its pid): raw key bytes → series.
    private struct KeyGroup {
        var seriesByHash: [UInt64: [(key: [UInt8], series: Int)]] = [:]
        /// The entries of the longest file decoded in the group. Workers create the same metrics in the
        /// same order, so another process's file usually has the same key at the same offset: one
        /// byte comparison instead of a hash lookup.
        var template: [(offset: Int, key: [UInt8], series: Int)] = []
    }

    /// A file to merge: its name in the directory and the inode the listing saw.
    struct ListedFile {
        var fileName: String
        var inode: UInt64
    }

    /// A file that could not be merged, and why.
    struct Problem: Equatable {
        var path: String
        var reason: String
    }

    /// How many descriptors the merger keeps open at most: a quarter of the process's limit.
    static let descriptorBudget: Int = {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 256 }
        return Int(Swift.min(limit.rlim_cur / 4, 16_384))
    }()

    /// Linux's O_NOATIME (octal 01000000 on x86-64 and arm64), which Glibc only exports with _GNU_SOURCE.
    private static let noAccessTimeFlag: Int32 = 0o1_000_000

    private var files: [String: CachedFile] = [:]
    /// The files of the previous merge in listing order: listings rarely change between scrapes, so
    /// the file at the same position is usually the one wanted, found without hashing its name.
    private var previousOrder: [CachedFile] = []
    private var generation = 0
    private var openDescriptors = 0
    private var groups: [String: KeyGroup] = [:]
    private var seriesIndex: [SeriesIdentity: Int] = [:]
    private(set) var series: [SeriesInfo] = []
    /// `series[i].combination`, kept contiguous for the value loop of a merge.
    private var combinations: [Combination] = []
    private var buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 8)

    deinit {
        for file in files.values where file.descriptor >= 0 {
            close(file.descriptor)
        }
        buffer.deallocate()
    }

    /// Merges the listed `.db` files of `directory`.
    ///
    /// - Returns: the merged families sorted by name, and the files that were skipped.
    func merge(directory: String, files listed: [ListedFile]) -> (families: [MetricFamily], problems: [Problem]) {
        var values: [Double] = []
        var timestamps: [Double] = []
        var present: [Bool] = []
        var problems: [Problem] = []
        generation += 1
        var order: [CachedFile] = []
        order.reserveCapacity(listed.count)
        for (position, file) in listed.enumerated() {
            do {
                let known =
                    position < previousOrder.count && previousOrder[position].fileName == file.fileName
                    ? previousOrder[position] : files[file.fileName]
                guard let (cached, used, isCached) = try update(directory: directory, file: file, known: known)
                else { continue }
                if isCached {
                    order.append(cached)
                }
                if values.count < series.count {
                    let missing = series.count - values.count
                    values.append(contentsOf: repeatElement(0, count: missing))
                    timestamps.append(contentsOf: repeatElement(0, count: missing))
                    present.append(contentsOf: repeatElement(false, count: missing))
                }
                accumulate(
                    cached.entries, from: UnsafeRawBufferPointer(rebasing: buffer[0..<used]),
                    &values, &timestamps, &present)
            } catch {
                forget(file.fileName)
                problems.append(Problem(path: directory + "/" + file.fileName, reason: "\(error)"))
            }
        }
        previousOrder = order
        if directoryDescriptor >= 0 {
            close(directoryDescriptor)
            directoryDescriptor = -1
        }
        for (fileName, file) in files where file.generation != generation {
            forget(fileName)
        }
        keepMonotonic(&values, present: present)
        return (buildFamilies(values: values, present: present), problems)
    }

    /// The merged values of monotonic series at the previous merge.
    private var previousValues: [Double] = []

    /// Floating-point sums depend on the order of their terms, and folding a dead process into an
    /// archive changes that order: a total could come out one rounding step lower than at the previous
    /// scrape, which Prometheus would read as a counter reset. Such rounding-sized decreases are
    /// replaced by the previous value; real decreases are kept.
    private func keepMonotonic(_ values: inout [Double], present: [Bool]) {
        if previousValues.count < values.count {
            previousValues.append(contentsOf: repeatElement(.nan, count: values.count - previousValues.count))
        }
        for index in values.indices where present[index] && series[index].isMonotonic {
            let previous = previousValues[index]
            if values[index] < previous && previous - values[index] <= 1e-9 * Swift.max(1, abs(previous)) {
                values[index] = previous
            }
            previousValues[index] = values[index]
        }
    }

    private func forget(_ fileName: String) {
        if let file = files.removeValue(forKey: fileName), file.descriptor >= 0 {
            close(file.descriptor)
            openDescriptors -= 1
        }
    }

    /// Folds one file's values into the merged values, by each series' combination.
    private func accumulate(
        _ entries: [(series: Int, valueOffset: Int)], from bytes: UnsafeRawBufferPointer,
        _ values: inout [Double], _ timestamps: inout [Double], _ present: inout [Bool]
    ) {
        // Unchecked access: every series number and value offset was validated when decoded.
        combinations.withUnsafeBufferPointer { combinations in
            values.withUnsafeMutableBufferPointer { values in
                timestamps.withUnsafeMutableBufferPointer { timestamps in
                    present.withUnsafeMutableBufferPointer { present in
                        for (index, valueOffset) in entries {
                            let value = Double(
                                bitPattern: UInt64(
                                    littleEndian: bytes.loadUnaligned(fromByteOffset: valueOffset, as: UInt64.self)))
                            switch combinations[index] {
                            case .sum:
                                values[index] += value
                                present[index] = true
                            case .minimum:
                                values[index] = present[index] ? Swift.min(values[index], value) : value
                                present[index] = true
                            case .maximum, .infoMaximum:
                                values[index] = present[index] ? Swift.max(values[index], value) : value
                                present[index] = true
                            case .mostRecent:
                                let timestamp = Double(
                                    bitPattern: UInt64(
                                        littleEndian: bytes.loadUnaligned(
                                            fromByteOffset: valueOffset + 8, as: UInt64.self)))
                                // As in Python: a series never set (timestamp 0) is not exposed.
                                if timestamp > timestamps[index] {
                                    values[index] = value
                                    timestamps[index] = timestamp
                                    present[index] = true
                                }
                            case .single:
                                values[index] = value
                                present[index] = true
                            }
                        }
                    }
                }
            }
        }
    }

    /// Reads the file's used bytes into the buffer and brings its cached entries up to date.
    ///
    /// - Parameter known: what an earlier merge cached under this file name, if anything.
    /// - Returns: the file, its used size and whether it stays cached (it does not when the
    ///   descriptor budget is spent); nil when the file no longer exists.
    private func update(directory: String, file: ListedFile, known: CachedFile?) throws(DBFileError)
        -> (file: CachedFile, used: Int, isCached: Bool)?
    {
        // Built lazily: a warm merge never needs the path, only the open descriptor.
        var path: String { directory + "/" + file.fileName }
        let entry: CachedFile
        if let known, known.inode == file.inode {
            entry = known
        } else {
            if known != nil {
                forget(file.fileName)  // replaced (an archive rewritten): start over
            }
            guard let name = DBFileName(fileName: file.fileName) else {
                throw .foreignName(fileName: file.fileName)
            }
            // O_NOATIME spares an inode update per read; only the file's owner may ask for it.
            var descriptor = openInDirectory(directory, file.fileName, O_RDONLY | O_CLOEXEC | Self.noAccessTimeFlag)
            if descriptor < 0 && errno == EPERM {
                descriptor = openInDirectory(directory, file.fileName, O_RDONLY | O_CLOEXEC)
            }
            guard descriptor >= 0 else {
                if errno == ENOENT { return nil }  // deleted since the listing: a dead process's live file
                throw .unreadable(path: path, errno: errno)
            }
            entry = CachedFile(fileName: file.fileName, name: name, inode: file.inode, descriptor: descriptor)
            openDescriptors += 1
            files[file.fileName] = entry
        }
        do {
            let used = try readUsedBytes(descriptor: entry.descriptor, path: path, expected: entry.parsedEnd)
            if entry.parsedEnd > used {
                entry.parsedEnd = DBFileLayout.headerSize  // truncated and rewritten in place: start over
                entry.entries = []
            }
            if entry.parsedEnd < used {
                try decodeEntries(of: entry, used: used)
            }
            entry.generation = generation
            if openDescriptors > Self.descriptorBudget {
                forget(file.fileName)  // over budget: reopen next time
                return (entry, used, false)
            }
            return (entry, used, true)
        } catch {
            forget(file.fileName)
            throw error
        }
    }

    /// The directory being merged, opened on the first file of a merge that needs opening: opening
    /// files relative to it spares the kernel a walk of the whole path per file. Closed after the merge.
    private var directoryDescriptor: Int32 = -1

    private func openInDirectory(_ directory: String, _ fileName: String, _ flags: Int32) -> Int32 {
        if directoryDescriptor < 0 {
            directoryDescriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if directoryDescriptor < 0 { return open(directory + "/" + fileName, flags) }
        }
        return openat(directoryDescriptor, fileName, flags)
    }

    /// Reads bytes `0..<used` into the buffer, usually with one read (the used size rarely grows much
    /// between merges).
    private func readUsedBytes(descriptor: Int32, path: @autoclosure () -> String, expected: Int) throws(DBFileError)
        -> Int
    {
        // The used size rarely grows between merges: read what was used last time (a second read
        // fetches any growth), so the bytes copied per merge stay at their minimum.
        let first = Swift.min(expected > DBFileLayout.headerSize ? expected : 4096, buffer.count)
        var got = try readFully(descriptor: descriptor, path: path(), into: 0, count: first)
        guard got >= DBFileLayout.headerSize else { throw .tooShort(size: got) }
        let used = Int(UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: 0, as: UInt32.self)))
        guard used >= DBFileLayout.headerSize else { throw .usedOutOfRange(used: used, size: got) }
        if used > got {
            if used > buffer.count {
                var capacity = buffer.count
                while capacity < used { capacity *= 2 }
                let larger = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 8)
                larger.copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer[0..<got]))
                buffer.deallocate()
                buffer = larger
            }
            got += try readFully(descriptor: descriptor, path: path(), into: got, count: used - got)
            guard got >= used else { throw .usedOutOfRange(used: used, size: got) }
        }
        return used
    }

    /// Reads up to `count` bytes at file offset `offset` into the buffer at the same offset; fewer at
    /// the end of the file.
    private func readFully(descriptor: Int32, path: @autoclosure () -> String, into offset: Int, count: Int)
        throws(DBFileError) -> Int
    {
        var done = 0
        while done < count {
            let result = pread(descriptor, buffer.baseAddress! + offset + done, count - done, off_t(offset + done))
            if result < 0 {
                if errno == EINTR { continue }
                throw .unreadable(path: path(), errno: errno)
            }
            if result == 0 { break }
            done += result
        }
        return done
    }

    private func decodeEntries(of entry: CachedFile, used: Int) throws(DBFileError) {
        let name = entry.name
        let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<used])
        let tag: String
        switch name.kind {
        case .gauge(.all), .gauge(.liveall): tag = name.kind.prefix + "_" + name.processIdentifier
        default: tag = name.kind.prefix
        }
        var group = groups.removeValue(forKey: tag) ?? KeyGroup()
        defer { groups[tag] = group }
        var offset = entry.parsedEnd
        var added: [(series: Int, valueOffset: Int)] = []
        var decoded: [(offset: Int, keyRange: Range<Int>, series: Int)] = []
        var templateIndex = 0
        while offset < used {
            let location = try DBFileReader.locateEntry(in: bytes, used: used, at: offset)
            let keyBytes = UnsafeRawBufferPointer(rebasing: bytes[location.keyRange])
            var number: Int?
            while templateIndex < group.template.count && group.template[templateIndex].offset < offset {
                templateIndex += 1
            }
            if templateIndex < group.template.count, group.template[templateIndex].offset == offset,
                group.template[templateIndex].key.withUnsafeBytes({ Self.equal($0, keyBytes) })
            {
                number = group.template[templateIndex].series
            } else {
                let hash = Self.hash(keyBytes)
                if let candidates = group.seriesByHash[hash] {
                    number = candidates.first { $0.key.withUnsafeBytes { Self.equal($0, keyBytes) } }?.series
                }
                if number == nil {
                    let key = try DBFileReader.key(of: location, in: bytes)
                    let created = try seriesNumber(for: key, in: name, at: location.offset)
                    group.seriesByHash[hash, default: []].append((Array(keyBytes), created))
                    number = created
                }
            }
            added.append((number!, location.valueOffset))
            if entry.parsedEnd == DBFileLayout.headerSize {
                decoded.append((offset, location.keyRange, number!))
            }
            offset = location.valueOffset + 16
        }
        if decoded.count > group.template.count {
            group.template = decoded.map {
                ($0.offset, Array(UnsafeRawBufferPointer(rebasing: bytes[$0.keyRange])), $0.series)
            }
        }
        entry.entries.append(contentsOf: added)
        entry.parsedEnd = used
    }

    private static func equal(_ lhs: UnsafeRawBufferPointer, _ rhs: UnsafeRawBufferPointer) -> Bool {
        lhs.count == rhs.count && (lhs.count == 0 || memcmp(lhs.baseAddress!, rhs.baseAddress!, lhs.count) == 0)
    }

    /// A fast 64-bit hash of the key bytes, eight at a time (collisions are resolved by comparing bytes).
    private static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(bytes.count)
        var offset = 0
        while offset + 8 <= bytes.count {
            let word = bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            hash = (hash ^ word) &* 0x9E37_79B9_7F4A_7C15
            hash ^= hash >> 29
            offset += 8
        }
        while offset < bytes.count {
            hash = (hash ^ UInt64(bytes[offset])) &* 0x0000_0100_0000_01B3
            offset += 1
        }
        return hash
    }

    private func seriesNumber(for key: DBKey, in name: DBFileName, at offset: Int) throws(DBFileError) -> Int {
        var labels = key.labels
        var bound: Double?
        let type: MetricType
        let combination: Combination
        switch name.kind {
        case .counter:
            (type, combination) = (.counter, .sum)
        case .summary:
            (type, combination) = (.summary, .sum)
        case .histogram:
            (type, combination) = (.histogram, .sum)
            if let index = labels.firstIndex(where: { $0.name == "le" }) {
                guard let parsed = Self.parseBound(labels[index].value) else {
                    throw .invalidKey(offset: offset, reason: "bucket bound \"\(labels[index].value)\" is not a number")
                }
                bound = parsed
                labels.remove(at: index)
            }
        case .info:
            (type, combination) = (.info, .infoMaximum)
        case .stateSet:
            (type, combination) = (.stateSet, .maximum)
        case .gauge(let mode):
            type = .gauge
            switch mode {
            case .all, .liveall:
                // The pid label replaces any label of the same name, as Python's dict() does.
                labels.removeAll { $0.name == "pid" }
                labels.append(Label("pid", name.processIdentifier))
                combination = .single
            case .min, .livemin: combination = .minimum
            case .max, .livemax: combination = .maximum
            case .sum, .livesum: combination = .sum
            case .mostrecent, .livemostrecent: combination = .mostRecent
            }
        }
        let identity = SeriesIdentity(
            familyName: key.familyName, sampleName: key.sampleName, labels: labels, bucketBound: bound)
        if let existing = seriesIndex[identity] { return existing }
        let isMonotonic =
            type == .counter || (type == .histogram && bound != nil)
            || (type == .summary && key.sampleName.hasSuffix("_count"))
        combinations.append(combination)
        series.append(
            SeriesInfo(
                identity: identity, type: type, help: key.help, combination: combination, isMonotonic: isMonotonic))
        seriesIndex[identity] = series.count - 1
        return series.count - 1
    }

    static func parseBound(_ text: String) -> Double? {
        switch text {
        case "+Inf", "Inf", "inf", "+inf": return .infinity
        case "-Inf", "-inf": return -.infinity
        default: return Double(text)
        }
    }

    private func buildFamilies(values: [Double], present: [Bool]) -> [MetricFamily] {
        var families: [String: MetricFamily] = [:]
        var histogramBuckets: [String: [[Label]: [(bound: Double, value: Double)]]] = [:]
        var familyLabelSets: [String: [[Label]]] = [:]
        var samplesByLabels: [String: [[Label]: [Sample]]] = [:]
        for index in series.indices where index < present.count && present[index] {
            let info = series[index]
            let identity = info.identity
            let value = values[index]
            if info.combination == .infoMaximum && value == 0 { continue }
            if families[identity.familyName] == nil {
                families[identity.familyName] = MetricFamily(
                    name: identity.familyName, help: info.help, type: info.type)
            }
            if samplesByLabels[identity.familyName]?[identity.labels] == nil {
                familyLabelSets[identity.familyName, default: []].append(identity.labels)
                samplesByLabels[identity.familyName, default: [:]][identity.labels] = []
            }
            if let bound = identity.bucketBound {
                histogramBuckets[identity.familyName, default: [:]][identity.labels, default: []].append((bound, value))
            } else {
                samplesByLabels[identity.familyName]![identity.labels]!.append(
                    Sample(name: identity.sampleName, labels: identity.labels, value: value))
            }
        }
        var result: [MetricFamily] = []
        for name in families.keys.sorted(by: ByteIdentity.precedes) {
            var family = families[name]!
            let labelSets = familyLabelSets[name, default: []].sorted(by: Self.labelsPrecede)
            for labels in labelSets {
                var samples = samplesByLabels[name]?[labels] ?? []
                if let buckets = histogramBuckets[name]?[labels] {
                    var cumulative = 0.0
                    var bucketSamples: [Sample] = []
                    for bucket in buckets.sorted(by: { $0.bound < $1.bound }) {
                        cumulative += bucket.value
                        bucketSamples.append(
                            Sample(
                                name: name + "_bucket",
                                labels: labels + [Label("le", GoFloatFormat.string(bucket.bound))],
                                value: cumulative))
                    }
                    bucketSamples.append(Sample(name: name + "_count", labels: labels, value: cumulative))
                    samples = bucketSamples + samples
                } else {
                    samples.sort { $0.name < $1.name }
                }
                family.samples.append(contentsOf: samples)
            }
            result.append(family)
        }
        return result
    }

    private static func labelsPrecede(_ lhs: [Label], _ rhs: [Label]) -> Bool {
        for (left, right) in zip(lhs, rhs) {
            if !ByteIdentity.equal(left.name, right.name) { return ByteIdentity.precedes(left.name, right.name) }
            if !ByteIdentity.equal(left.value, right.value) { return ByteIdentity.precedes(left.value, right.value) }
        }
        return lhs.count < rhs.count
    }
}

import PrometheusClient
import PrometheusSystem

/// Merges the `.db` files of a multiprocess directory by the Python client's rules, keeping what it
/// learned about each file between merges.
///
/// The work is split along the data path: ``DBFileCache`` opens and reads files (the only part that
/// touches the system), ``MergedSeriesTable`` turns key bytes into series (pure), ``MergeRule`` folds
/// values, and ``MergedLayout`` orders the series for ``MergedScrape`` to expose. A warm merge reads each file's used
/// bytes once and, for entries it has seen, only their values; only entries appended since are decoded.
///
/// Not thread-safe; ``MultiProcessCollector`` serialises merges.
final class MultiprocessMerger {
    /// A file to merge: its name in the directory and the inode the listing saw.
    struct ListedFile {
        var fileName: String
        var inode: UInt64
        /// Whether the directory listing said it is a regular file (then it is not asked again:
        /// every read is bounded and non-blocking, so a file swapped since cannot hang the merge).
        var listedAsRegular = false
        /// The name parsed, when the listing has parsed it already (else the cache parses it).
        var name: DBFileName?
    }

    /// A file, or an entry of one, that could not be merged, and why.
    typealias Problem = MultiprocessProblem

    /// The result of one merge.
    struct Outcome {
        /// The merged values, ready to be written or made into families.
        var scrape: MergedScrape
        /// The merged families, sorted by name.
        var families: [MetricFamily] { scrape.families() }
        /// Files skipped as a whole.
        var unreadableFiles: [Problem]
        /// Entries skipped in files that were otherwise merged, one problem per entry.
        var skippedEntries: [Problem]
        /// The used bytes of the files merged.
        var usedBytes = 0
    }

    private let cache: DBFileCache
    let table: MergedSeriesTable
    /// The order the table's series are exposed in, made again only when series were added.
    private var layout = MergedLayout()
    /// Which of the families files disagree on each scrape shows.
    private var clashes = FamilyClashes()
    /// The files merged by the current merge, kept between merges for their capacity.
    private var mergedFiles: [DBFileCache.File] = []
    /// The merged values of monotonic series at the previous merge.
    private var previousValues: [Double] = []
    /// The files of the chunk being merged, looked up ahead while they can join a batched copy (see ``DBFileCache/addToBatch(_:)``),
    /// kept between merges for their capacity.
    private var resolved: [Result<DBFileCache.File?, DBFileError>] = []
    /// How many files are looked up ahead of their merge: one batched copy's worth.
    private static let chunkSize = BatchedCopyPolicy.filesPerBatch
    /// Scratch space for the entries of one file being decoded, kept between files.
    private var decoded: [(meaning: MergedSeriesTable.Meaning, entryOffset: Int, valueOffset: Int)] = []

    /// How many files a merge must have left to open, once it meets the first, for a helper thread
    /// to open them ahead of it (``OpenAhead``).
    let openAheadThreshold: Int
    /// The helper of the merge under way, if it has one.
    private var openAhead: OpenAhead?
    /// How many files the latest merge took opened from its helper thread (``OpenAhead``).
    private(set) var filesOpenedAhead = 0

    /// - Parameters:
    ///   - windowLimit: the most bytes read at once, which bounds the read buffer.
    ///   - reservedFamilies: family names files may not use (the collector's own metrics).
    ///   - openAheadThreshold: how many files a merge must have left to open after the first (a
    ///     cold merge: all of them) for a helper thread to open them ahead of it; 64 by default,
    ///     where starting the thread costs less than 5 % of the opening it overlaps.
    init(windowLimit: Int = 16 << 20, reservedFamilies: [String] = [], openAheadThreshold: Int = 64) {
        cache = DBFileCache(windowLimit: windowLimit)
        table = MergedSeriesTable(reservedFamilies: reservedFamilies)
        self.openAheadThreshold = openAheadThreshold
    }

    /// The bytes the read buffer holds now: at most the window limit, and back near its minimum
    /// once large files are gone.
    var readBufferSize: Int { cache.buffer.count }

    /// How many files the latest merge took from a batched copy (``DBFileCache/addToBatch(_:)``).
    var filesCopiedInBatches: Int { cache.filesCopiedInBatches }

    /// The merged values of one merge, by series number.
    private struct Values {
        var values: [Double] = []
        var timestamps: [Double] = []
        var present: [Bool] = []

        mutating func grow(to count: Int) {
            guard values.count < count else { return }
            let missing = count - values.count
            values.append(contentsOf: repeatElement(0, count: missing))
            timestamps.append(contentsOf: repeatElement(0, count: missing))
            present.append(contentsOf: repeatElement(false, count: missing))
        }
    }

    /// Merges the listed `.db` files of `directory`.
    ///
    /// - Parameter includeCreated: whether counters, histograms and summaries get `_created` samples
    ///   (the earliest creation their writers recorded).
    /// - Parameter exemplars: the latest exemplar of counter totals and histogram buckets, attached to
    ///   their merged samples.
    /// - Parameter native: the merged native buckets of histogram series (``NativeBucketMerger``).
    func merge(
        directory: String, files listed: [ListedFile], includeCreated: Bool = false,
        exemplars: [MergedSeriesKey: Exemplar] = [:], native: [MergedSeriesKey: NativeBucketMerger.Series] = [:]
    ) -> Outcome {
        var values = Values()
        var unreadableFiles: [Problem] = []
        var skippedEntries: [Problem] = []
        var usedBytes = 0
        mergedFiles.removeAll(keepingCapacity: true)
        cache.beginMerge(directory: directory, fileCount: listed.count)
        filesOpenedAhead = 0
        var openAheadConsidered = false
        var position = 0
        while position < listed.count {
            // Files are looked up ahead while they can be copied in one batch; the first that cannot
            // (new, large, or failed: on a cold merge, every one) ends the chunk, so that a file
            // opened is read at once, while the kernel's structures for it are hot.
            let chunkStart = position
            resolved.removeAll(keepingCapacity: true)
            while position < listed.count && resolved.count < Self.chunkSize {
                let result = resolve(listed[position], at: position)
                resolved.append(result)
                if !openAheadConsidered && cache.opensAttempted > 0 {
                    // The first file to open: a helper may open the rest ahead. Looking for them
                    // only now costs a warm merge of known files nothing.
                    openAheadConsidered = true
                    openAhead = startOpeningAhead(listed, after: position)
                }
                position += 1
                guard case .success(let file?) = result, cache.addToBatch(file) else { break }
            }
            cache.copyBatch(of: resolved.lazy.compactMap { try? $0.get() })
            for (offset, result) in resolved.enumerated() {
                let fileName = listed[chunkStart + offset].fileName
                do {
                    guard let file = try result.get() else { continue }
                    do {
                        try merge(file, into: &values)
                    } catch {
                        cache.discard(file)
                        throw error
                    }
                    usedBytes += file.parsedEnd
                    mergedFiles.append(file)
                    cache.closeIfOverBudget(file)
                    for rejection in file.rejections {
                        skippedEntries.append(Problem(path: cache.path(of: file.fileName), reason: "\(rejection)"))
                    }
                } catch {
                    unreadableFiles.append(Problem(path: cache.path(of: fileName), reason: "\(error)"))
                }
            }
        }
        resolved.removeAll(keepingCapacity: true)
        openAhead?.finish()
        openAhead = nil
        cache.endMerge()
        values.grow(to: table.series.count)
        if layout.series.count != table.series.count {
            layout = MergedLayout(series: table.series)
        }
        let leftOut = clashes.resolve(in: layout, present: &values.present)
        if !leftOut.isEmpty {
            skippedEntries += problems(leftOut)
        }
        keepMonotonic(&values.values, present: values.present)
        let scrape = MergedScrape(
            layout: layout, values: values.values, timestamps: values.timestamps, present: values.present,
            includeCreated: includeCreated, exemplars: exemplars, native: native)
        return Outcome(
            scrape: scrape, unreadableFiles: unreadableFiles, skippedEntries: skippedEntries, usedBytes: usedBytes)
    }

    /// The cached state of a listed file (nil when it no longer exists), or why it cannot be read.
    private func resolve(_ listedFile: ListedFile, at position: Int) -> Result<DBFileCache.File?, DBFileError> {
        Result { () throws(DBFileError) -> DBFileCache.File? in
            try cache.file(
                named: listedFile.fileName, inode: listedFile.inode, listedAsRegular: listedFile.listedAsRegular,
                parsedName: listedFile.name, position: position, prefetched: takePrefetched(at: position))
        }
    }

    /// The helper's result for the file at `position`, if the helper opened it.
    private func takePrefetched(at position: Int) -> OpenAhead.Prefetched? {
        guard let prefetched = openAhead?.take(at: position) else { return nil }
        filesOpenedAhead += 1
        return prefetched
    }

    /// A helper thread opening the listed files after `start` that the cache must open, when there
    /// are enough of them. Files with foreign names are left out: the cache refuses them without
    /// opening them.
    private func startOpeningAhead(_ listed: [ListedFile], after start: Int) -> OpenAhead? {
        guard listed.count - start - 1 >= openAheadThreshold else { return nil }
        var planned: [(position: Int, fileName: String, knownRegular: Bool)] = []
        for position in (start + 1)..<listed.count {
            let file = listed[position]
            if (file.name ?? DBFileName(fileName: file.fileName)) != nil
                && cache.mustOpen(file.fileName, inode: file.inode, position: position)
            {
                planned.append((position, file.fileName, file.listedAsRegular))
            }
        }
        guard planned.count >= openAheadThreshold else { return nil }
        let directory = cache.directoryBeingMerged
        return OpenAhead(files: planned, directory: cache.directoryDescriptor()) { fileName in
            DBFileCache.path(of: fileName, in: directory)
        }
    }

    /// One problem per entry of this merge's files that feeds a family left out of it.
    private func problems(_ leftOut: [FamilyClashes.LeftOut]) -> [Problem] {
        var reasons: [Int: String] = [:]
        for family in leftOut {
            let reason = FamilyClashes.reason(family, in: layout)
            layout.forEachSeries(ofFamily: family.family) { reasons[$0] = reason }
        }
        var problems: [Problem] = []
        for file in mergedFiles {
            for entry in file.entries {
                guard let reason = reasons[entry.series] else { continue }
                problems.append(
                    Problem(
                        path: cache.path(of: file.fileName),
                        reason: "the entry whose value is at offset \(entry.valueOffset) was skipped: \(reason)"))
            }
        }
        return problems
    }

    /// Brings one file's decoded entries up to date and folds its values in. A file that turns out
    /// corrupt contributes nothing: its new entries are committed only once all of them decoded, and
    /// values are folded only after that.
    private func merge(_ file: DBFileCache.File, into values: inout Values) throws(DBFileError) {
        let (used, start) = try cache.readStart(of: file, expected: file.parsedEnd)
        if file.parsedEnd > used {
            // Truncated and rewritten in place: start over.
            file.parsedEnd = DBFileLayout.headerSize
            file.entries = []
            file.rejections = []
        }
        if file.parsedEnd < used {
            let known = file.entries.count
            try decodeNewEntries(of: file, used: used, start: start)
            file.sharedRule = sharedRule(of: file.entries, addedFrom: known, before: file.sharedRule)
        }
        values.grow(to: table.series.count)
        if used <= start.count && file.parsedEnd == used {
            fold(
                file.entries[...], window: UnsafeRawBufferPointer(rebasing: start[0..<used]), at: 0,
                sharedRule: file.sharedRule, into: &values)
            return
        }
        // A file larger than the window: fold its values window by window.
        var index = 0
        while index < file.entries.count {
            let start = file.entries[index].valueOffset
            let window = try cache.readWindow(of: file, from: start, count: used - start)
            var end = index
            while end < file.entries.count && file.entries[end].valueOffset + 16 <= start + window.count {
                end += 1
            }
            fold(file.entries[index..<end], window: window, at: start, sharedRule: file.sharedRule, into: &values)
            index = end
        }
    }

    /// Decodes the entries appended to `file` since its last decode. A file that fails takes back
    /// everything its decoding added to the table (``MergedSeriesTable/rollBackFile()``).
    private func decodeNewEntries(of file: DBFileCache.File, used: Int, start: UnsafeRawBufferPointer)
        throws(DBFileError)
    {
        table.beginFile()
        do {
            try decodeEntries(of: file, used: used, firstBytes: start)
            table.commitFile()
        } catch {
            table.rollBackFile()
            throw error
        }
    }

    /// - Parameter firstBytes: the file's bytes from offset 0 at hand (``DBFileCache/readStart(of:expected:)``).
    private func decodeEntries(of file: DBFileCache.File, used: Int, firstBytes: UnsafeRawBufferPointer)
        throws(DBFileError)
    {
        decoded.removeAll(keepingCapacity: true)
        var start = file.parsedEnd
        var window = firstBytes
        var windowOffset = 0
        while true {
            let stop = try table.decodeEntries(
                of: file.name, bytes: window, bytesOffset: windowOffset, from: start, used: used,
                isFirstDecode: file.parsedEnd == DBFileLayout.headerSize, into: &decoded)
            if stop >= used { break }
            if stop == windowOffset {
                // Not even one entry fits a whole window.
                throw .entryTooLarge(offset: stop, size: used - stop, limit: cache.windowLimit)
            }
            start = stop
            window = try cache.readWindow(of: file, from: start, count: used - start)
            windowOffset = start
        }
        // Appended to in a local array: each append to a class's property is checked for exclusive
        // access at run time, which cost a cold merge about a tenth of its decoding.
        var entries: [(series: Int, valueOffset: Int)] = []
        swap(&entries, &file.entries)
        entries.reserveCapacity(entries.count + decoded.count)
        decoded.withUnsafeBufferPointer { decoded in
            for entry in decoded {
                if let number = entry.meaning.series {
                    entries.append((number, entry.valueOffset))
                } else if let reason = table.rejectionReason(entry.meaning) {
                    file.rejections.append(.invalidEntry(offset: entry.entryOffset, reason: reason))
                }
            }
        }
        swap(&entries, &file.entries)
        file.parsedEnd = used
    }

    /// The rule every entry's series follows, when they all follow one (a file's entries nearly
    /// always do: its kind decides the rule, unless another kind's file made the series first).
    /// Only the entries from `added` on are looked at when the ones before shared `before`.
    private func sharedRule(
        of entries: [(series: Int, valueOffset: Int)], addedFrom added: Int, before: MergeRule?
    ) -> MergeRule? {
        guard let first = entries.first.map({ table.rules[$0.series] }) else { return nil }
        if added > 0 && before != first { return nil }
        return entries[added...].allSatisfy { table.rules[$0.series] == first } ? first : nil
    }

    /// Folds the values of `entries`, which all lie in `window` (the file's bytes from `offset`),
    /// with one call per file (``MergeRule/foldValues(of:in:at:rules:sharedRule:values:timestamps:present:)``).
    private func fold(
        _ entries: ArraySlice<(series: Int, valueOffset: Int)>, window: UnsafeRawBufferPointer, at offset: Int,
        sharedRule: MergeRule?, into merged: inout Values
    ) {
        table.rules.withUnsafeBufferPointer { rules in
            merged.values.withUnsafeMutableBufferPointer { values in
                merged.timestamps.withUnsafeMutableBufferPointer { timestamps in
                    merged.present.withUnsafeMutableBufferPointer { present in
                        MergeRule.foldValues(
                            of: entries, in: window, at: offset, rules: rules, sharedRule: sharedRule, values: values,
                            timestamps: timestamps, present: present)
                    }
                }
            }
        }
    }

    /// Floating-point sums depend on the order of their terms, and folding a dead process into an
    /// archive changes that order: a total could come out one rounding step lower than at the previous
    /// scrape, which Prometheus would read as a counter reset. Such rounding-sized decreases are
    /// replaced by the previous value; real decreases are kept.
    private func keepMonotonic(_ values: inout [Double], present: [Bool]) {
        if previousValues.count < values.count {
            previousValues.append(contentsOf: repeatElement(.nan, count: values.count - previousValues.count))
        }
        for index in values.indices where present[index] && table.series[index].isMonotonic {
            let previous = previousValues[index]
            if values[index] < previous && previous - values[index] <= 1e-9 * Swift.max(1, abs(previous)) {
                values[index] = previous
            }
            previousValues[index] = values[index]
        }
    }
}

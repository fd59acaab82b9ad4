/// How the values of one series from several processes' files combine: the Python client's merge
/// rules, one per file kind, used by both the merge of a scrape and the folding of dead processes'
/// files into archives, so the two can never disagree.
///
/// It also owns what an entry's timestamp double means beyond Python's mostrecent gauges (Python
/// ignores it everywhere else): in the files of counters, histograms and summaries this package's
/// writers store the time the series was created (``sum`` keeps the earliest, which becomes the
/// merged `_created`), and a negative timestamp in any file marks a series its writer removed
/// (`remove()`/`clear()`): such an entry contributes nothing. Python's writers store 0, which
/// means neither.
package enum MergeRule: Sendable, Hashable {
    /// Values add up: counters, histograms, summaries, sum gauges.
    case sum
    /// The smallest value wins: min gauges.
    case minimum
    /// The largest value wins: max gauges and state sets.
    case maximum
    /// The value with the latest timestamp wins; a series never set (timestamp 0) is not shown.
    case mostRecent
    /// One series per process (the `pid` label tells them apart): all and liveall gauges.
    case perProcess
    /// The largest value wins and a label set whose value is 0 (replaced info) is not shown.
    case latestInfo

    /// The rule for the files of `kind`.
    package init(_ kind: StorageKind) {
        switch kind {
        case .counter, .histogram, .summary: self = .sum
        case .info: self = .latestInfo
        case .stateSet: self = .maximum
        case .gauge(let mode):
            switch mode {
            case .all, .liveall: self = .perProcess
            case .min, .livemin: self = .minimum
            case .max, .livemax: self = .maximum
            case .sum, .livesum: self = .sum
            case .mostrecent, .livemostrecent: self = .mostRecent
            }
        }
    }

    /// Whether an entry's timestamp marks a series its writer removed.
    @inlinable @inline(__always)
    package static func isRemoved(timestamp: Double) -> Bool {
        timestamp < 0
    }

    /// The timestamp a writer stores to mark a removed series: the removal time, negated.
    package static func removalMark(at time: Double) -> Double {
        -Swift.max(time, 1)
    }

    /// Folds one file's `value` (written at `timestamp`) into the merged `merged`/`mergedTimestamp`,
    /// which hold a value only when `present`. An entry marked removed contributes nothing; for
    /// ``sum`` the merged timestamp is the earliest positive one (the series' creation).
    // Inlinable: the master's merge, in another module, folds every entry through it.
    @inlinable @inline(__always)
    package func fold(
        value: Double, timestamp: Double, into merged: inout Double, mergedTimestamp: inout Double, present: inout Bool
    ) {
        if Self.isRemoved(timestamp: timestamp) { return }
        switch self {
        case .sum:
            merged = present ? merged + value : value
            if timestamp > 0 && (mergedTimestamp <= 0 || timestamp < mergedTimestamp) {
                mergedTimestamp = timestamp
            }
            present = true
        case .minimum:
            merged = present ? Swift.min(merged, value) : value
            present = true
        case .maximum, .latestInfo:
            merged = present ? Swift.max(merged, value) : value
            present = true
        case .mostRecent:
            // As in Python: a series never set (timestamp 0) is not exposed.
            if timestamp > mergedTimestamp {
                merged = value
                mergedTimestamp = timestamp
                present = true
            }
        case .perProcess:
            merged = value
            present = true
        }
    }

    /// Whether a merged value is shown at all.
    @inlinable @inline(__always)
    package func shows(_ value: Double) -> Bool {
        self != .latestInfo || value != 0
    }
}

extension MergeRule {
    /// Folds the values of entries of one file: for each `(series, valueOffset)`, the value and
    /// timestamp at `valueOffset - offset` in `window`, into `series`' slots of `values`,
    /// `timestamps` and `present`, by the series' rule in `rules`.
    ///
    /// The whole loop lives here, beside ``fold(value:timestamp:into:mergedTimestamp:present:)``,
    /// because this toolchain does not inline `package` functions into other modules even when they
    /// are `@inlinable`: called per entry from the merge's module, the fold and its two loads were
    /// three calls per entry, a third of a warm render of 16 wide files. When `sharedRule` is given
    /// (every entry follows it), the loop is made with the rule a constant.
    ///
    /// Unchecked: every series number and value offset must be valid for the buffers (the merge
    /// validated them when it decoded the entries).
    package static func foldValues(
        of entries: ArraySlice<(series: Int, valueOffset: Int)>, in window: UnsafeRawBufferPointer, at offset: Int,
        rules: UnsafeBufferPointer<MergeRule>, sharedRule: MergeRule?, values: UnsafeMutableBufferPointer<Double>,
        timestamps: UnsafeMutableBufferPointer<Double>, present: UnsafeMutableBufferPointer<Bool>
    ) {
        @inline(__always) func foldEach(_ ruleOf: (Int) -> MergeRule) {
            for (series, valueOffset) in entries {
                let local = valueOffset - offset
                ruleOf(series).fold(
                    value: DBFileLayout.double(at: local, in: window),
                    timestamp: DBFileLayout.double(at: local + 8, in: window), into: &values[series],
                    mergedTimestamp: &timestamps[series], present: &present[series])
            }
        }
        switch sharedRule {
        case .sum?: foldEach { _ in .sum }
        case .minimum?: foldEach { _ in .minimum }
        case .maximum?: foldEach { _ in .maximum }
        case .mostRecent?: foldEach { _ in .mostRecent }
        case .perProcess?: foldEach { _ in .perProcess }
        case .latestInfo?: foldEach { _ in .latestInfo }
        case nil: foldEach { rules[$0] }
        }
    }
}

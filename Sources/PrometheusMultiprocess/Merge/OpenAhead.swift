import PrometheusClient
import PrometheusSystem
import Synchronization

/// Opens, on a helper thread, the files a merge is about to open, at most ``lookahead`` ahead of it.
///
/// Opening is a third of a cold merge of small files (the kernel's path walk and file set-up, per
/// file); with a second core it overlaps the reading and decoding of the files before, instead of
/// adding to them. Each result is exactly what the merge's own open would have returned or thrown
/// (``DBFileReader/openChecked(path:fileName:in:knownRegular:)``), and the merge takes them in
/// listing order with ``take(at:)``, so that problems are reported as before. Only merges with at
/// least ``MultiprocessMerger/openAheadThreshold`` files to open start one: a thread costs more than
/// opening a few files.
///
/// Not thread-safe itself: the merge's thread calls ``take(at:)`` and ``finish()``.
final class OpenAhead {
    typealias Opened = Result<FileDescriptor?, DBFileError>

    /// Results pass in batches of this many files, so that the two threads meet once per batch
    /// rather than once per file (per file, their locking cost a fifth of the opening).
    static let batchSize = 16
    /// How many batches the helper may have opened and not yet handed over: 64 descriptors at
    /// most beyond the merge's budget.
    static let batchesAhead = 4

    /// What the helper thread and the merge share.
    private final class Channel: Sendable {
        /// Batches of results in the order the files were planned; nil once the helper has stopped.
        let results = HandoffQueue<[Opened]?>()
        /// One element per batch the helper may open ahead: the merge gives one back per batch taken.
        let credits = HandoffQueue<Bool>()
        let stopping = Atomic<Bool>(false)
    }

    private let channel: Channel
    private let thread: NativeThread.Joinable
    /// The listing positions of the planned files, in order, and how many have been taken.
    private let positions: [Int]
    private var taken = 0
    /// The batch being taken from, and where in it.
    private var batch: [Opened] = []
    private var batchIndex = 0
    /// Whether the helper's last element (nil: it has stopped) has been taken.
    private var helperStopped = false
    private var finished = false

    /// Starts a helper thread that opens `files` (`(position, fileName, knownRegular)`, in listing
    /// order) in `directory`; nil when no thread could be started (the merge then opens each file
    /// itself).
    init?(
        files: [(position: Int, fileName: String, knownRegular: Bool)], directory: FileDescriptor?,
        path: @escaping @Sendable (String) -> String
    ) {
        positions = files.map(\.position)
        let targets = files.map { (fileName: $0.fileName, knownRegular: $0.knownRegular) }
        let channel = Channel()
        self.channel = channel
        for _ in 0..<Self.batchesAhead { channel.credits.push(true) }
        do {
            thread = try NativeThread.startJoinable(stackSize: 256 << 10) {
                defer { channel.results.push(nil) }
                for start in stride(from: 0, to: targets.count, by: Self.batchSize) {
                    guard channel.credits.pop() != nil, !channel.stopping.load(ordering: .acquiring) else { return }
                    let opened = targets[start..<Swift.min(start + Self.batchSize, targets.count)].map { target in
                        Opened { () throws(DBFileError) -> FileDescriptor? in
                            try DBFileReader.openChecked(
                                path: path(target.fileName), fileName: target.fileName, in: directory,
                                knownRegular: target.knownRegular)
                        }
                    }
                    channel.results.push(opened)
                }
            }
        } catch {
            return nil
        }
    }

    deinit {
        finish()
    }

    /// The helper's result for the file at listing `position`, or nil when that file was not
    /// planned (the merge opens it itself, if it needs to). Positions must come in increasing order.
    func take(at position: Int) -> Opened? {
        guard taken < positions.count, positions[taken] == position else { return nil }
        taken += 1
        if batchIndex == batch.count {
            guard let next = nextBatch() else { return nil }
            batch = next
            batchIndex = 0
        }
        batchIndex += 1
        return batch[batchIndex - 1]
    }

    /// The helper's next batch, waiting for it; nil once the helper has stopped. Gives back the
    /// credit of the batch taken before.
    private func nextBatch() -> [Opened]? {
        if !batch.isEmpty { channel.credits.push(true) }
        // The helper pushes every batch and then nil; the queue is never closed.
        guard !helperStopped, case .some(let element) = channel.results.pop() else { return nil }
        guard let next = element, !next.isEmpty else {
            helperStopped = true
            return nil
        }
        return next
    }

    /// Stops the helper, waits for it, and closes every descriptor it opened that was not taken.
    func finish() {
        guard !finished else { return }
        finished = true
        channel.stopping.store(true, ordering: .releasing)
        channel.credits.close()
        var unused = batch[batchIndex...]
        while true {
            for case .success(let descriptor?) in unused { descriptor.close() }
            guard !helperStopped, case .some(let element) = channel.results.pop(), let next = element else { break }
            unused = next[...]
        }
        thread.join()
    }
}

import PrometheusClient
import PrometheusSystem
import Synchronization

/// Opens, on a helper thread, the files a merge is about to open, and reads the first bytes of each
/// (what the merge's first `pread` of a file it has not read before asks for), a bounded number of
/// files ahead of the merge.
///
/// Opening and that first read are half of a cold merge of small files (the kernel's path walk,
/// file set-up and page copy); with a second core they overlap the decoding of the files before,
/// instead of adding to it. Each result is exactly what the merge's own open would have returned or
/// thrown (``DBFileReader/openChecked(path:fileName:in:knownRegular:)``), and the merge takes them
/// in listing order with ``take(at:)``, so that problems are reported as before; a first read that
/// failed is left to the merge to make again, which reports it as before. A merge starts one when
/// it meets the first file it must open (so a warm merge of known files looks for none) and at least
/// ``MultiprocessMerger/openAheadThreshold`` more follow: a thread costs more than opening a few.
///
/// Not thread-safe itself: the merge's thread calls ``take(at:)`` and ``finish()``.
final class OpenAhead {
    /// What the helper did for one file: opened it (or why not), and read its first
    /// ``DBFileCache/firstReadSize`` bytes (or nil when it did not: the file was not opened, or the
    /// read failed).
    struct Prefetched {
        var opened: Result<FileDescriptor?, DBFileError>
        var firstBytes: UnsafeRawBufferPointer?
    }

    /// Results pass in batches of this many files, so that the two threads meet once per batch
    /// rather than once per file (per file, their locking cost a fifth of the opening).
    static let batchSize = 16
    /// How many batches the helper may have done and not yet handed over: 64 descriptors at most
    /// beyond the merge's budget, and one read buffer per batch.
    static let batchesAhead = 4

    /// One file's result as it crosses threads (its bytes stay in the batch's read buffer).
    private struct HandedOver: Sendable {
        var opened: Result<FileDescriptor?, DBFileError>
        var count: Int?
    }

    /// The read buffers, one per batch in flight. The helper writes batch `b` into buffer
    /// `b % batchesAhead` only with a credit, and the merge gives back batch `b`'s credit only when it
    /// takes batch `b + 1`: a buffer is never written while the merge reads it.
    private struct Buffers: @unchecked Sendable {
        let memory: UnsafeMutableRawBufferPointer

        func slot(batch: Int, index: Int) -> UnsafeMutableRawBufferPointer {
            let size = DBFileCache.firstReadSize
            let start = ((batch % batchesAhead) * batchSize + index) * size
            return UnsafeMutableRawBufferPointer(rebasing: memory[start..<(start + size)])
        }
    }

    /// What the helper thread and the merge share.
    private final class Channel: Sendable {
        /// Batches of results in the order the files were planned; nil once the helper has stopped.
        let results = HandoffQueue<[HandedOver]?>()
        /// One element per batch the helper may do ahead: the merge gives one back per batch taken.
        let credits = HandoffQueue<Bool>()
        let stopping = Atomic<Bool>(false)
    }

    private let channel: Channel
    private let buffers: Buffers
    private let thread: NativeThread.Joinable
    /// The listing positions of the planned files, in order, and how many have been taken.
    private let positions: [Int]
    private var taken = 0
    /// The batch being taken from, its number, and where in it.
    private var batch: [HandedOver] = []
    private var batchNumber = -1
    private var batchIndex = 0
    /// Whether the helper's last element (nil: it has stopped) has been taken.
    private var helperStopped = false
    private var finished = false

    /// Starts a helper thread that opens `files` (`(position, fileName, knownRegular)`, in listing
    /// order) in `directory` and reads their first bytes; nil when no thread could be started (the
    /// merge then opens each file itself).
    init?(
        files: [(position: Int, fileName: String, knownRegular: Bool)], directory: FileDescriptor?,
        path: @escaping @Sendable (String) -> String
    ) {
        positions = files.map(\.position)
        let targets = files.map { (fileName: $0.fileName, knownRegular: $0.knownRegular) }
        let channel = Channel()
        let buffers = Buffers(
            memory: .allocate(
                byteCount: Self.batchesAhead * Self.batchSize * DBFileCache.firstReadSize, alignment: 4096))
        self.channel = channel
        self.buffers = buffers
        for _ in 0..<Self.batchesAhead { channel.credits.push(true) }
        do {
            thread = try NativeThread.startJoinable(stackSize: 256 << 10) {
                defer { channel.results.push(nil) }
                for (number, start) in stride(from: 0, to: targets.count, by: Self.batchSize).enumerated() {
                    guard channel.credits.pop() != nil, !channel.stopping.load(ordering: .acquiring) else { return }
                    let batch = targets[start..<Swift.min(start + Self.batchSize, targets.count)]
                    channel.results.push(
                        batch.enumerated().map { index, target in
                            Self.openAndRead(target, into: buffers.slot(batch: number, index: index)) {
                                () throws(DBFileError) -> FileDescriptor? in
                                try DBFileReader.openChecked(
                                    path: path(target.fileName), fileName: target.fileName, in: directory,
                                    knownRegular: target.knownRegular)
                            }
                        })
                }
            }
        } catch {
            buffers.memory.deallocate()
            return nil
        }
    }

    deinit {
        finish()
        buffers.memory.deallocate()
    }

    private static func openAndRead(
        _ target: (fileName: String, knownRegular: Bool), into slot: UnsafeMutableRawBufferPointer,
        _ open: () throws(DBFileError) -> FileDescriptor?
    ) -> HandedOver {
        let opened = Result(catching: open)
        guard case .success(let descriptor?) = opened else { return HandedOver(opened: opened, count: nil) }
        return HandedOver(opened: opened, count: try? descriptor.read(fromAbsoluteOffset: 0, into: slot))
    }

    /// The helper's result for the file at listing `position`, or nil when that file was not
    /// planned (the merge opens it itself, if it needs to). Positions must come in increasing order.
    /// The bytes stay valid until the next call.
    func take(at position: Int) -> Prefetched? {
        guard taken < positions.count, positions[taken] == position else { return nil }
        taken += 1
        if batchIndex == batch.count {
            guard let next = nextBatch() else { return nil }
            batch = next
            batchNumber += 1
            batchIndex = 0
        }
        let result = batch[batchIndex]
        let slot = buffers.slot(batch: batchNumber, index: batchIndex)
        batchIndex += 1
        return Prefetched(
            opened: result.opened,
            firstBytes: result.count.map { UnsafeRawBufferPointer(rebasing: slot[0..<$0]) })
    }

    /// The helper's next batch, waiting for it; nil once the helper has stopped. Gives back the
    /// credit of the batch taken before.
    private func nextBatch() -> [HandedOver]? {
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
            for case .success(let descriptor?) in unused.map(\.opened) { descriptor.close() }
            guard !helperStopped, case .some(let element) = channel.results.pop(), let next = element else { break }
            unused = next[...]
        }
        thread.join()
    }
}

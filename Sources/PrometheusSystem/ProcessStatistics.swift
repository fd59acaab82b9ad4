/// One reading of a process's resource usage from `/proc`, as Linux reports it.
package struct ProcessStatistics: Sendable, Equatable {
    package var cpuSeconds: Double
    package var virtualMemoryBytes: Double
    package var residentMemoryBytes: Double
    package var startTimeSeconds: Double
    package var threads: Double
    package var openFileDescriptors: Double?
    package var maxFileDescriptors: Double?

    private static let clockTicksPerSecond = CurrentProcess.clockTicksPerSecond
    private static let pageSize = Double(AddressReservation.pageSize)

    /// Reads `<procRoot>/<pid>/stat`, `fd/` and `limits`, with the boot time from `<procRoot>/stat`;
    /// nil when the process does not exist (or `/proc` is not there).
    package static func read(pid: Int32, procRoot: String = "/proc") -> ProcessStatistics? {
        let directory = "\(procRoot)/\(pid)"
        guard let stat = text(ofFile: "\(directory)/stat"),
            let bootTime = bootTime(procRoot: procRoot),
            var statistics = parse(stat: stat, bootTime: bootTime)
        else { return nil }
        statistics.openFileDescriptors = (try? DirectoryStream.entries(of: "\(directory)/fd") { _ in true })
            .map { Double($0.count) }
        if let limits = text(ofFile: "\(directory)/limits") {
            statistics.maxFileDescriptors = parseMaxOpenFiles(limits: limits)
        }
        return statistics
    }

    /// When the process `pid` started, in seconds since the epoch, to the clock tick: its start in
    /// `/proc/<pid>/stat` on the boot-time clock plus the exact wall time of boot (not `btime`, which
    /// is rounded to whole seconds). Nil when the process does not exist or `/proc` is not there.
    package static func preciseStartTime(pid: Int32) -> Double? {
        guard let stat = text(ofFile: "/proc/\(pid)/stat"), let ticks = startTicks(stat: stat) else { return nil }
        return SystemClock.bootWallTime() + ticks / clockTicksPerSecond
    }

    /// Field 22 of `/proc/<pid>/stat`: the start time in clock ticks since boot.
    package static func startTicks(stat: String) -> Double? {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        return fields.count > 19 ? Double(fields[19]) : nil
    }

    private static func text(ofFile path: String) -> String? {
        (try? FileSystem.contents(ofFile: path)).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Parses `/proc/<pid>/stat`. The command name is in parentheses and may itself hold spaces and
    /// parentheses, so fields are counted from the last `)`.
    package static func parse(stat: String, bootTime: Double) -> ProcessStatistics? {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        // fields[0] is field 3 (state) of proc(5); utime is field 14, so fields[11].
        guard fields.count > 21,
            let userTicks = Double(fields[11]), let systemTicks = Double(fields[12]),
            let threads = Double(fields[17]), let startTicks = startTicks(stat: stat),
            let virtualBytes = Double(fields[20]), let residentPages = Double(fields[21])
        else { return nil }
        return ProcessStatistics(
            cpuSeconds: (userTicks + systemTicks) / clockTicksPerSecond,
            virtualMemoryBytes: virtualBytes,
            residentMemoryBytes: residentPages * pageSize,
            startTimeSeconds: bootTime + startTicks / clockTicksPerSecond,
            threads: threads)
    }

    /// The soft limit on the `Max open files` line of `/proc/<pid>/limits` (nil when unlimited).
    package static func parseMaxOpenFiles(limits: String) -> Double? {
        for line in limits.split(separator: "\n") where line.hasPrefix("Max open files") {
            let columns = line.dropFirst("Max open files".count).split(separator: " ")
            return columns.first.flatMap { Double($0) }
        }
        return nil
    }

    private static func bootTime(procRoot: String) -> Double? {
        guard let stat = text(ofFile: "\(procRoot)/stat") else { return nil }
        for line in stat.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst("btime ".count).filter { $0 != " " && $0 != "\t" })
        }
        return nil
    }
}

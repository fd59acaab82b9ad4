import Foundation
import Glibc

/// A server executable of this package (`http-benchmark-server`, `prometheus-multiproc serve`)
/// started on port 0; its port is read from the first line it prints (`...127.0.0.1:PORT...`).
/// Killed when released.
package final class ServerProcess {
    package let process = Process()
    package let port: Int

    package init(executable: String, arguments: [String]) throws {
        process.executableURL = try DemoProcess.builtExecutable(executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let line = pipe.fileHandleForReading.readLine(timeout: 30)
        guard let line, let range = line.range(of: "127.0.0.1:"),
            let port = Int(line[range.upperBound...].prefix { $0.isNumber })
        else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw RawHTTPClient.Failure(description: "\(executable) did not start: \(line ?? "no output")")
        }
        self.port = port
    }

    deinit {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// A field of /proc/PID/status, as its leading number (Threads; VmRSS in KiB).
    package func status(_ field: String) -> Int {
        let text = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            return Int(line.dropFirst(field.count + 1).split(whereSeparator: \.isWhitespace).first ?? "") ?? -1
        }
        return -1
    }

    /// Open descriptors of the server process.
    package var openDescriptors: Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(process.processIdentifier)/fd").count) ?? -1
    }
}

extension FileHandle {
    /// Reads up to the first newline, waiting at most `timeout` seconds.
    package func readLine(timeout: Double) -> String? {
        var bytes: [UInt8] = []
        var pollDescriptor = pollfd(fd: fileDescriptor, events: Int16(POLLIN), revents: 0)
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            guard poll(&pollDescriptor, 1, 100) > 0 else { continue }
            var byte: UInt8 = 0
            guard Glibc.read(fileDescriptor, &byte, 1) == 1 else { return nil }
            if byte == UInt8(ascii: "\n") { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(byte)
        }
        return nil
    }
}

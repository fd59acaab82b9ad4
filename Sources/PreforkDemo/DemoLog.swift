import Glibc

/// Line-oriented output written with one `write(2)` per line: status lines on standard output,
/// problems on standard error. Unbuffered, so a supervising process or test sees each line at once
/// and a fork never duplicates buffered output; one call per line keeps lines from several
/// processes from interleaving.
enum DemoLog {
    static func info(_ message: String) {
        emit("prefork-demo[\(getpid())]: \(message)\n", to: STDOUT_FILENO)
    }

    static func error(_ message: String) {
        emit("prefork-demo[\(getpid())]: error: \(message)\n", to: STDERR_FILENO)
    }

    static func emit(_ text: String, to fd: Int32) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 && errno == EINTR { continue }
            if written <= 0 { return }
            offset += written
        }
    }
}

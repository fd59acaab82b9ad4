/// Start-up problems of the demo, with messages that say what to fix.
enum DemoError: Error, CustomStringConvertible {
    case directory(String, String)

    var description: String {
        switch self {
        case .directory(let path, let reason):
            return "multiprocess directory \(path): \(reason) (choose another with --dir)"
        }
    }
}

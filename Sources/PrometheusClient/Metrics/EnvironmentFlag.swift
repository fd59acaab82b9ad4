import PrometheusSystem

/// Reads boolean switches from the environment the way the Python client does: `true`, `1` and `t`
/// (any case) mean on.
enum EnvironmentFlag {
    static func isTrue(_ variable: String) -> Bool {
        guard let value = CurrentProcess.environmentValue(variable) else { return false }
        return ["true", "1", "t"].contains(value.lowercased())
    }
}

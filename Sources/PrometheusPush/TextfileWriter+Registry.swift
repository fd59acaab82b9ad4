import PrometheusClient

extension TextfileWriter {
    /// Replaces the file at `path` with `registry`'s metrics in the text format, atomically, as the
    /// Python client's `write_to_textfile` does (allow-utf-8 escaping by default, like Python).
    ///
    /// - Throws: ``TextfileError/collectionFailed(_:)`` when a collector fails (the file is left as it
    ///   was), and everything ``write(_:to:temporaryDirectory:)`` throws.
    public static func write(
        registry: some MetricsSource,
        to path: String,
        escaping: NameEscapingScheme = .allowUTF8,
        temporaryDirectory: String? = nil
    ) throws(TextfileError) {
        let result = registry.collect()
        guard result.failures.isEmpty else {
            throw .collectionFailed(result.failures.map(\.description).joined(separator: "; "))
        }
        let bytes = Exposition.render(result.families, as: .prometheusText004, escaping: escaping)
        try write(bytes, to: path, temporaryDirectory: temporaryDirectory)
    }
}

/// Mistakes in registering collectors. Every case says what clashed and how to resolve it.
public enum RegistryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The collector would produce sample names that a registered collector already produces.
    case duplicateTimeseries(names: [String])
    /// The same collector object was registered twice.
    case alreadyRegistered(collector: String)
    /// `unregister` was called with a collector that is not registered.
    case notRegistered(collector: String)
    /// `setTargetInfo` was called while a collector already produces `target_info`.
    case targetInfoConflict
    /// The registry called `collect()` to learn a collector's names (auto-describe) and it threw.
    case describeFailed(collector: String, reason: String)
    /// At a collection, collectors produced families of the same name that could not be fully
    /// combined (another type, or series produced twice); the first collector's are served.
    case clashingFamilies(reason: String)

    /// A message a user can act on.
    public var description: String {
        switch self {
        case .duplicateTimeseries(let names):
            return
                "duplicated time series in registry: \(names.sorted().joined(separator: ", ")) already "
                + "produced by a registered collector; choose another name or unregister the other metric"
        case .alreadyRegistered(let collector):
            return "collector \(collector) is already registered in this registry"
        case .notRegistered(let collector):
            return "collector \(collector) is not registered in this registry"
        case .targetInfoConflict:
            return "the registry already contains a collector producing target_info; unregister it first"
        case .describeFailed(let collector, let reason):
            return "collector \(collector) failed while the registry collected it to learn its names: \(reason)"
        case .clashingFamilies(let reason):
            return "\(reason); rename the family in one of the collectors or produce it in one place"
        }
    }
}

import PrometheusClient

/// Decides, at every scrape, which of the families that cannot be shown together is shown: files
/// may give one name two types, or use a name another family derives (`a_bucket` beside histogram
/// `a`). Only the series present in the scrape count, so a file deleted or mended stops mattering at
/// the next scrape.
///
/// The family shown at the previous scrape stays while it is present, so that a type does not flip
/// between scrapes; otherwise the one the collector met first wins: a newcomer that disagrees loses.
/// The others' series are left out of the scrape and reported. Costs nothing when no files disagree.
struct FamilyClashes {
    /// A family by name and type, which outlives a layout made again.
    private struct Identity: Hashable {
        var name: ByteString
        var type: MetricType
    }

    /// A family left out of one scrape, and the family shown instead, by layout position.
    struct LeftOut {
        var family: Int
        var shown: Int
    }

    private var previouslyShown: Set<Identity> = []

    /// Leaves out of `present` the series of each clashing family that loses to one shown.
    ///
    /// - Returns: the families left out, each with the family shown in its place.
    mutating func resolve(in layout: MergedLayout, present: inout [Bool]) -> [LeftOut] {
        guard !layout.clashes.isEmpty else { return [] }
        let candidates = layout.clashes.keys.filter { isPresent($0, in: layout, present) }.sorted { lhs, rhs in
            let lhsShown = previouslyShown.contains(identity(of: lhs, in: layout))
            let rhsShown = previouslyShown.contains(identity(of: rhs, in: layout))
            if lhsShown != rhsShown { return lhsShown }
            return firstSeries(of: lhs, in: layout) < firstSeries(of: rhs, in: layout)
        }
        var shown: [Int] = []
        var leftOut: [LeftOut] = []
        for candidate in candidates {
            let clashing = layout.clashes[candidate] ?? []
            if let winner = shown.first(where: { clashing.contains($0) }) {
                leftOut.append(LeftOut(family: candidate, shown: winner))
                layout.forEachSeries(ofFamily: candidate) { present[$0] = false }
            } else {
                shown.append(candidate)
            }
        }
        previouslyShown = Set(shown.map { identity(of: $0, in: layout) })
        return leftOut
    }

    /// Why the series of `leftOut` were left out, for the problems a scrape reports.
    static func reason(_ leftOut: LeftOut, in layout: MergedLayout) -> String {
        let family = layout.families[leftOut.family]
        let shown = layout.families[leftOut.shown]
        if ByteIdentity.equal(family.name, shown.name) {
            return "\(family.name) is a \(shown.type.rawValue) in other files, not a \(family.type.rawValue)"
        }
        return "the \(family.type.rawValue) \(family.name) and the \(shown.type.rawValue) \(shown.name) in other files"
            + " would share a name"
    }

    private func identity(of position: Int, in layout: MergedLayout) -> Identity {
        Identity(name: ByteString(layout.families[position].name), type: layout.families[position].type)
    }

    private func isPresent(_ position: Int, in layout: MergedLayout, _ present: [Bool]) -> Bool {
        var any = false
        layout.forEachSeries(ofFamily: position) { any = any || present[$0] }
        return any
    }

    private func firstSeries(of position: Int, in layout: MergedLayout) -> Int {
        var first = Int.max
        layout.forEachSeries(ofFamily: position) { first = Swift.min(first, $0) }
        return first
    }
}

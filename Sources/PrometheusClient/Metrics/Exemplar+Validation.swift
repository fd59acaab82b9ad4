extension Exemplar {
    /// Builds the exemplar for an observation of `value` made now, checking its labels.
    ///
    /// - Throws: `MetricError.invalidExemplar` when a label name breaks the label rules or the names and
    ///   values together exceed ``Exemplar/maximumLabelCharacters`` characters.
    static func validated(labels: [String: String], value: Double) throws(MetricError) -> Exemplar {
        var characters = 0
        for (name, labelValue) in labels {
            do {
                try MetricNaming.validateLabelName(name)
            } catch {
                throw .invalidExemplar(reason: "label \"\(name)\": \(error)")
            }
            characters += name.unicodeScalars.count + labelValue.unicodeScalars.count
        }
        guard characters <= maximumLabelCharacters else {
            throw .invalidExemplar(
                reason: "labels have \(characters) characters, more than the limit of \(maximumLabelCharacters)")
        }
        return Exemplar(labels: [Label](labels), value: value, timestamp: Timestamp(unixSeconds: WallClock.now()))
    }
}

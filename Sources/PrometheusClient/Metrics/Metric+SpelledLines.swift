/// The two ways out of a metric whose series spell their own lines (``SpelledSeries``): written as
/// bytes at a scrape, or collected as samples.
extension Metric where Child: SpelledSeries {
    /// Writes the sample lines of `children` from the lines they spell: each pass over the children
    /// goes into room reserved once per chunk of them, series with exemplars (in OpenMetrics) and
    /// rewritten label blocks line by line; `_created` inline in OpenMetrics, in a gauge family of
    /// its own after the family in the text format.
    func writeSpelledLines(
        of children: ChildrenSnapshot<Child>, with lines: inout SeriesLineWriter, includeCreated: Bool,
        createdDigits: inout [CachedDigits], to buffer: inout ExpositionBuffer
    ) {
        let names = Child.sampleSuffixes.map { lines.sampleName(name, suffix: $0) }
        let bucketName = lines.sampleName(name, suffix: "_bucket")
        let bucketLabels = lines.extraLabels(name: "le", values: bucketBounds.map(GoFloatFormat.string))
        let createdName = lines.sampleName(name, suffix: "_created")
        let isOpenMetrics = lines.format.isOpenMetrics
        let writesCreated = includeCreated && definition.type.hasCreatedSeries
        let inlineCreated = writesCreated && isOpenMetrics
        let lineCount = names.count + bucketLabels.count + (inlineCreated ? 1 : 0)
        let lineBytes =
            names.reduce(0) { $0 + SeriesLineWriter.lineBytes(name: $1) }
            + bucketLabels.reduce(0) { $0 + $1.count + 1 + SeriesLineWriter.lineBytes(name: bucketName) }
            + (inlineCreated ? SeriesLineWriter.lineBytes(name: createdName) : 0)
        createdDigits.withUnsafeMutableBufferPointer { digits in
            writePass(
                of: children, with: &lines, lineBytes: lineBytes, linesPerChild: lineCount, to: &buffer,
                fast: { index, child, lines, writer in
                    if isOpenMetrics && child.hasExemplar { return false }
                    child.forEachLine(withExemplars: false) { line, value, _ in
                        switch line {
                        case .sample(let suffix):
                            lines.writeLine(names[suffix], value: value, to: &writer)
                        case .bucket(let bucket):
                            lines.writeLine(bucketName, extraLabel: bucketLabels[bucket], value: value, to: &writer)
                        }
                    }
                    if inlineCreated, let created = child.createdTimeIfAny {
                        lines.writeLine(createdName, value: created, cached: &digits[index], to: &writer)
                    }
                    return true
                },
                slow: { index, child, lines, buffer in
                    child.forEachLine(withExemplars: isOpenMetrics) { line, value, exemplar in
                        switch line {
                        case .sample(let suffix):
                            lines.writeLine(names[suffix], value: value, exemplar: exemplar, to: &buffer)
                        case .bucket(let bucket):
                            lines.writeLine(
                                bucketName, extraLabel: bucketLabels[bucket], value: value, exemplar: exemplar,
                                to: &buffer)
                        }
                    }
                    if inlineCreated, let created = child.createdTimeIfAny {
                        lines.writeLine(createdName, value: created, cached: &digits[index], to: &buffer)
                    }
                })
        }
        if writesCreated && !isOpenMetrics {
            writeTextCreatedFamily(of: children, with: &lines, createdDigits: &createdDigits, to: &buffer) {
                $0.createdTimeIfAny ?? 0
            }
        }
    }

    /// Adds the samples of the lines `child` spells, with exemplars, and its `_created` sample when
    /// `includeCreated`.
    func appendSpelledSamples(of child: Child, labels: [Label], includeCreated: Bool, to samples: inout [Sample]) {
        let bounds = bucketBounds
        child.forEachLine(withExemplars: true) { line, value, exemplar in
            switch line {
            case .sample(let suffix):
                samples.append(
                    Sample(name: name + Child.sampleSuffixes[suffix], labels: labels, value: value, exemplar: exemplar))
            case .bucket(let bucket):
                samples.append(
                    Sample(
                        name: name + "_bucket", labels: labels + [Label("le", GoFloatFormat.string(bounds[bucket]))],
                        value: value, exemplar: exemplar))
            }
        }
        if includeCreated, let created = child.createdTimeIfAny {
            samples.append(Sample(name: name + "_created", labels: labels, value: created))
        }
    }
}

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
        let firstName = names[0]
        let secondName = names.count > 1 ? names[1] : []
        let bucketName = lines.sampleName(name, suffix: "_bucket")
        let bucketLabels = lines.extraLabels(name: "le", values: bucketBounds.map(GoFloatFormat.string))
        let bucketCount = bucketLabels.count
        let createdName = lines.sampleName(name, suffix: "_created")
        let isOpenMetrics = lines.format.isOpenMetrics
        let writesCreated = includeCreated && definition.type.hasCreatedSeries
        let inlineCreated = writesCreated && lines.format.writesCreatedInline
        let lineBytes =
            names.reduce(0) { $0 + SeriesLineWriter.lineBytes(name: $1) }
            + bucketLabels.reduce(0) { $0 + $1.count + 1 + SeriesLineWriter.lineBytes(name: bucketName) }
            + (inlineCreated ? SeriesLineWriter.lineBytes(name: createdName) : 0)
        let (table, ranges) = Self.nameTable([firstName, secondName, createdName, bucketName], then: bucketLabels)
        withUnsafeTemporaryAllocation(of: Double.self, capacity: bucketCount + names.count) { valueRoom in
            let values = valueRoom.baseAddress!
            table.withUnsafeBytes { table in
                let first = UnsafeRawBufferPointer(rebasing: table[ranges[0]])
                let second = UnsafeRawBufferPointer(rebasing: table[ranges[1]])
                let created = UnsafeRawBufferPointer(rebasing: table[ranges[2]])
                let bucket = UnsafeRawBufferPointer(rebasing: table[ranges[3]])
                createdDigits.withUnsafeMutableBufferPointer { digits in
                    writePass(
                        of: children, with: &lines, lineBytes: lineBytes,
                        linesPerChild: names.count + bucketCount + (inlineCreated ? 1 : 0), to: &buffer,
                        fast: { index, child, lines, writer in
                            if isOpenMetrics && child.hasExemplar { return false }
                            let count = child.lineValues(into: values)
                            for line in 0..<count {
                                let name = line < bucketCount ? bucket : line == bucketCount ? first : second
                                let extra =
                                    line < bucketCount ? UnsafeRawBufferPointer(rebasing: table[ranges[4 + line]]) : nil
                                lines.writeLine(bytes: name, extraLabel: extra, value: values[line], to: &writer)
                            }
                            if inlineCreated, let time = child.createdTimeIfAny {
                                lines.writeLine(bytes: created, value: time, cached: &digits[index], to: &writer)
                            }
                            return true
                        },
                        slow: { index, child, lines, buffer in
                            let count = child.lineValues(into: values)
                            for line in 0..<count {
                                let exemplar = isOpenMetrics ? child.exemplar(ofLine: line) : nil
                                if line < bucketCount {
                                    lines.writeLine(
                                        bucketName, extraLabel: bucketLabels[line], value: values[line],
                                        exemplar: exemplar, to: &buffer)
                                } else if line == bucketCount {
                                    lines.writeLine(firstName, value: values[line], exemplar: exemplar, to: &buffer)
                                } else {
                                    lines.writeLine(secondName, value: values[line], exemplar: exemplar, to: &buffer)
                                }
                            }
                            if inlineCreated, let time = child.createdTimeIfAny {
                                lines.writeLine(createdName, value: time, cached: &digits[index], to: &buffer)
                            }
                        })
                }
            }
        }
        if writesCreated && !lines.format.writesCreatedInline {
            writeTextCreatedFamily(of: children, with: &lines, createdDigits: &createdDigits, to: &buffer) {
                $0.createdTimeIfAny ?? 0
            }
        }
    }

    /// The names and `le` pieces the fast pass lends as bytes in place, from one array, so that no
    /// line costs a reference count: `names` (the two sample names, `_created`, `_bucket`), then
    /// `pieces` (each bucket's), with the range of each.
    private static func nameTable(_ names: [[UInt8]], then pieces: [[UInt8]]) -> (
        bytes: [UInt8], ranges: [Range<Int>]
    ) {
        var table: [UInt8] = []
        var ranges: [Range<Int>] = []
        table.reserveCapacity(names.reduce(0) { $0 + $1.count } + pieces.reduce(0) { $0 + $1.count })
        ranges.reserveCapacity(names.count + pieces.count)
        for piece in names {
            ranges.append(table.count..<(table.count + piece.count))
            table += piece
        }
        for piece in pieces {
            ranges.append(table.count..<(table.count + piece.count))
            table += piece
        }
        return (table, ranges)
    }

    /// Adds the samples of the lines `child` spells, with exemplars, and its `_created` sample when
    /// `includeCreated`.
    func appendSpelledSamples(of child: Child, labels: [Label], includeCreated: Bool, to samples: inout [Sample]) {
        let bounds = bucketBounds
        let values = UnsafeMutablePointer<Double>.allocate(capacity: bounds.count + Child.sampleSuffixes.count)
        defer { values.deallocate() }
        let count = child.lineValues(into: values)
        for line in 0..<count {
            let exemplar = child.exemplar(ofLine: line)
            if line < bounds.count {
                samples.append(
                    Sample(
                        name: name + "_bucket", labels: labels + [Label("le", GoFloatFormat.string(bounds[line]))],
                        value: values[line], exemplar: exemplar))
            } else {
                samples.append(
                    Sample(
                        name: name + Child.sampleSuffixes[line - bounds.count], labels: labels, value: values[line],
                        exemplar: exemplar))
            }
        }
        if includeCreated, let created = child.createdTimeIfAny {
            samples.append(Sample(name: name + "_created", labels: labels, value: created))
        }
    }
}

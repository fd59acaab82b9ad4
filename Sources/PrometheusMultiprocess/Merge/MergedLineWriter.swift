import PrometheusClient

/// Writes merged families in the text formats from the lines of a ``MergedScrape``, through the
/// line writer the metric types use (``SeriesLineWriter``), with the label blocks, `le` pieces and
/// sample names its layout keeps (``MergedLayout/Texts``): no ``Sample`` is built, nothing escaped
/// again. The bytes equal those ``Exposition`` writes for ``MergedScrape/family(at:)``.
///
/// The protobuf format, OpenMetrics 2.0 (one composite line per series) and a name allow-utf-8
/// must quote are written from the family's samples instead.
enum MergedLineWriter {
    /// Writes the family at `index` of `scrape`'s layout.
    static func write(
        familyAt index: Int, of scrape: MergedScrape, as format: ExpositionFormat, escaping: NameEscapingScheme,
        to buffer: inout ExpositionBuffer
    ) {
        let family = scrape.layout.families[index]
        guard format != .prometheusProtobuf, format != .openMetrics200,
            SeriesLineWriter.canWrite(familyName: family.name, escaping: escaping)
        else {
            Exposition.write(scrape.family(at: index), as: format, escaping: escaping, to: &buffer)
            return
        }
        let texts = scrape.layout.texts(for: escaping)
        Exposition.writeFamilyHeader(
            name: family.name, type: family.type, help: family.help, unit: "", as: format, escaping: escaping,
            to: &buffer)
        var lines = SeriesLineWriter(format: format, escaping: escaping)
        let separateCreated = !format.writesCreatedInline
        var createdLines = 0
        texts.blocks.withUnsafeBytes { blocks in
            var current = -1
            scrape.forEachLine(ofFamily: index) { set, line in
                if case .created = line, separateCreated {
                    createdLines += 1
                    return
                }
                if set != current {
                    current = set
                    begin(set, of: texts, in: blocks, on: &lines)
                }
                write(line, of: index, in: scrape, texts: texts, lines: &lines, to: &buffer)
            }
            guard createdLines > 0 else { return }
            Exposition.writeCreatedHeader(name: family.name, help: family.help, escaping: escaping, to: &buffer)
            scrape.forEachLine(ofFamily: index) { set, line in
                guard case .created(let value) = line else { return }
                begin(set, of: texts, in: blocks, on: &lines)
                lines.writeLine(texts.familyNames[index].created, value: value, to: &buffer)
            }
        }
    }

    @inline(__always)
    private static func begin(
        _ set: Int, of texts: MergedLayout.Texts, in blocks: UnsafeRawBufferPointer, on lines: inout SeriesLineWriter
    ) {
        let block = UnsafeRawBufferPointer(rebasing: blocks[texts.blockStarts[set]..<texts.blockStarts[set + 1]])
        lines.beginSeries(block: block, split: texts.splits[set], values: [])
    }

    @inline(__always)
    private static func write(
        _ line: MergedScrape.Line, of family: Int, in scrape: MergedScrape, texts: MergedLayout.Texts,
        lines: inout SeriesLineWriter, to buffer: inout ExpositionBuffer
    ) {
        switch line {
        case .native:
            // Only OpenMetrics 2.0 and protobuf carry native samples; both are written from samples.
            break
        case .bucket(let position, let value, let exemplar):
            lines.writeLine(
                texts.familyNames[family].bucket, extraLabel: texts.pieces[texts.bucketPieces[position]],
                value: value, exemplar: exemplar, to: &buffer)
        case .count(let value):
            lines.writeLine(texts.familyNames[family].count, value: value, to: &buffer)
        case .sample(let position, let value, let exemplar):
            let carried = exemplar.flatMap { exemplar in
                OpenMetricsWriter.mayCarryExemplar(
                    sampleName: scrape.layout.series[scrape.layout.others[position]].key.sampleName.string,
                    type: scrape.layout.families[family].type, isNative: false) ? exemplar : nil
            }
            lines.writeLine(texts.names[texts.otherNames[position]], value: value, exemplar: carried, to: &buffer)
        case .created(let value):
            lines.writeLine(texts.familyNames[family].created, value: value, to: &buffer)
        }
    }
}

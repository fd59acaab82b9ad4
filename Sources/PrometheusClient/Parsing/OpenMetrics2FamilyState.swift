/// The family an ``OpenMetrics2Parser`` is reading: its metadata, its lines, and the rules of the
/// OpenMetrics 2.0 data model that the grammar alone does not enforce.
struct OpenMetrics2FamilyState {
    let name: String
    private(set) var type = MetricType.unknown
    private var help = ""
    private var unit = ""
    private var seenMetadata: Set<String> = []
    private(set) var lines: [OpenMetrics2Line] = []

    /// The series (labels, sorted) of the previous line, every series seen before it, and the
    /// previous line's timestamp; for state sets the same for the group (labels without the state).
    private var series: [Label]?
    private var finishedSeries: Set<[Label]> = []
    private var previousTimestamp: Timestamp?
    private var group: [Label]?
    private var finishedGroups: Set<[Label]> = []

    init(name: String) {
        self.name = name
    }

    /// Applies a `# TYPE`, `# HELP` or `# UNIT` line's text (already unescaped for HELP).
    ///
    /// - Throws: a failure for metadata given twice or after a sample, an unknown type, a unit that
    ///   is not a run of name characters, or a unit on an info or state set.
    mutating func apply(keyword: String, text: String, scanner: LineScanner, at offset: Int)
        throws(LineScanner.Failure)
    {
        guard lines.isEmpty else {
            throw scanner.fail("# \(keyword) must come before the family's samples", at: offset)
        }
        guard seenMetadata.insert(keyword).inserted else {
            throw scanner.fail("more than one # \(keyword) for \(name)", at: offset)
        }
        switch keyword {
        case "TYPE":
            guard let parsed = MetricType(rawValue: text) else { throw scanner.fail("unknown metric type \"\(text)\"") }
            type = parsed
            if type == .info, !name.hasSuffix("_info") {
                throw scanner.fail("the name of an info family must end in _info (\(name) does not)", at: offset)
            }
        case "HELP":
            help = text
        default:
            guard text.utf8.allSatisfy({ LineScanner.isNameContinuation($0, colon: true) }) else {
                throw scanner.fail("a unit is made of letters, digits, _ and : (\"\(text)\" is not)")
            }
            unit = text
        }
        if !unit.isEmpty, type == .info || type == .stateSet {
            throw scanner.fail("\(type.rawValue) families cannot have a unit", at: offset)
        }
    }

    /// Checks a sample line of this family and adds it.
    ///
    /// - Throws: a failure for a value the family's type cannot have, a start timestamp on a type
    ///   without one, a series or state-set group that comes back after another, or samples of one
    ///   series without strictly increasing timestamps.
    mutating func add(_ line: OpenMetrics2Line, scanner: LineScanner, at offset: Int) throws(LineScanner.Failure) {
        var line = line
        try OpenMetrics2Rules.check(line, type: type, family: name, scanner: scanner, at: offset)
        if line.start != nil, !OpenMetrics2Line.carriesStart(type) {
            throw scanner.fail("a \(type.rawValue) sample has no start timestamp (st@)", at: offset)
        }
        // Exemplar problems drop the exemplars, never the exposition.
        if !OpenMetrics2Line.carriesExemplars(type) { line.exemplars = [] }
        try checkOrder(of: line, scanner: scanner, at: offset)
        lines.append(line)
    }

    private mutating func checkOrder(of line: OpenMetrics2Line, scanner: LineScanner, at offset: Int)
        throws(LineScanner.Failure)
    {
        let sorted = line.labels.sorted { ByteIdentity.precedes($0.name, $1.name) }
        if type == .stateSet {
            let lineGroup = sorted.filter { !ByteIdentity.equal($0.name, name) }
            if lineGroup != group {
                if let group { finishedGroups.insert(group) }
                guard !finishedGroups.contains(lineGroup) else {
                    throw scanner.fail("state set groups must not be interleaved", at: offset)
                }
                group = lineGroup
            }
        }
        if sorted == series {
            guard let previous = previousTimestamp, let timestamp = line.timestamp, previous < timestamp else {
                throw scanner.fail(
                    "samples of one series need strictly increasing timestamps (this one repeats it)", at: offset)
            }
        } else {
            if let series { finishedSeries.insert(series) }
            guard !finishedSeries.contains(sorted) else {
                throw scanner.fail("the samples of a series must be together (this series came before)", at: offset)
            }
            series = sorted
        }
        previousTimestamp = line.timestamp
    }

    /// The family in the model's shape (see ``OpenMetrics2Line/family(name:type:help:unit:lines:)``).
    func finish() -> MetricFamily {
        OpenMetrics2Line.family(name: name, type: type, help: help, unit: unit, lines: lines)
    }
}

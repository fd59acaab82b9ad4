/// Reads the Prometheus protobuf exposition (length-delimited `io.prometheus.client.MetricFamily`
/// messages, as ``ProtobufWriter`` and client_golang write them) into metric families, in the shape
/// the text parsers give: a counter `requests_total` is family `requests` with samples
/// `requests_total` and `requests_created`; a histogram has `_bucket` (with `+Inf`, which the format
/// may omit), `_count`, `_sum`, `_created`, and a sample named after the family holding its native
/// histogram when it has one; a summary its quantiles, `_count`, `_sum` and `_created`.
///
/// Every length is checked against the bytes, unknown fields are skipped, and a message of the
/// wrong shape is a ``ProtobufParseError`` naming the byte offset: hostile input cannot crash it or
/// make it allocate more than the input's size in samples.
public enum ProtobufParser {
    /// Parses every family of `bytes`.
    ///
    /// - Throws: `ProtobufParseError` for truncated or malformed data (nothing is returned then).
    public static func parse(_ bytes: [UInt8]) throws(ProtobufParseError) -> [MetricFamily] {
        let result: Result<[MetricFamily], ProtobufParseError> = bytes.withUnsafeBytes { raw in
            do throws(ProtobufParseError) {
                var families: [MetricFamily] = []
                var reader = ProtobufWire.Reader(raw, range: 0..<raw.count)
                while !reader.isAtEnd {
                    let start = reader.offset
                    let length = try reader.varint()
                    guard length <= UInt64(reader.end - reader.offset) else { throw .truncated(offset: start) }
                    let range = reader.offset..<(reader.offset + Int(length))
                    families.append(try family(in: raw, range: range))
                    reader = ProtobufWire.Reader(raw, range: range.upperBound..<raw.count)
                }
                return .success(families)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    typealias Bytes = UnsafeRawBufferPointer

    private static func family(in bytes: Bytes, range: Range<Int>) throws(ProtobufParseError) -> MetricFamily {
        var name = ""
        var help = ""
        var unit = ""
        var typeNumber: UInt64 = 3
        var metrics: [Range<Int>] = []
        var reader = ProtobufWire.Reader(bytes, range: range)
        while !reader.isAtEnd {
            let field = try reader.field()
            switch field.number {
            case 1: name = try string(field, bytes)
            case 2: help = try string(field, bytes)
            case 3: typeNumber = try varint(field)
            case 4: metrics.append(try payload(field))
            case 5: unit = try string(field, bytes)
            default: continue
            }
        }
        guard !name.isEmpty else { throw .invalid(offset: range.lowerBound, reason: "a metric family without a name") }
        var family: MetricFamily
        switch typeNumber {
        case 0:
            let base = name.hasSuffix("_total") ? String(name.dropLast(6)) : name
            family = MetricFamily(name: base, help: help, type: .counter, unit: unit)
        case 1: family = MetricFamily(name: name, help: help, type: .gauge, unit: unit)
        case 2: family = MetricFamily(name: name, help: help, type: .summary, unit: unit)
        case 3: family = MetricFamily(name: name, help: help, type: .unknown, unit: unit)
        case 4: family = MetricFamily(name: name, help: help, type: .histogram, unit: unit)
        case 5: family = MetricFamily(name: name, help: help, type: .gaugeHistogram, unit: unit)
        default: throw .invalid(offset: range.lowerBound, reason: "metric type \(typeNumber) of family \(name)")
        }
        for metric in metrics {
            try appendMetric(in: bytes, range: metric, sampleName: name, to: &family)
        }
        return family
    }

    private static func appendMetric(
        in bytes: Bytes, range: Range<Int>, sampleName: String, to family: inout MetricFamily
    ) throws(ProtobufParseError) {
        var labels: [Label] = []
        var timestamp: Timestamp?
        var value: Range<Int>?
        var reader = ProtobufWire.Reader(bytes, range: range)
        while !reader.isAtEnd {
            let field = try reader.field()
            switch field.number {
            case 1: labels.append(try labelPair(try payload(field), bytes))
            case 2, 3, 4, 5, 7: value = try payload(field)
            case 6:
                let milliseconds = Int64(bitPattern: try varint(field))
                timestamp = Timestamp(
                    seconds: Int128(milliseconds / 1000) - (milliseconds % 1000 < 0 ? 1 : 0),
                    nanoseconds: Int64((milliseconds % 1000 + 1000) % 1000) * 1_000_000)
            default: continue
            }
        }
        let body = value ?? range.upperBound..<range.upperBound
        func sample(_ name: String, _ value: Double, extra: [Label] = [], exemplar: Exemplar? = nil) -> Sample {
            Sample(name: name, labels: labels + extra, value: value, timestamp: timestamp, exemplar: exemplar)
        }
        let base = family.name
        switch family.type {
        case .counter:
            var total = 0.0
            var exemplar: Exemplar?
            var created: Double?
            try forEachField(in: body, bytes) { field throws(ProtobufParseError) in
                switch field.number {
                case 1: total = try double(field)
                case 2: exemplar = try self.exemplar(try payload(field), bytes)
                case 3: created = try timestampSeconds(try payload(field), bytes)
                default: break
                }
            }
            family.samples.append(sample(sampleName, total, exemplar: exemplar))
            if let created { family.samples.append(sample(base + "_created", created)) }
        case .gauge, .unknown:
            var number = 0.0
            try forEachField(in: body, bytes) { field throws(ProtobufParseError) in
                if field.number == 1 { number = try double(field) }
            }
            family.samples.append(sample(base, number))
        case .summary:
            var count = 0.0
            var sum = 0.0
            var quantiles: [(Double, Double)] = []
            var created: Double?
            try forEachField(in: body, bytes) { field throws(ProtobufParseError) in
                switch field.number {
                case 1: count = Double(try varint(field))
                case 2: sum = try double(field)
                case 3:
                    var quantile = 0.0
                    var quantileValue = 0.0
                    try forEachField(in: try payload(field), bytes) { inner throws(ProtobufParseError) in
                        if inner.number == 1 { quantile = try double(inner) }
                        if inner.number == 2 { quantileValue = try double(inner) }
                    }
                    quantiles.append((quantile, quantileValue))
                case 4: created = try timestampSeconds(try payload(field), bytes)
                default: break
                }
            }
            for (quantile, quantileValue) in quantiles {
                family.samples.append(
                    sample(base, quantileValue, extra: [Label("quantile", GoFloatFormat.string(quantile))]))
            }
            family.samples.append(sample(base + "_count", count))
            family.samples.append(sample(base + "_sum", sum))
            if let created { family.samples.append(sample(base + "_created", created)) }
        case .histogram, .gaugeHistogram:
            try appendHistogram(body, bytes, labels: labels, timestamp: timestamp, to: &family)
        case .info, .stateSet:
            break  // never produced by the format
        }
    }

    // MARK: - Fields

    static func forEachField(
        in range: Range<Int>, _ bytes: Bytes, _ body: (ProtobufWire.Field) throws(ProtobufParseError) -> Void
    ) throws(ProtobufParseError) {
        var reader = ProtobufWire.Reader(bytes, range: range)
        while !reader.isAtEnd {
            try body(try reader.field())
        }
    }

    private static func expect(_ field: ProtobufWire.Field, _ wireType: ProtobufWire.WireType)
        throws(ProtobufParseError)
    {
        guard field.wireType == wireType else {
            throw .invalid(
                offset: field.payload.lowerBound,
                reason: "field \(field.number) has wire type \(field.wireType.rawValue), not \(wireType.rawValue)")
        }
    }

    static func varint(_ field: ProtobufWire.Field) throws(ProtobufParseError) -> UInt64 {
        try expect(field, .varint)
        return field.scalar
    }

    static func double(_ field: ProtobufWire.Field) throws(ProtobufParseError) -> Double {
        try expect(field, .fixed64)
        return Double(bitPattern: field.scalar)
    }

    static func payload(_ field: ProtobufWire.Field) throws(ProtobufParseError) -> Range<Int> {
        try expect(field, .lengthDelimited)
        return field.payload
    }

    private static func string(_ field: ProtobufWire.Field, _ bytes: Bytes) throws(ProtobufParseError) -> String {
        let range = try payload(field)
        guard let text = String(validatingUTF8Bytes: UnsafeRawBufferPointer(rebasing: bytes[range])) else {
            throw .invalid(offset: range.lowerBound, reason: "a string that is not UTF-8")
        }
        return text
    }

    /// A packed (or, as parsers must accept, unpacked) repeated `sint64`.
    static func zigZags(_ field: ProtobufWire.Field, _ bytes: Bytes) throws(ProtobufParseError) -> [Int64] {
        if field.wireType == .varint { return [ProtobufWire.unZigZag(field.scalar)] }
        var reader = ProtobufWire.Reader(bytes, range: try payload(field))
        var values: [Int64] = []
        while !reader.isAtEnd { values.append(ProtobufWire.unZigZag(try reader.varint())) }
        return values
    }

    /// A packed (or unpacked) repeated `double`.
    static func doubles(_ field: ProtobufWire.Field, _ bytes: Bytes) throws(ProtobufParseError) -> [Double] {
        if field.wireType == .fixed64 { return [Double(bitPattern: field.scalar)] }
        let range = try payload(field)
        guard range.count % 8 == 0 else {
            throw .invalid(offset: range.lowerBound, reason: "packed doubles whose length is not a multiple of 8")
        }
        return stride(from: range.lowerBound, to: range.upperBound, by: 8).map { offset in
            var bits: UInt64 = 0
            for index in 0..<8 { bits |= UInt64(bytes[offset + index]) << (8 * index) }
            return Double(bitPattern: bits)
        }
    }

    private static func labelPair(_ range: Range<Int>, _ bytes: Bytes) throws(ProtobufParseError) -> Label {
        var name = ""
        var value = ""
        try forEachField(in: range, bytes) { field throws(ProtobufParseError) in
            if field.number == 1 { name = try string(field, bytes) }
            if field.number == 2 { value = try string(field, bytes) }
        }
        guard !name.isEmpty else { throw .invalid(offset: range.lowerBound, reason: "a label without a name") }
        return Label(name, value)
    }

    static func exemplar(_ range: Range<Int>, _ bytes: Bytes) throws(ProtobufParseError) -> Exemplar {
        var labels: [Label] = []
        var value = 0.0
        var timestamp: Timestamp?
        try forEachField(in: range, bytes) { field throws(ProtobufParseError) in
            switch field.number {
            case 1: labels.append(try labelPair(try payload(field), bytes))
            case 2: value = try double(field)
            case 3: timestamp = try timestampValue(try payload(field), bytes)
            default: break
            }
        }
        return Exemplar(labels: labels, value: value, timestamp: timestamp)
    }

    private static func timestampValue(_ range: Range<Int>, _ bytes: Bytes) throws(ProtobufParseError) -> Timestamp {
        var seconds: Int64 = 0
        var nanoseconds: Int64 = 0
        try forEachField(in: range, bytes) { field throws(ProtobufParseError) in
            if field.number == 1 { seconds = Int64(bitPattern: try varint(field)) }
            if field.number == 2 { nanoseconds = Int64(Int32(truncatingIfNeeded: try varint(field))) }
        }
        guard (0..<1_000_000_000).contains(nanoseconds) else {
            throw .invalid(offset: range.lowerBound, reason: "a timestamp with \(nanoseconds) nanoseconds")
        }
        return Timestamp(seconds: Int128(seconds), nanoseconds: nanoseconds)
    }

    static func timestampSeconds(_ range: Range<Int>, _ bytes: Bytes) throws(ProtobufParseError) -> Double {
        try timestampValue(range, bytes).unixSeconds
    }
}

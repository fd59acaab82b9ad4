import Testing

@testable import PrometheusClient
@testable import PrometheusMultiprocess

/// The exposition order of merged series, worked out on bytes in memory: what `MergedSeriesOrder`
/// promises, and the layout that `MergedLayout` cuts from it.
@Suite("Multiprocess merge: the order of merged series")
struct MergedSeriesOrderTests {
    static func series(
        _ family: String, _ sample: String? = nil, _ labels: [Label] = [], bound: Double? = nil,
        type: MetricType = .counter, help: String = "h"
    ) -> MergedSeriesTable.Series {
        MergedSeriesTable.Series(
            key: MergedSeriesKey(
                familyName: ByteString(family), sampleName: ByteString(sample ?? family + "_total"), labels: labels,
                bucketBound: bound),
            type: type, help: help, rule: .sum, isMonotonic: true)
    }

    static func orderedValues(_ values: [String]) -> [String] {
        let all = values.map { series("a", nil, [Label("x", $0)]) }
        return MergedSeriesOrder(all).numbers.map { values[$0] }
    }

    @Test func labelValuesAreOrderedByTheirBytesAPrefixFirst() {
        #expect(Self.orderedValues(["b", "ab", "a", ""]) == ["", "a", "ab", "b"])
    }

    @Test func aZeroByteInAValueSortsAfterTheValueItExtendsAndBeforeEveryOtherByte() {
        #expect(Self.orderedValues(["a\u{1}", "a\u{0}b", "a", "a\u{0}"]) == ["a", "a\u{0}", "a\u{0}b", "a\u{1}"])
    }

    @Test func canonicallyEquivalentValuesStayApartInByteOrder() {
        // "e" + combining acute is 65 CC 81; the precomposed é is C3 A9.
        #expect(Self.orderedValues(["\u{e9}", "e\u{301}"]) == ["e\u{301}", "\u{e9}"])
    }

    @Test func labelSetsCompareLabelByLabelNameBeforeValueAndFewerLabelsFirst() {
        let sets: [[Label]] = [
            [Label("b", "1")], [Label("a", "2")], [Label("a", "1"), Label("c", "1")], [Label("a", "1")],
        ]
        let order = MergedSeriesOrder(sets.map { Self.series("a", nil, $0) }).numbers
        #expect(order == [3, 2, 1, 0])
    }

    @Test func familiesAreOrderedByNameThenTypeAndKeepTheHelpOfTheirSeriesMetFirst() {
        let all = [
            Self.series("b", help: "first b"), Self.series("a", "a", type: .gauge, help: "gauge a"),
            Self.series("a", help: "counter a"), Self.series("b", "b_total", [Label("x", "1")], help: "second b"),
        ]
        let layout = MergedLayout(series: all)
        #expect(layout.families.map(\.name) == ["a", "a", "b"])
        #expect(layout.families.map(\.type) == [.counter, .gauge, .counter])
        #expect(layout.families.map(\.help) == ["counter a", "gauge a", "first b"])
        #expect(layout.sets[layout.families[2].sets].map(\.labels) == [[], [Label("x", "1")]])
    }

    @Test func bucketsAreOrderedByBoundAndEqualBoundsByTheSeriesMetFirst() {
        let all = [
            Self.series("h", "h_bucket", bound: .infinity, type: .histogram),
            Self.series("h", "h_bucket", bound: 1, type: .histogram),
            Self.series("h", "h_sum", type: .histogram),
            Self.series("h", "h_bucket", bound: 1, type: .histogram),
            Self.series("h", "h_bucket", bound: -2, type: .histogram),
        ]
        let layout = MergedLayout(series: all)
        #expect(layout.sets.count == 1)
        #expect(layout.buckets.map(\.series) == [4, 1, 3, 0])
        #expect(layout.others == [2])
    }

    @Test func otherSamplesOfALabelSetAreOrderedByName() {
        let all = [
            Self.series("s", "s_sum", type: .summary), Self.series("s", "s_count", type: .summary),
            Self.series("s", "s_sum", [Label("q", "1")], type: .summary),
        ]
        let layout = MergedLayout(series: all)
        #expect(layout.sets.map(\.labels) == [[], [Label("q", "1")]])
        #expect(layout.others == [1, 0, 2])
    }
}

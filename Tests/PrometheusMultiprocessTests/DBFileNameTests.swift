import PrometheusTestSupport
import Testing

@testable import PrometheusClient

@Suite("Multiprocess file names")
struct DBFileNameTests {
    @Test("counter, histogram and summary files carry the process id after the type")
    func typeFilesParse() {
        #expect(DBFileName(fileName: "counter_12.db") == DBFileName(kind: .counter, processIdentifier: "12"))
        #expect(DBFileName(fileName: "histogram_7.db") == DBFileName(kind: .histogram, processIdentifier: "7"))
        #expect(DBFileName(fileName: "summary_archive.db") == DBFileName(kind: .summary, processIdentifier: "archive"))
    }

    @Test("gauge files carry the mode, and Info and Enum files their own live kinds")
    func gaugeFilesParse() {
        #expect(
            DBFileName(fileName: "gauge_livesum_3.db") == DBFileName(kind: .gauge(.livesum), processIdentifier: "3"))
        #expect(DBFileName(fileName: "gauge_all_3.db") == DBFileName(kind: .gauge(.all), processIdentifier: "3"))
        #expect(DBFileName(fileName: "gauge_liveinfo_9.db") == DBFileName(kind: .info, processIdentifier: "9"))
        #expect(DBFileName(fileName: "gauge_livestateset_9.db") == DBFileName(kind: .stateSet, processIdentifier: "9"))
    }

    @Test("an identifier may itself contain underscores, as Python's custom process identifiers can")
    func identifierKeepsUnderscores() {
        #expect(DBFileName(fileName: "counter_a_b.db")?.processIdentifier == "a_b")
        #expect(DBFileName(fileName: "gauge_max_host_1.db")?.processIdentifier == "host_1")
    }

    @Test("names that are not multiprocess files are refused")
    func foreignNamesAreRefused() {
        for name in [
            "counter_.db", "counter.db", "gauge_all.db", "gauge_all_.db", "gauge_median_1.db", "timer_1.db",
            "counter_1.txt", ".db", "counter_1.db.tmp",
        ] {
            #expect(DBFileName(fileName: name) == nil, "\(name)")
        }
    }

    @Test("a parsed name gives back the same file name")
    func nameRoundTrips() {
        for name in ["counter_1.db", "gauge_livemostrecent_42.db", "gauge_liveinfo_archive.db"] {
            #expect(DBFileName(fileName: name)?.fileName == name)
        }
    }
}

import PrometheusTestSupport
import Testing

@testable import PrometheusClient

@Suite("Multiprocess file keys")
struct DBKeyTests {
    @Test("keys escape and sort exactly like Python's json.dumps(sort_keys=True)")
    func keyMatchesPythonJSON() {
        let key = DBKey.encode(
            familyName: "m",
            sampleName: "m_total",
            labels: [Label("é", "y"), Label("b", "\u{7f}/\"\\\n\t\u{01}"), Label("a", "😀"), Label("Z", "x")],
            help: "help \u{2028}"
        )
        let expected =
            #"["m", "m_total", {"Z": "x", "a": "\ud83d\ude00", "b": "\u007f/\"\\\n\t\u0001", "\u00e9": "y"}, "help \u2028"]"#
        #expect(String(decoding: key, as: UTF8.self) == expected)
    }

    @Test("raw UTF-8 in a key's strings is kept byte for byte; bytes that are not UTF-8 reject the key")
    func keyStringsAreValidatedUTF8() throws {
        func decode(_ bytes: [UInt8]) -> DBKey? {
            bytes.withUnsafeBufferPointer { try? DBKey(json: $0) }
        }
        let raw = Array(#"["m", "m_total", {"x": "e\#u{301}\#u{e9}"}, "h"]"#.utf8)
        #expect(decode(raw)?.labels.first?.value.utf8.elementsEqual([0x65, 0xCC, 0x81, 0xC3, 0xA9]) == true)
        for invalid: [UInt8] in [[0xFF], [0xC3], [0xC0, 0xAF], [0xED, 0xA0, 0x80]] {
            let key = Array(#"["m", "m_total", {"x": ""#.utf8) + invalid + Array(#""}, "h"]"#.utf8)
            #expect(decode(key) == nil, "\(invalid) was accepted")
        }
    }

    @Test("an entry is padded with 1 to 8 spaces, never 0")
    func paddingIsNeverZero() {
        #expect(DBFileLayout.paddingLength(forKeyLength: 60) == 8)
        #expect(DBFileLayout.paddingLength(forKeyLength: 61) == 7)
        #expect(DBFileLayout.paddingLength(forKeyLength: 27) == 1)
        #expect(DBFileLayout.entrySize(forKeyLength: 60) == 88)
    }

    @Test("a file of two counter entries matches the reference hexdump byte for byte")
    func fileMatchesReferenceHexdump() {
        let first = DBKey.encode(
            familyName: "hits", sampleName: "hits_total", labels: [Label("path", "/"), Label("code", "200")],
            help: "Hits")
        let second = DBKey.encode(
            familyName: "hits", sampleName: "hits_total", labels: [Label("path", "/x"), Label("code", "500")],
            help: "Hits")
        let file = DBFileLayout.makeFile(entries: [(first, 3.0, 0.0), (second, 0.5, 0.0)])
        #expect(file.count == 65536)
        #expect(Array(file[0..<8]) == [0xB8, 0, 0, 0, 0, 0, 0, 0])
        #expect(Array(file[8..<12]) == [0x3C, 0, 0, 0])
        #expect(Array(file[0x48..<0x50]) == Array("        ".utf8))
        #expect(Array(file[0x50..<0x58]) == [0, 0, 0, 0, 0, 0, 0x08, 0x40])
        #expect(Array(file[0xA8..<0xB0]) == [0, 0, 0, 0, 0, 0, 0xE0, 0x3F])
        #expect(file[0xB8...].allSatisfy { $0 == 0 })
    }
}

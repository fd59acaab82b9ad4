import Foundation
import PrometheusTestSupport
import Testing

@testable import PrometheusClient

@Suite struct GoFloatFormatTests {
    static let samples: [Double] = [
        0, -0.0, 1, 0.1, 0.25, 1e-5, 1e-4, 2.5e-7, 100, 123_456, 1_234_567, 1e6, 1e10, 12_345_678_901,
        1e15, 9.5e15, 9_007_199_254_740_992, 1e16, 1e22, 1.7976931348623157e308, -1_234_567, -1e20,
        .leastNonzeroMagnitude, 0.005, 2.5, 7.5, 10, .infinity, -.infinity, .nan,
    ]

    @Test func specialValuesUseThePrometheusSpelling() {
        #expect(GoFloatFormat.string(.infinity) == "+Inf")
        #expect(GoFloatFormat.string(-.infinity) == "-Inf")
        #expect(GoFloatFormat.string(.nan) == "NaN")
    }

    @Test func largeValuesUseGoTwoDigitExponents() {
        #expect(GoFloatFormat.string(1e6) == "1e+06")
        #expect(GoFloatFormat.string(1e10) == "1e+10")
        #expect(GoFloatFormat.string(12_345_678_901) == "1.2345678901e+10")
        #expect(GoFloatFormat.pythonString(1e10) == "1e+010")
    }

    @Test func pythonStringEqualsPythonsFloatToGoString() throws {
        let python = try ExternalTool.runPython(
            """
            import sys
            from prometheus_client.utils import floatToGoString
            for arg in sys.argv[1:]:
                print(floatToGoString(float(arg)))
            """,
            arguments: Self.samples.map { $0.isNaN ? "nan" : "\($0)" })
        let expected = python.split(separator: "\n").map(String.init)
        // 0.26 fixed the three-digit exponent (`1e+010`) and writes Go's form, as `string` does.
        let ours = ExternalTool.pythonClientVersion == "0.25.0" ? GoFloatFormat.pythonString : GoFloatFormat.string
        #expect(Self.samples.map(ours) == expected)
    }

    @Test func pythonReprEqualsPythonsRepr() throws {
        let finite = Self.samples.filter(\.isFinite)
        let python = try ExternalTool.runPython(
            "import sys\nfor arg in sys.argv[1:]:\n    print(repr(float(arg)))",
            arguments: finite.map { "\($0)" })
        #expect(finite.map(GoFloatFormat.pythonRepr) == python.split(separator: "\n").map(String.init))
    }
}

@Suite struct GoFloatFormatAppendTests {
    @Test func appendingBytesEqualsTheStringForm() {
        var values =
            GoFloatFormatTests.samples + [-0.0, 999_999, 1_000_000, -999_999_999_999_999, 1_795_576_531.519011, 21.5]
        for exponent in -320...308 { values.append(1.234567 * pow(10, Double(exponent))) }
        for index in 0..<2000 { values.append(Double(index) * 0.37 - 200) }
        // Integral values take their own path: every digit count, both signs, around 1e6 and 2^53.
        var power = 1.0
        for _ in 0..<17 {
            values += [power, power - 1, power + 1, -power, -power + 1, 7 * power, 1_234_567 * power]
            power *= 10
        }
        values += [9_007_199_254_740_991, 9_007_199_254_740_992, -9_007_199_254_740_991, 1_700_000_000.123456]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5000 {
            values.append(Double(bitPattern: generator.next()))
            values.append(Double(Int64.random(in: -1 << 53...1 << 53, using: &generator)))
        }
        for value in values {
            var bytes: [UInt8] = []
            GoFloatFormat.append(value, to: &bytes)
            #expect(String(decoding: bytes, as: UTF8.self) == GoFloatFormat.string(value), "\(value)")
        }
    }
}

import Foundation
import PrometheusTestSupport
import Testing

@testable import PrometheusClient
@testable import PrometheusPush

@Suite("Pushgateway group paths")
struct PushgatewayPathTests {
    static let trickyKey = [
        "instance": "a/b", "e": "", "plain": "ok+&?é", "zone": "x y", "uni": "😀ü", "pct": "50%", "tilde": "a~b.c-d_e",
    ]

    @Test("paths match Python's push_to_gateway for tricky jobs and grouping keys")
    func pathsMatchPython() throws {
        let script = """
            import json, sys
            from prometheus_client import CollectorRegistry, push_to_gateway
            def capture(url, method, timeout, headers, data):
                def send():
                    sys.stdout.write(url)
                return send
            push_to_gateway('localhost:9091', job=sys.argv[1], registry=CollectorRegistry(),
                            grouping_key=json.loads(sys.argv[2]), handler=capture)
            """
        for job in ["my job", "a/b", "plain", "ü+?", ""] {
            let key = String(decoding: try JSONSerialization.data(withJSONObject: Self.trickyKey), as: UTF8.self)
            let python = try ExternalTool.runPython(script, arguments: [job, key])
            let pythonPath = String(python.dropFirst("http://localhost:9091".count))
            if job.isEmpty {
                // Python sends `job@base64/=`, which the gateway rejects; we refuse before sending.
                #expect(pythonPath.hasPrefix("/metrics/job@base64/=/"))
                #expect(throws: PushError.self) { try PushgatewayPath.path(job: job, groupingKey: Self.trickyKey) }
            } else {
                #expect(try PushgatewayPath.path(job: job, groupingKey: Self.trickyKey) == pythonPath)
            }
        }
    }

    @Test("the example from Python's documentation")
    func documentedExample() throws {
        let path = try PushgatewayPath.path(
            job: "my job", groupingKey: ["e": "", "instance": "a/b", "plain": "ok+&?é", "zone": "x y"])
        #expect(
            path
                == "/metrics/job@base64/bXkgam9i/e@base64/=/instance@base64/YS9i/plain/ok%2B%26%3F%C3%A9/zone@base64/eCB5"
        )
    }

    @Test("dot segments are sent in base64 so that no HTTP stack collapses them")
    func dotSegmentsUseBase64() throws {
        #expect(PushgatewayPathTests.component(".") == "v@base64/Lg==")
        #expect(PushgatewayPathTests.component("..") == "v@base64/Li4=")
        #expect(PushgatewayPathTests.component("...") == "v/...")
    }

    static func component(_ value: String) -> String {
        PushgatewayPath.component(name: "v", value: value)
    }

    @Test("grouping-key names the gateway would reject are typed errors before sending")
    func invalidNamesAreRejected() {
        for name in ["", "a.b", "1a", "__x", "job", "a/b", "ü"] {
            #expect(throws: PushError.self, "name \(name)") {
                try PushgatewayPath.path(job: "j", groupingKey: [name: "v"])
            }
        }
        #expect(throws: PushError.invalidJob("", reason: "the Pushgateway requires a non-empty job name")) {
            try PushgatewayPath.path(job: "", groupingKey: [:])
        }
    }
}

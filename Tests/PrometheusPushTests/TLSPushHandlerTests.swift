import Foundation
import PrometheusTestSupport
import Testing

@testable import PrometheusClient
@testable import PrometheusPush

/// Pushing over HTTPS with a client certificate (Python's `tls_auth_handler`) to a real Pushgateway
/// started with a TLS web config that requires client certificates.
@Suite("Pushing over TLS with a client certificate", .serialized)
struct TLSPushHandlerTests {
    private func gateway(_ certificates: TestCertificates) throws -> PushgatewayProcess {
        let webConfig = """
            tls_server_config:
              cert_file: \(certificates.path("server.pem"))
              key_file: \(certificates.path("server.key"))
              client_auth_type: RequireAndVerifyClientCert
              client_ca_file: \(certificates.path("ca.pem"))
            """
        return try PushgatewayProcess(
            webConfig: webConfig,
            httpsCurlOptions: [
                "--cacert", certificates.path("ca.pem"), "--cert", certificates.path("client.pem"), "--key",
                certificates.path("client.key"),
            ])
    }

    private func registry() throws -> CollectorRegistry {
        let registry = CollectorRegistry()
        let counter = try Counter(name: "tls_batch_records", help: "Records.", registry: registry)
        counter.inc(by: 42)
        return registry
    }

    @Test("a push with a client certificate reaches a Pushgateway that requires one")
    func pushWithClientCertificate() throws {
        let certificates = try TestCertificates()
        let process = try gateway(certificates)
        defer { process.stop() }
        let handler = try TLSPushHandler(
            caFile: certificates.path("ca.pem"), certificateFile: certificates.path("client.pem"),
            privateKeyFile: certificates.path("client.key"))
        let gateway = try Pushgateway("https://\(process.address)", timeout: .seconds(10), handler: handler)
        try gateway.push(job: "nightly", groupingKey: ["shard": "3"], registry: registry())
        #expect(
            try process.exposition().contains("tls_batch_records_total{instance=\"\",job=\"nightly\",shard=\"3\"} 42"))
        try gateway.delete(job: "nightly", groupingKey: ["shard": "3"])
        #expect(!(try process.exposition().contains("tls_batch_records_total")))
    }

    @Test("without a client certificate, or with one from another CA, the push fails with a transport error")
    func pushWithoutAcceptedCertificateFails() throws {
        let certificates = try TestCertificates()
        let process = try gateway(certificates)
        defer { process.stop() }
        let handlers = [
            try TLSPushHandler(caFile: certificates.path("ca.pem")),
            try TLSPushHandler(
                caFile: certificates.path("ca.pem"), certificateFile: certificates.path("other-client.pem"),
                privateKeyFile: certificates.path("other-client.key")),
        ]
        for handler in handlers {
            let gateway = try Pushgateway("https://\(process.address)", timeout: .seconds(10), handler: handler)
            #expect(throws: PushError.self) { try gateway.push(job: "nightly", registry: registry()) }
        }
        #expect(!(try process.exposition().contains("tls_batch_records_total")))
    }

    @Test("a gateway whose certificate does not verify against the CA is refused")
    func untrustedGatewayIsRefused() throws {
        let certificates = try TestCertificates()
        let process = try gateway(certificates)
        defer { process.stop() }
        let handler = try TLSPushHandler(
            caFile: certificates.path("other-ca.pem"), certificateFile: certificates.path("client.pem"),
            privateKeyFile: certificates.path("client.key"))
        let gateway = try Pushgateway("https://\(process.address)", timeout: .seconds(10), handler: handler)
        do {
            try gateway.push(job: "nightly", registry: registry())
            Issue.record("the push to an unverified gateway succeeded")
        } catch {
            guard case .transportFailed(_, let reason)? = error as? PushError else {
                Issue.record("expected transportFailed, got \(error)")
                return
            }
            #expect(reason.contains("TLS"))
        }
    }

    @Test("unusable certificate, key or CA files are typed errors naming the file")
    func unusableFilesAreTypedErrors() throws {
        let certificates = try TestCertificates()
        let missing = certificates.path("absent.pem")
        let cases: [(() throws(PushError) -> TLSPushHandler, String)] = [
            ({ () throws(PushError) in try TLSPushHandler(caFile: missing) }, "CA file"),
            (
                { () throws(PushError) in
                    try TLSPushHandler(certificateFile: missing, privateKeyFile: certificates.path("client.key"))
                }, "certificate"
            ),
            (
                { () throws(PushError) in
                    try TLSPushHandler(certificateFile: certificates.path("client.pem"), privateKeyFile: missing)
                }, "private key"
            ),
        ]
        for (make, role) in cases {
            do {
                _ = try make()
                Issue.record("\(role): expected an error")
            } catch {
                #expect(error == .tlsFileUnusable(role: role, path: missing, reason: reasonOf(error)))
            }
        }
    }

    @Test("http:// URLs are refused: the handler speaks HTTPS only")
    func plainHTTPIsRefused() throws {
        let handler = try TLSPushHandler(verifyGateway: false)
        let gateway = try Pushgateway("http://127.0.0.1:9", timeout: .seconds(2), handler: handler)
        #expect(throws: PushError.self) { try gateway.push(job: "nightly", registry: registry()) }
    }

    @Test("answers framed by Content-Length, chunks or the close are parsed; malformed ones are not")
    func responseParsing() {
        let length = TLSPushHandler.parse(Array("HTTP/1.1 400 Bad Request\r\nContent-Length: 3\r\n\r\nbad".utf8))
        #expect(length == PushResponse(statusCode: 400, body: Array("bad".utf8)))
        let chunked = TLSPushHandler.parse(
            Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n".utf8))
        #expect(chunked == PushResponse(statusCode: 200, body: Array("abcde".utf8)))
        let redirect = TLSPushHandler.parse(Array("HTTP/1.1 307 Temporary Redirect\r\nLocation: /x\r\n\r\n".utf8))
        #expect(redirect == PushResponse(statusCode: 307, location: "/x"))
        #expect(TLSPushHandler.parse(Array("garbage".utf8)) == nil)
        #expect(TLSPushHandler.parse(Array("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort".utf8)) == nil)
    }

    private func reasonOf(_ error: PushError) -> String {
        if case .tlsFileUnusable(_, _, let reason) = error { return reason }
        return ""
    }
}

import Foundation
import Glibc
import PrometheusTestSupport
import Testing

@testable import PrometheusClient
@testable import PrometheusServing

/// HTTPS on the built-in server, checked with real clients (curl, a real Prometheus) and
/// certificates made by the `openssl` command.
@Suite("Built-in server over TLS", .serialized)
struct TLSServingTests {
    /// The test PKI's server certificate, checking clients against its CA.
    private func serverTLS(
        _ certificates: TestCertificates, clientCADirectory: String? = nil,
        clientAuthentication: MetricsServerTLS.ClientAuthentication = .none,
        minimumVersion: MetricsServerTLS.MinimumVersion = .tls12,
        maximumVersion: MetricsServerTLS.MaximumVersion = .tls13, reloadInterval: Double? = 10
    ) -> MetricsServerTLS {
        MetricsServerTLS(
            certificateFile: certificates.path("server.pem"), privateKeyFile: certificates.path("server.key"),
            clientCAFile: clientCADirectory == nil ? certificates.path("ca.pem") : nil,
            clientCADirectory: clientCADirectory, clientAuthentication: clientAuthentication,
            minimumVersion: minimumVersion, maximumVersion: maximumVersion, reloadInterval: reloadInterval)
    }

    private func withTLSServer(_ tls: MetricsServerTLS, _ body: (MetricsServer) throws -> Void) throws {
        let registry = CollectorRegistry()
        let counter = try Counter(name: "tls_requests", help: "Requests.", registry: registry)
        counter.inc(by: 7)
        var options = MetricsServerOptions()
        options.tls = tls
        options.requestTimeout = 2
        let server = try MetricsServer.start(port: 0, address: "127.0.0.1", registry: registry, options: options)
        defer { server.stop() }
        try body(server)
    }

    /// curl against the server; returns its exit status and body.
    private func curl(
        _ certificates: TestCertificates, port: Int, _ extra: [String] = [], caFile: String = "ca.pem"
    ) throws -> (status: Int32, body: String) {
        let curl = try ExternalTool.require("curl")
        let output = try ExternalTool.run(
            curl,
            ["-sS", "--max-time", "10", "--cacert", certificates.path(caFile)] + extra + [
                "https://127.0.0.1:\(port)/metrics"
            ], timeout: 30)
        return (output.status, output.standardOutput)
    }

    @Test("serves HTTPS over TLS 1.2 and TLS 1.3")
    func servesBothProtocolVersions() throws {
        let certificates = try TestCertificates()
        try withTLSServer(serverTLS(certificates)) { (server: MetricsServer) throws in
            for version in [["--tlsv1.2", "--tls-max", "1.2"], ["--tlsv1.3"]] {
                let result = try curl(certificates, port: server.port, version)
                #expect(result.status == 0, "curl \(version) exited \(result.status)")
                #expect(result.body.contains("tls_requests_total 7.0"))
            }
        }
    }

    @Test("a TLS 1.3 minimum refuses a TLS 1.2 client")
    func minimumVersionIsEnforced() throws {
        let certificates = try TestCertificates()
        try withTLSServer(serverTLS(certificates, minimumVersion: .tls13)) { (server: MetricsServer) throws in
            #expect(try curl(certificates, port: server.port, ["--tlsv1.2", "--tls-max", "1.2"]).status != 0)
            #expect(try curl(certificates, port: server.port, ["--tlsv1.3"]).status == 0)
        }
    }

    @Test("a TLS 1.2 maximum refuses a client that speaks only TLS 1.3 (Python 0.26's tls_max_version)")
    func maximumVersionIsEnforced() throws {
        let certificates = try TestCertificates()
        try withTLSServer(serverTLS(certificates, maximumVersion: .tls12)) { (server: MetricsServer) throws in
            #expect(try curl(certificates, port: server.port, ["--tlsv1.3"]).status != 0)
            let result = try curl(certificates, port: server.port, ["--tlsv1.2"])
            #expect(result.status == 0)
            #expect(result.body.contains("tls_requests_total 7.0"))
        }
    }

    @Test("a maximum below the minimum is refused at start, naming the option")
    func maximumBelowMinimumIsRefused() throws {
        let certificates = try TestCertificates()
        var options = MetricsServerOptions()
        options.tls = serverTLS(certificates, minimumVersion: .tls13, maximumVersion: .tls12)
        do {
            let server = try MetricsServer.start(
                port: 0, address: "127.0.0.1", registry: CollectorRegistry(), options: options)
            server.stop()
            Issue.record("a TLS 1.3 minimum with a TLS 1.2 maximum must be refused")
        } catch {
            guard case .invalidOption(let name, _) = error else {
                Issue.record("expected invalidOption, got \(error)")
                return
            }
            #expect(name == "tls.maximumVersion")
        }
    }

    @Test("required client certificates: refused without one or with one from another CA, served with one")
    func requiredClientCertificates() throws {
        let certificates = try TestCertificates()
        try withTLSServer(serverTLS(certificates, clientAuthentication: .required)) {
            (server: MetricsServer) throws in
            #expect(try curl(certificates, port: server.port).status != 0)
            let intruder = [
                "--cert", certificates.path("other-client.pem"), "--key", certificates.path("other-client.key"),
            ]
            #expect(try curl(certificates, port: server.port, intruder).status != 0)
            let scraper = ["--cert", certificates.path("client.pem"), "--key", certificates.path("client.key")]
            let result = try curl(certificates, port: server.port, scraper)
            #expect(result.status == 0)
            #expect(result.body.contains("tls_requests_total 7.0"))
        }
    }

    @Test("optional client certificates: served without one, refused with one that does not verify")
    func optionalClientCertificates() throws {
        let certificates = try TestCertificates()
        try withTLSServer(serverTLS(certificates, clientAuthentication: .optional)) {
            (server: MetricsServer) throws in
            #expect(try curl(certificates, port: server.port).status == 0)
            let scraper = ["--cert", certificates.path("client.pem"), "--key", certificates.path("client.key")]
            #expect(try curl(certificates, port: server.port, scraper).status == 0)
            let intruder = [
                "--cert", certificates.path("other-client.pem"), "--key", certificates.path("other-client.key"),
            ]
            #expect(try curl(certificates, port: server.port, intruder).status != 0)
        }
    }

    @Test("a client CA directory in OpenSSL's hashed layout checks client certificates")
    func clientCADirectory() throws {
        let certificates = try TestCertificates()
        let directory = certificates.directory.appendingPathComponent("cas")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            atPath: certificates.path("ca.pem"), toPath: directory.appendingPathComponent("ca.pem").path)
        let rehash = try ExternalTool.run(try ExternalTool.require("openssl"), ["rehash", directory.path])
        #expect(rehash.status == 0)
        try withTLSServer(serverTLS(certificates, clientCADirectory: directory.path, clientAuthentication: .required)) {
            (server: MetricsServer) throws in
            #expect(try curl(certificates, port: server.port).status != 0)
            let scraper = ["--cert", certificates.path("client.pem"), "--key", certificates.path("client.key")]
            #expect(try curl(certificates, port: server.port, scraper).status == 0)
        }
    }

    @Test("missing or wrong TLS files are typed errors at start naming the file and its role")
    func unusableFilesAreTypedErrors() throws {
        let certificates = try TestCertificates()
        func startError(_ tls: MetricsServerTLS) -> ServingError? {
            var options = MetricsServerOptions()
            options.tls = tls
            do {
                let server = try MetricsServer.start(
                    port: 0, address: "127.0.0.1", registry: CollectorRegistry(), options: options)
                server.stop()
                return nil
            } catch {
                return error
            }
        }
        let missing = certificates.path("absent.pem")
        let certificate = certificates.path("server.pem")
        let key = certificates.path("server.key")
        let cases: [(MetricsServerTLS, String, String)] = [
            (MetricsServerTLS(certificateFile: missing, privateKeyFile: key), "certificate", missing),
            (MetricsServerTLS(certificateFile: key, privateKeyFile: key), "certificate", key),
            (MetricsServerTLS(certificateFile: certificate, privateKeyFile: missing), "private key", missing),
            (
                MetricsServerTLS(certificateFile: certificate, privateKeyFile: certificates.path("client.key")),
                "private key", certificates.path("client.key")
            ),
            (
                MetricsServerTLS(
                    certificateFile: certificate, privateKeyFile: key, clientCAFile: missing,
                    clientAuthentication: .required), "CA file", missing
            ),
        ]
        for (tls, role, path) in cases {
            let error = startError(tls)
            guard case .tlsFileUnusable(let reportedRole, let reportedPath, let reason)? = error else {
                Issue.record("expected tlsFileUnusable for \(role) \(path), got \(String(describing: error))")
                continue
            }
            #expect(reportedRole == role)
            #expect(reportedPath == path)
            #expect(!reason.isEmpty)
            #expect(error!.description.contains(path))
        }
        let noCA = MetricsServerTLS(certificateFile: certificate, privateKeyFile: key, clientAuthentication: .required)
        guard case .invalidOption(let name, _)? = startError(noCA) else {
            Issue.record("client authentication without a CA must be refused")
            return
        }
        #expect(name == "tls.clientAuthentication")
    }

    @Test("a stalled handshake holds only its descriptor: other clients are served and it is cut off")
    func stalledHandshakeHoldsNothingElse() throws {
        let certificates = try TestCertificates()
        try withTLSServer(serverTLS(certificates)) { (server: MetricsServer) throws in
            let silent = try (0..<20).map { _ in try RawHTTPClient(port: server.port) }
            let partial = try RawHTTPClient(port: server.port)
            partial.send([0x16, 0x03, 0x01, 0x02, 0x00, 0x01])  // the first bytes of a ClientHello, then nothing
            for _ in 0..<3 { #expect(try curl(certificates, port: server.port).status == 0) }
            // The request timeout (2 s here) covers the handshake.
            #expect(partial.isClosedByPeer(within: 6))
            for client in silent { #expect(client.isClosedByPeer(within: 6)) }
        }
    }

    @Test("plain HTTP on the TLS port is refused without disturbing the server")
    func plainHTTPOnTheTLSPortIsRefused() throws {
        let certificates = try TestCertificates()
        try withTLSServer(serverTLS(certificates)) { (server: MetricsServer) throws in
            let client = try RawHTTPClient(port: server.port)
            client.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(client.isClosedByPeer(within: 5))
            #expect(try curl(certificates, port: server.port).status == 0)
        }
    }

    @Test("a renewed certificate is served to new connections without a restart")
    func certificateReload() throws {
        let certificates = try TestCertificates()
        try certificates.authority("renewal-ca")
        try withTLSServer(serverTLS(certificates, reloadInterval: 0.2)) { (server: MetricsServer) throws in
            #expect(try curl(certificates, port: server.port).status == 0)
            #expect(try curl(certificates, port: server.port, caFile: "renewal-ca.pem").status != 0)
            try certificates.serverCertificate("renewed", signedBy: "renewal-ca")
            // Key first, then certificate, each replaced by rename as a deployment tool does.
            for suffix in ["key", "pem"] {
                _ = rename(certificates.path("renewed.\(suffix)"), certificates.path("server.\(suffix)"))
            }
            let deadline = Date().addingTimeInterval(10)
            var renewed = false
            while !renewed && Date() < deadline {
                renewed = try curl(certificates, port: server.port, caFile: "renewal-ca.pem").status == 0
                if !renewed { usleep(200_000) }
            }
            #expect(renewed, "the renewed certificate was not served within 10 s")
        }
    }

    @Test("a real Prometheus scrapes over HTTPS with a client certificate, and is refused without one")
    func prometheusScrapesOverHTTPS() throws {
        let binary = try ExternalTool.require("prometheus")
        let certificates = try TestCertificates()
        try withTLSServer(serverTLS(certificates, clientAuthentication: .required)) {
            (server: MetricsServer) throws in
            let target = "127.0.0.1:\(server.port)"
            let withCertificate = try PrometheusServer(
                binary: binary, target: target, job: "tls",
                scrapeSettings: """
                    scheme: https
                    tls_config:
                      ca_file: \(certificates.path("ca.pem"))
                      cert_file: \(certificates.path("client.pem"))
                      key_file: \(certificates.path("client.key"))
                    """)
            let value = try withCertificate.waitForValue("tls_requests_total", timeout: 30) { $0 == 7 }
            #expect(value == 7)
            withCertificate.stop()

            let withoutCertificate = try PrometheusServer(
                binary: binary, target: target, job: "tls",
                scrapeSettings: """
                    scheme: https
                    tls_config:
                      ca_file: \(certificates.path("ca.pem"))
                    """)
            let up = try withoutCertificate.waitForValue("up", timeout: 30) { _ in true }
            #expect(up == 0, "a scrape without a client certificate must fail")
            #expect(try withoutCertificate.query("tls_requests_total") == nil)
        }
    }
}

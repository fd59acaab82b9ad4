import Foundation
import Testing

/// A throw-away PKI made with the real `openssl` command: a CA, a server certificate for
/// 127.0.0.1 and localhost, and a client certificate, all signed by the CA, in a temporary
/// directory removed when released. A second, unrelated CA and client make "the wrong CA" cases.
package final class TestCertificates {
    package let directory: URL
    private let openssl: String

    package init() throws {
        openssl = try ExternalTool.require("openssl")
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try authority("ca")
        try leaf("server", signedBy: "ca", subject: "/CN=localhost", extensions: serverExtensions)
        try leaf("client", signedBy: "ca", subject: "/CN=scraper", extensions: clientExtensions)
        try authority("other-ca")
        try leaf("other-client", signedBy: "other-ca", subject: "/CN=intruder", extensions: clientExtensions)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    /// The path of `name` in the directory (`ca.pem`, `server.key`, ...).
    package func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Makes a new server certificate and key signed by `authority`, written to `name`.pem/.key.
    package func serverCertificate(_ name: String, signedBy authority: String) throws {
        try leaf(name, signedBy: authority, subject: "/CN=localhost", extensions: serverExtensions)
    }

    /// Makes a self-signed CA `name`.pem with key `name`.key.
    package func authority(_ name: String) throws {
        try openssl(
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
            path("\(name).key"), "-out", path("\(name).pem"), "-days", "2", "-subj", "/CN=Test \(name)")
    }

    private let serverExtensions = "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n"
    private let clientExtensions = "extendedKeyUsage=clientAuth\n"

    private func leaf(_ name: String, signedBy authority: String, subject: String, extensions: String) throws {
        try openssl(
            "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
            path("\(name).key"), "-out", path("\(name).csr"), "-subj", subject)
        try extensions.write(toFile: path("\(name).ext"), atomically: true, encoding: .utf8)
        try openssl(
            "x509", "-req", "-in", path("\(name).csr"), "-CA", path("\(authority).pem"), "-CAkey",
            path("\(authority).key"), "-CAcreateserial", "-out", path("\(name).pem"), "-days", "2", "-extfile",
            path("\(name).ext"))
    }

    private func openssl(_ arguments: String...) throws {
        let output = try ExternalTool.run(openssl, arguments, timeout: 60)
        guard output.status == 0 else { throw ExternalTool.ToolFailure(tool: "openssl", output: output) }
    }
}

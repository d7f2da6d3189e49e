import Testing
@testable import TollgateMail

@Suite struct MailTransportConfigurationTests {
    @Test func smtpRequiresStartTLSByDefault() throws {
        let configuration = try MailTransportConfiguration.parse(url: "smtp://user%40x:p%40ss%2Fw@mail.example.com/client.example?timeout=5")
        guard case .smtp(let smtp) = configuration else { Issue.record("not smtp"); return }
        #expect(smtp.security == .startTLS)
        #expect(smtp.port == 587)
        #expect(smtp.username == "user@x")
        #expect(smtp.password == "p@ss/w")
        #expect(smtp.ehloName == "client.example")
        #expect(smtp.timeout == .seconds(5))
        #expect(smtp.curlURL == "smtp://mail.example.com:587/client.example")
        #expect(!configuration.description.contains("p@ss"))
    }

    @Test func smtpsAndOptOut() throws {
        guard case .smtp(let smtps) = try MailTransportConfiguration.parse(url: "smtps://mail.example.com") else { Issue.record("not smtp"); return }
        #expect(smtps.security == .implicitTLS && smtps.port == 465)
        guard case .smtp(let plain) = try MailTransportConfiguration.parse(url: "smtp://127.0.0.1:2525?tls=none") else { Issue.record("not smtp"); return }
        #expect(plain.security == SMTPConfiguration.Security.none && plain.port == 2525)
    }

    @Test func fileAndPostmark() throws {
        #expect(try MailTransportConfiguration.parse(url: "file:///tmp/mail") == .file(directory: "/tmp/mail"))
        guard case .postmark(let postmark) = try MailTransportConfiguration.parse(url: "postmark://tok-123@127.0.0.1:8080?scheme=http&stream=broadcast") else {
            Issue.record("not postmark"); return
        }
        #expect(postmark.serverToken == "tok-123" && postmark.baseURL == "http://127.0.0.1:8080" && postmark.messageStream == "broadcast")
        #expect(!MailTransportConfiguration.postmark(postmark).description.contains("tok-123"))
    }

    @Test(arguments: [
        ("ftp://x", "unsupported scheme ftp"),
        ("smtp:///nohost", "has no host"),
        ("smtps://h?tls=none", "option tls"),
        ("smtp://h?colour=blue", "unknown option colour"),
        ("smtp://h?timeout=abc", "option timeout"),
        ("smtp://h?cafile=/does/not/exist.pem", "cafile /does/not/exist.pem is not a readable file"),
        ("file://host/dir", "must not name a host"),
        ("postmark://api.postmarkapp.com", "server token"),
        ("postmark://tok:s3cret-pw@api.postmarkapp.com", "token as user name only"),
        ("smtp://u:s3cret-pw@h?tls=maybe", "option tls"),
    ])
    func invalidURLsNameTheProblem(url: String, expected: String) {
        do {
            _ = try MailTransportConfiguration.parse(url: url)
            Issue.record("\(url) was accepted")
        } catch {
            #expect(error.code == .invalidConfiguration)
            #expect(error.description.contains(expected), "\(error)")
            #expect(!error.description.contains("s3cret-pw"))
        }
    }

    @Test func missingVariableIsExplained() {
        #expect(throws: MailError.self) { try MailTransportConfiguration.fromEnvironment([:]) }
    }
}

import Foundation
import Testing
@testable import TollgateMail

@Suite struct FileTransportTests {
    @Test func writesOneParsableEMLPerMail() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tollgate-eml-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        guard case .file(let path) = try MailTransportConfiguration.parse(url: "file://\(directory)") else { Issue.record("not file"); return }
        let transport = MailTransportConfiguration.file(directory: path).makeTransport()
        let mail = OutgoingMailMIMETests.mail(subject: "Grüße aus Tollgate")
        let sent = try transport.send(mail)
        // Another mail (its own dedupe key, so its own Message-ID and file), possibly in the same millisecond.
        _ = try transport.send(OutgoingMailMIMETests.mail(dedupeKey: "trial_ending:sub_456"))
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".eml") }
        #expect(files.count == 2)
        let written = try #require(sent.serverResponse)
        let message = try String(contentsOfFile: written, encoding: .utf8)
        let (headers, body) = OutgoingMailMIMETests.split(message)
        #expect(headers["message-id"] == mail.messageID)
        #expect(headers["to"] == "\"Ada Lovelace\" <ada@example.com>")
        #expect(headers["subject"]?.hasPrefix("=?UTF-8?B?") == true)
        let boundary = try #require(headers["content-type"]?.split(separator: "\"").dropFirst().first)
        #expect(body.components(separatedBy: "--\(boundary)\r\n").count == 3)
        #expect(body.hasSuffix("--\(boundary)--\r\n"))
    }

    @Test func unwritableDirectoryIsAFileSystemError() {
        let transport = FileTransport(directory: "/proc/tollgate-cannot-write-here")
        let error = #expect(throws: MailError.self) { try transport.send(OutgoingMailMIMETests.mail()) }
        #expect(error?.code == .fileSystem)
    }
}

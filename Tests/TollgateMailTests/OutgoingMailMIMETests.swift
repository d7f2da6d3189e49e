import Foundation
import Testing
@testable import TollgateMail

@Suite struct OutgoingMailMIMETests {
    static func mail(
        subject: String = "Your trial ends soon", text: String = "Hello Ada,\nyour trial ends.", html: String = "<p>Hello Ada</p>",
        dedupeKey: String = "trial_ending:sub_123"
    ) -> OutgoingMail {
        OutgoingMail(
            from: MailAddress("billing@tollgate.example", name: "Tollgate Billing"), to: MailAddress("ada@example.com", name: "Ada Lovelace"),
            subject: subject, text: text, html: html, dedupeKey: dedupeKey,
            replyTo: MailAddress("help@tollgate.example"), headers: [("List-Unsubscribe", "<mailto:unsubscribe@tollgate.example>")])
    }

    /// The header block (unfolded) and the body of a rendered message.
    static func split(_ message: String) -> (headers: [String: String], body: String) {
        let parts = message.components(separatedBy: "\r\n\r\n")
        let unfolded = parts[0].replacingOccurrences(of: "\r\n ", with: " ")
        var headers: [String: String] = [:]
        for line in unfolded.components(separatedBy: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[String(line[..<colon]).lowercased()] = String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
        }
        return (headers, parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    @Test func rendersMultipartAlternativeWithCRLFOnly() throws {
        let date = Date(timeIntervalSince1970: 1_795_371_849)  // 2026-11-22 18:24:09 UTC
        let message = try Self.mail().mime(date: date, boundary: "=_b")
        #expect(!message.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
        #expect(!message.replacingOccurrences(of: "\r\n", with: "").contains("\r"))
        let (headers, body) = Self.split(message)
        #expect(headers["from"] == "\"Tollgate Billing\" <billing@tollgate.example>")
        #expect(headers["to"] == "\"Ada Lovelace\" <ada@example.com>")
        #expect(headers["reply-to"] == "help@tollgate.example")
        #expect(headers["subject"] == "Your trial ends soon")
        #expect(headers["date"] == "Sun, 22 Nov 2026 18:24:09 +0000")
        #expect(headers["message-id"] == "<tollgate.trial_ending=3Asub_123@tollgate.example>")
        #expect(headers["list-unsubscribe"] == "<mailto:unsubscribe@tollgate.example>")
        #expect(headers["mime-version"] == "1.0")
        #expect(headers["content-type"] == "multipart/alternative; boundary=\"=_b\"")
        #expect(body.contains("--=_b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nHello Ada,\r\nyour trial ends.\r\n"))
        #expect(body.contains("--=_b\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<p>Hello Ada</p>\r\n"))
        #expect(body.hasSuffix("--=_b--\r\n"))
        for line in message.components(separatedBy: "\r\n") { #expect(line.utf8.count <= 78) }
    }

    @Test func messageIDIsStableAcrossRenders() throws {
        let first = Self.split(try Self.mail().mime()).headers["message-id"]
        let second = Self.split(try Self.mail().mime()).headers["message-id"]
        #expect(first == second)
        #expect(first == Self.mail().messageID)
    }

    @Test func encodesNonASCIISubjectAsRFC2047Words() throws {
        let subject = "Ihr Abonnement für „Pro“ endet bald — Zahlung fehlgeschlagen 💳 bitte prüfen"
        let (headers, _) = Self.split(try Self.mail(subject: subject).mime())
        let words = try #require(headers["subject"]).split(separator: " ")
        #expect(words.count > 1)
        var decoded = Data()
        for word in words {
            #expect(word.hasPrefix("=?UTF-8?B?") && word.hasSuffix("?=") && word.count <= 75)
            decoded.append(try #require(Data(base64Encoded: String(word.dropFirst(10).dropLast(2)))))
        }
        #expect(String(decoding: decoded, as: UTF8.self) == subject)
    }

    @Test func quotedPrintableEncodesUTF8LongLinesAndEdgeCases() {
        #expect(MIME.quotedPrintable("Grüße = 1") == "Gr=C3=BC=C3=9Fe =3D 1")
        #expect(MIME.quotedPrintable("trailing space \nnext") == "trailing space=20\r\nnext")
        #expect(MIME.quotedPrintable("a\n.dot") == "a\r\n=2Edot")
        let long = String(repeating: "abcdefghij", count: 20)
        let encoded = MIME.quotedPrintable(long)
        let lines = encoded.components(separatedBy: "\r\n")
        #expect(lines.count == 3)
        #expect(lines.allSatisfy { $0.utf8.count <= 76 })
        #expect(encoded.replacingOccurrences(of: "=\r\n", with: "") == long)
    }

    @Test func nonASCIIDisplayNameIsEncoded() throws {
        var mail = Self.mail()
        mail.to = MailAddress("jose@example.com", name: "José Núñez")
        let (headers, _) = Self.split(try mail.mime())
        #expect(headers["to"] == "=?UTF-8?B?" + Data("José Núñez".utf8).base64EncodedString() + "?= <jose@example.com>")
    }

    @Test func refusesHeaderInjectionAndBadAddresses() {
        var mail = Self.mail()
        mail.headers = [("X-Note", "a\r\nBcc: victim@example.com")]
        #expect(throws: MailError.self) { try mail.mime() }
        mail = Self.mail()
        mail.headers = [("Subject", "twice")]
        #expect(throws: MailError.self) { try mail.mime() }
        mail = Self.mail()
        mail.to = MailAddress("ada@example.com>\r\nRCPT TO:<x@y")
        do {
            _ = try mail.mime()
            Issue.record("a bad address was rendered")
        } catch {
            #expect(error.code == .invalidMessage)
            #expect(error.isPermanent)
        }
    }

    @Test func subjectLineBreaksBecomeSpaces() throws {
        let (headers, _) = Self.split(try Self.mail(subject: "Hi\r\nBcc: x@y").mime())
        #expect(headers["subject"] == "Hi Bcc: x@y")
        #expect(headers["bcc"] == nil)
    }
}

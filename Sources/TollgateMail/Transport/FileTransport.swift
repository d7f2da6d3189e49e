import Foundation

/// Writes each mail as one `.eml` file (the full MIME message, CRLF line ends) into a directory:
/// for development, from `file:///path/to/dir`. The file name is the send time and the
/// `Message-ID`, so a retried mail writes a new file next to the old one.
package struct FileTransport: MailTransport {
    package let directory: String

    package init(directory: String) {
        self.directory = directory
    }

    package func send(_ mail: OutgoingMail) throws(MailError) -> SentMail {
        let message = try mail.mime()
        let now = Date()
        let stamp = String(Int64(now.timeIntervalSince1970 * 1000))
        let safeID = String(mail.messageID.unicodeScalars.map { scalar -> Character in
            scalar.properties.isAlphabetic && scalar.isASCII || ("0"..."9").contains(scalar) || scalar == "." || scalar == "-" ? Character(scalar) : "_"
        })
        let path = directory + "/\(stamp)-\(safeID).eml"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try Data(message.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw MailError(code: .fileSystem, message: "could not write \(path): \(error.localizedDescription)")
        }
        return SentMail(providerMessageID: mail.messageID, sentAt: now, serverResponse: path)
    }
}

import Foundation
import TollgateHTTPClient

/// One libcurl easy handle for SMTP, kept across sends so libcurl reuses its connection
/// (`CURLINFO_NUM_CONNECTS` is 0 on a reused one). Used by one thread at a time (the
/// ``SMTPTransport``'s lock); freed in `deinit`.
final class SMTPConnection {
    private let curl: CurlEasy

    init() throws(MailError) {
        guard let curl = CurlEasy() else { throw MailError(code: .other, message: "libcurl could not be initialised") }
        self.curl = curl
    }

    /// Sends `message` (CRLF line ends) from `sender` to `recipient` over `configuration`'s server.
    /// `curl_easy_reset` clears the previous send's options but keeps the live connection.
    func send(_ message: [UInt8], sender: String, recipient: String, configuration: SMTPConfiguration) throws(MailError) -> (reply: String?, connects: Int) {
        let secrets = [configuration.password].compactMap { $0 }
        let upload = UploadSource(message)
        guard let recipients = CurlStringList(["<\(recipient)>"]) else {
            throw MailError(code: .other, message: "curl_slist_append failed: out of memory")
        }
        do {
            try curl.reset()
            try configure(configuration, sender: sender, recipients: recipients, upload: upload)
        } catch {
            throw MailError(code: .invalidConfiguration, message: MailError.redacting("libcurl refused an option: " + error.message, secrets: secrets))
        }
        do {
            try withExtendedLifetime((upload, recipients)) { () throws(CurlFailure) in try curl.perform() }
        } catch {
            throw Self.error(error, reply: curl.responseCode, upload: upload, secrets: secrets)
        }
        return (upload.lastReply, curl.connectionsOpened)
    }

    private func configure(_ configuration: SMTPConfiguration, sender: String, recipients: CurlStringList, upload: UploadSource) throws(CurlFailure) {
        try curl.setURL(configuration.curlURL, protocols: "smtp,smtps")
        try curl.setTimeouts(connect: configuration.connectTimeout, total: configuration.timeout)
        try curl.setTLSRequired(configuration.security != .none)
        if let caFile = configuration.caFile { try curl.setCAFile(caFile) }
        if let username = configuration.username {
            try curl.setCredentials(user: username, password: configuration.password ?? "")
        }
        try curl.setMailFrom("<\(sender)>")
        try curl.setMailRecipients(recipients)
        let context = Unmanaged.passUnretained(upload).toOpaque()
        try curl.upload(size: upload.bytes.count, from: readMessage, context: context)
        try curl.onHeader(receiveReply, context: context)
    }

    /// The typed error for a failed send: the SMTP reply code decides between transient (4xx)
    /// and permanent (5xx); libcurl's failure covers what has no reply.
    private static func error(_ failure: CurlFailure, reply: Int, upload: UploadSource, secrets: [String]) -> MailError {
        var message = failure.message
        if let failure = upload.lastFailure, reply >= 400 { message += " (server: \(failure.prefix(200)))" }
        message = MailError.redacting(message + " [curl error \(failure.code)]", secrets: secrets)
        let status = reply >= 400 ? reply : nil
        switch failure.kind {
        case .couldNotConnect: return MailError(code: .couldNotConnect, message: message, status: status)
        case .timedOut: return MailError(code: .timedOut, message: message, status: status)
        case .loginDenied: return MailError(code: .authenticationFailed, message: message, status: status)
        case .tls: return MailError(code: .tls, message: message, status: status)
        default: break
        }
        switch reply {
        case 530 where upload.lastFailure?.uppercased().contains("STARTTLS") == true:
            return MailError(code: .tls, message: message + "; the server requires STARTTLS (remove tls=none from the URL)", status: reply)
        case 535, 534, 530:
            return MailError(code: .authenticationFailed, message: message, status: reply)
        case 400..<500:
            return MailError(code: .temporaryFailure, message: message, status: reply)
        case 500..<600:
            let recipient = failure.message.contains("RCPT") || [550, 551, 553].contains(reply)
            return MailError(code: recipient ? .recipientRejected : .permanentFailure, message: message, status: reply)
        default:
            break
        }
        switch failure.kind {
        case .connectionLost: return MailError(code: .connectionLost, message: message, status: status)
        case .invalidRequest: return MailError(code: .invalidConfiguration, message: message, status: status)
        default: return MailError(code: .other, message: message, status: status)
        }
    }
}

/// Not `Sendable`: one thread at a time, behind ``SMTPTransport``'s lock.
@available(*, unavailable)
extension SMTPConnection: Sendable {}

/// The message being uploaded and the server's last reply; reached from the C callbacks through `Unmanaged`.
private final class UploadSource {
    let bytes: [UInt8]
    var offset = 0
    var lastReply: String?
    /// The last 4xx or 5xx reply (libcurl's `QUIT` after a failure makes `221` the last reply).
    var lastFailure: String?

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    static func from(_ context: UnsafeMutableRawPointer?) -> UploadSource? {
        guard let context else { return nil }
        return Unmanaged<UploadSource>.fromOpaque(context).takeUnretainedValue()
    }
}

/// `CURLOPT_READFUNCTION`: copies the next piece of the message; 0 ends the upload.
private func readMessage(_ buffer: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    guard let source = UploadSource.from(context), let buffer else { return 0 }
    let length = min(size * count, source.bytes.count - source.offset)
    guard length > 0 else { return 0 }
    source.bytes.withUnsafeBytes { bytes in
        guard let base = bytes.baseAddress else { return }
        UnsafeMutableRawPointer(buffer).copyMemory(from: base + source.offset, byteCount: length)
    }
    source.offset += length
    return length
}

/// `CURLOPT_HEADERFUNCTION`: keeps the last reply line the server sent.
private func receiveReply(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    let length = size * count
    guard let source = UploadSource.from(context), let data, length > 0 else { return length }
    let line = String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
    let reply = line.trimmingCharacters(in: .whitespacesAndNewlines)
    source.lastReply = reply
    if reply.hasPrefix("4") || reply.hasPrefix("5") { source.lastFailure = reply }
    return length
}

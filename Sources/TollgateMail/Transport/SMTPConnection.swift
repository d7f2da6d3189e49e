import CCurl
import CCurlShims
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
        try check(curl.reset(), secrets)
        let upload = UploadSource(message)
        guard let recipients = curl_slist_append(nil, "<\(recipient)>") else {
            throw MailError(code: .other, message: "curl_slist_append failed: out of memory")
        }
        defer { curl_slist_free_all(recipients) }
        try configure(configuration, sender: sender, recipients: recipients, upload: upload, secrets: secrets)
        let code = withExtendedLifetime(upload) { curl.perform() }
        let reply = curl.info(CURLINFO_RESPONSE_CODE)
        let connects = curl.info(CURLINFO_NUM_CONNECTS)
        guard code == CURLE_OK else { throw error(code, reply: reply, upload: upload, secrets: secrets) }
        return (upload.lastReply, connects)
    }

    private func configure(_ configuration: SMTPConfiguration, sender: String, recipients: UnsafeMutablePointer<curl_slist>, upload: UploadSource, secrets: [String]) throws(MailError) {
        try set(CURLOPT_URL, string: configuration.curlURL, secrets)
        try set(CURLOPT_PROTOCOLS_STR, string: "smtp,smtps", secrets)
        try set(CURLOPT_CONNECTTIMEOUT_MS, configuration.connectTimeout.curlMilliseconds, secrets)
        try set(CURLOPT_TIMEOUT_MS, configuration.timeout.curlMilliseconds, secrets)
        let useSSL = configuration.security == .none ? CURLUSESSL_NONE : CURLUSESSL_ALL
        try set(CURLOPT_USE_SSL, Int(useSSL.rawValue), secrets)
        if let caFile = configuration.caFile { try set(CURLOPT_CAINFO, string: caFile, secrets) }
        if let username = configuration.username {
            try set(CURLOPT_USERNAME, string: username, secrets)
            try set(CURLOPT_PASSWORD, string: configuration.password ?? "", secrets)
        }
        try set(CURLOPT_MAIL_FROM, string: "<\(sender)>", secrets)
        try set(CURLOPT_MAIL_RCPT, pointer: UnsafeMutableRawPointer(recipients), secrets)
        try set(CURLOPT_UPLOAD, 1, secrets)
        try check(curl.set(CURLOPT_INFILESIZE_LARGE, int64: Int64(upload.bytes.count)), secrets)
        let context = Unmanaged.passUnretained(upload).toOpaque()
        try check(curl.set(CURLOPT_READFUNCTION, callback: readMessage), secrets)
        try set(CURLOPT_READDATA, pointer: context, secrets)
        // libcurl hands every server reply line to the header callback (pingpong protocols).
        try check(curl.set(CURLOPT_HEADERFUNCTION, callback: receiveReply), secrets)
        try set(CURLOPT_HEADERDATA, pointer: context, secrets)
    }

    private func set(_ option: CURLoption, _ value: Int, _ secrets: [String]) throws(MailError) {
        try check(curl.set(option, value), secrets)
    }

    private func set(_ option: CURLoption, string: String, _ secrets: [String]) throws(MailError) {
        try check(curl.set(option, string: string), secrets)
    }

    private func set(_ option: CURLoption, pointer: UnsafeMutableRawPointer?, _ secrets: [String]) throws(MailError) {
        try check(curl.set(option, pointer: pointer), secrets)
    }

    private func check(_ code: CURLcode, _ secrets: [String]) throws(MailError) {
        guard code == CURLE_OK else {
            throw MailError(code: .invalidConfiguration, message: MailError.redacting("libcurl refused an option: " + CurlEasy.describe(code), secrets: secrets))
        }
    }

    /// The typed error for a failed send: the SMTP reply code decides between transient (4xx)
    /// and permanent (5xx); libcurl's code covers failures without a reply.
    private func error(_ code: CURLcode, reply: Int, upload: UploadSource, secrets: [String]) -> MailError {
        let detail = curl.errorText(code)
        var message = detail
        if let failure = upload.lastFailure, reply >= 400 { message += " (server: \(failure.prefix(200)))" }
        message = MailError.redacting(message + " [curl error \(code.rawValue)]", secrets: secrets)
        let status = reply >= 400 ? reply : nil
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_CONNECT:
            return MailError(code: .couldNotConnect, message: message, status: status)
        case CURLE_OPERATION_TIMEDOUT:
            return MailError(code: .timedOut, message: message, status: status)
        case CURLE_LOGIN_DENIED:
            return MailError(code: .authenticationFailed, message: message, status: status)
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CERTPROBLEM,
            CURLE_SSL_CIPHER, CURLE_SSL_ISSUER_ERROR, CURLE_USE_SSL_FAILED, CURLE_SSL_INVALIDCERTSTATUS:
            return MailError(code: .tls, message: message, status: status)
        default:
            break
        }
        switch reply {
        case 530 where upload.lastFailure?.uppercased().contains("STARTTLS") == true:
            return MailError(code: .tls, message: message + "; the server requires STARTTLS (remove tls=none from the URL)", status: reply)
        case 535, 534, 530:
            return MailError(code: .authenticationFailed, message: message, status: reply)
        case 400..<500:
            return MailError(code: .temporaryFailure, message: message, status: reply)
        case 500..<600:
            let recipient = detail.contains("RCPT") || [550, 551, 553].contains(reply)
            return MailError(code: recipient ? .recipientRejected : .permanentFailure, message: message, status: reply)
        default:
            break
        }
        switch code {
        case CURLE_GOT_NOTHING, CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_WEIRD_SERVER_REPLY:
            return MailError(code: .connectionLost, message: message, status: status)
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL:
            return MailError(code: .invalidConfiguration, message: message, status: status)
        default:
            return MailError(code: .other, message: message, status: status)
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

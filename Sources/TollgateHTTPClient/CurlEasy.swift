import CCurl
import CCurlShims
import TollgateBase

/// One libcurl easy handle and its error buffer, freed in `deinit`: the single owner of the C
/// handle for every protocol Tollgate speaks through libcurl (HTTP here, SMTP in TollgateMail).
/// Options are typed setters that throw ``CurlFailure`` when libcurl refuses one, so nothing above
/// this file imports libcurl; callers map failures to their own error types.
///
/// Not `Sendable`: one thread at a time (a pool or a lock in the caller hands it out).
package final class CurlEasy {
    /// libcurl's data callback (`CURLOPT_WRITEFUNCTION`, `HEADERFUNCTION`, `READFUNCTION`):
    /// `(buffer, size, count, context) -> bytes handled`.
    package typealias DataCallback = @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int

    /// `curl_global_init` runs once per process, before the first handle (a `static let` is
    /// initialised exactly once, thread-safely).
    private static let globalInit: CURLcode = tg_curl_global_init_all()

    private let handle: UnsafeMutableRawPointer
    /// `CURLOPT_ERRORBUFFER`: libcurl writes its most specific error text here.
    private let errorBuffer: UnsafeMutablePointer<CChar>

    /// Nil when libcurl cannot be initialised or a handle cannot be allocated.
    package init?() {
        guard Self.globalInit == CURLE_OK, let handle = curl_easy_init() else { return nil }
        self.handle = handle
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
    }

    deinit {
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    /// Clears the previous transfer's options (keeping live connections and caches), and sets the
    /// options every transfer has: no signals, the error buffer, TCP keep-alive.
    package func reset() throws(CurlFailure) {
        curl_easy_reset(handle)
        errorBuffer[0] = 0
        try check(tg_curl_easy_setopt_long(handle, CURLOPT_NOSIGNAL, 1))
        try check(tg_curl_easy_setopt_pointer(handle, CURLOPT_ERRORBUFFER, UnsafeMutableRawPointer(errorBuffer)))
        try check(tg_curl_easy_setopt_long(handle, CURLOPT_TCP_KEEPALIVE, 1))
    }

    // MARK: Every protocol

    /// The URL, and the only protocols it (and any redirect) may use (`"http,https"`).
    package func setURL(_ url: String, protocols: String) throws(CurlFailure) {
        try set(CURLOPT_URL, string: url)
        try set(CURLOPT_PROTOCOLS_STR, string: protocols)
    }

    /// Connect (TCP + TLS) and whole-transfer limits, in whole milliseconds (at least 1).
    package func setTimeouts(connect: Duration, total: Duration) throws(CurlFailure) {
        try set(CURLOPT_CONNECTTIMEOUT_MS, connect.curlMilliseconds)
        try set(CURLOPT_TIMEOUT_MS, total.curlMilliseconds)
    }

    /// `callback` receives the body (HTTP) as it arrives, with `context`.
    package func onData(_ callback: DataCallback, context: UnsafeMutableRawPointer) throws(CurlFailure) {
        try check(tg_curl_easy_setopt_data_callback(handle, CURLOPT_WRITEFUNCTION, callback))
        try set(CURLOPT_WRITEDATA, pointer: context)
    }

    /// `callback` receives each header line (HTTP) or server reply line (SMTP), with `context`.
    package func onHeader(_ callback: DataCallback, context: UnsafeMutableRawPointer) throws(CurlFailure) {
        try check(tg_curl_easy_setopt_data_callback(handle, CURLOPT_HEADERFUNCTION, callback))
        try set(CURLOPT_HEADERDATA, pointer: context)
    }

    /// An upload of `size` bytes that `callback` supplies (the SMTP message), with `context`.
    package func upload(size: Int, from callback: DataCallback, context: UnsafeMutableRawPointer) throws(CurlFailure) {
        try set(CURLOPT_UPLOAD, 1)
        try check(tg_curl_easy_setopt_int64(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(size)))
        try check(tg_curl_easy_setopt_data_callback(handle, CURLOPT_READFUNCTION, callback))
        try set(CURLOPT_READDATA, pointer: context)
    }

    // MARK: HTTP

    /// Whether redirects are followed (Tollgate never follows them: `false`).
    package func setFollowRedirects(_ follow: Bool) throws(CurlFailure) { try set(CURLOPT_FOLLOWLOCATION, follow ? 1 : 0) }

    /// The request headers; the list must outlive the transfer.
    package func setHeaders(_ list: CurlStringList) throws(CurlFailure) {
        try set(CURLOPT_HTTPHEADER, pointer: list.pointer.map { UnsafeMutableRawPointer($0) })
    }

    /// A GET (the default after ``reset()``, set explicitly).
    package func setGet() throws(CurlFailure) { try set(CURLOPT_HTTPGET, 1) }

    /// A HEAD: no response body.
    package func setHead() throws(CurlFailure) { try set(CURLOPT_NOBODY, 1) }

    /// Another method than GET, HEAD or POST (`PUT`, `PATCH`, `DELETE`).
    package func setMethod(_ method: String) throws(CurlFailure) { try set(CURLOPT_CUSTOMREQUEST, string: method) }

    /// A request body (a POST unless ``setMethod(_:)`` says otherwise) that libcurl copies
    /// (`CURLOPT_COPYPOSTFIELDS` after its size), so no pointer into the array outlives this call.
    package func setBody(_ body: [UInt8]) throws(CurlFailure) {
        try check(tg_curl_easy_setopt_int64(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)))
        let code = body.withUnsafeBufferPointer { buffer -> CURLcode in
            // An empty array may have no storage: hand libcurl an empty C string instead.
            guard let base = buffer.baseAddress, !buffer.isEmpty else { return tg_curl_easy_setopt_string(handle, CURLOPT_COPYPOSTFIELDS, "") }
            return tg_curl_easy_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: base))
        }
        try check(code)
    }

    // MARK: SMTP

    /// TLS required for the whole session (`smtps://`, or STARTTLS on `smtp://`), or none.
    package func setTLSRequired(_ required: Bool) throws(CurlFailure) {
        try set(CURLOPT_USE_SSL, Int((required ? CURLUSESSL_ALL : CURLUSESSL_NONE).rawValue))
    }

    /// A CA bundle to verify the server with instead of the system's.
    package func setCAFile(_ path: String) throws(CurlFailure) { try set(CURLOPT_CAINFO, string: path) }

    package func setCredentials(user: String, password: String) throws(CurlFailure) {
        try set(CURLOPT_USERNAME, string: user)
        try set(CURLOPT_PASSWORD, string: password)
    }

    /// The envelope sender (`MAIL FROM:<…>`).
    package func setMailFrom(_ sender: String) throws(CurlFailure) { try set(CURLOPT_MAIL_FROM, string: sender) }

    /// The envelope recipients (`RCPT TO:<…>` each); the list must outlive the transfer.
    package func setMailRecipients(_ list: CurlStringList) throws(CurlFailure) {
        try set(CURLOPT_MAIL_RCPT, pointer: list.pointer.map { UnsafeMutableRawPointer($0) })
    }

    // MARK: The transfer

    /// Runs the configured transfer.
    package func perform() throws(CurlFailure) { try check(curl_easy_perform(handle), detailed: true) }

    /// The last transfer's HTTP status or SMTP reply code (0 when there was none).
    package var responseCode: Int { info(CURLINFO_RESPONSE_CODE) }

    /// Connections the last transfer opened (0 when it reused one).
    package var connectionsOpened: Int { info(CURLINFO_NUM_CONNECTS) }

    private func info(_ item: CURLINFO) -> Int {
        var value = 0
        tg_curl_easy_getinfo_long(handle, item, &value)
        return value
    }

    private func set(_ option: CURLoption, _ value: Int) throws(CurlFailure) { try check(tg_curl_easy_setopt_long(handle, option, value)) }
    private func set(_ option: CURLoption, string: String) throws(CurlFailure) { try check(tg_curl_easy_setopt_string(handle, option, string)) }
    private func set(_ option: CURLoption, pointer: UnsafeMutableRawPointer?) throws(CurlFailure) {
        try check(tg_curl_easy_setopt_pointer(handle, option, pointer))
    }

    /// A refused option or failed transfer as a ``CurlFailure``; `detailed` takes the error
    /// buffer's text (a transfer's), else `curl_easy_strerror`.
    private func check(_ code: CURLcode, detailed: Bool = false) throws(CurlFailure) {
        guard code != CURLE_OK else { return }
        let buffer = String(cString: errorBuffer)
        let text = detailed && !buffer.isEmpty ? buffer : String(cString: curl_easy_strerror(code))
        throw CurlFailure(code: code, message: text, duringTransfer: detailed)
    }
}

/// A failed libcurl call: its kind (what callers act on), libcurl's code and most specific text.
package struct CurlFailure: Error, Sendable {
    package enum Kind: Sendable, Equatable {
        /// No connection: DNS or TCP connect failed.
        case couldNotConnect
        case timedOut
        /// The server refused the credentials (SMTP `AUTH`).
        case loginDenied
        /// TLS could not be set up or the peer's certificate did not verify.
        case tls
        /// The connection broke or the server's answer made no sense.
        case connectionLost
        /// A callback refused data (returned less than it was given).
        case aborted
        /// libcurl refused the URL or an option: the request itself is wrong.
        case invalidRequest
        case other
    }

    package var kind: Kind
    /// libcurl's `CURLcode`.
    package var code: Int
    package var message: String

    init(code: CURLcode, message: String, duringTransfer: Bool) {
        self.code = Int(code.rawValue)
        self.message = message
        kind = duringTransfer ? Self.kind(code) : .invalidRequest
    }

    /// The one classification of libcurl's codes.
    static func kind(_ code: CURLcode) -> Kind {
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT:
            .couldNotConnect
        case CURLE_OPERATION_TIMEDOUT:
            .timedOut
        case CURLE_LOGIN_DENIED:
            .loginDenied
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_CRL_BADFILE,
            CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_ENGINE_INITFAILED, CURLE_SSL_SHUTDOWN_FAILED,
            CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CLIENTCERT, CURLE_USE_SSL_FAILED:
            .tls
        case CURLE_GOT_NOTHING, CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_PARTIAL_FILE, CURLE_HTTP2, CURLE_HTTP2_STREAM,
            CURLE_WEIRD_SERVER_REPLY:
            .connectionLost
        case CURLE_WRITE_ERROR, CURLE_ABORTED_BY_CALLBACK, CURLE_READ_ERROR:
            .aborted
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL, CURLE_BAD_FUNCTION_ARGUMENT:
            .invalidRequest
        default:
            .other
        }
    }
}

/// A `curl_slist` (request headers, SMTP recipients), freed in `deinit`; keep it alive for the
/// transfer that uses it.
package final class CurlStringList {
    let pointer: UnsafeMutablePointer<curl_slist>?

    /// Nil when libcurl cannot allocate the list.
    package init?(_ lines: [String]) {
        var list: UnsafeMutablePointer<curl_slist>?
        for line in lines {
            guard let appended = curl_slist_append(list, line) else {
                curl_slist_free_all(list)
                return nil
            }
            list = appended
        }
        pointer = list
    }

    deinit { curl_slist_free_all(pointer) }
}

extension Duration {
    /// Whole milliseconds for libcurl's `*_MS` timeouts: at least 1 (0 means "no timeout").
    package var curlMilliseconds: Int {
        max(1, Int(clamping: millisecondsRoundedUp))
    }
}

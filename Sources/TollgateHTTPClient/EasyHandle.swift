import CCurl
import CCurlShims

/// The HTTP side of one pooled ``CurlEasy`` handle: configures a request and collects its response.
///
/// `@unchecked Sendable`: a handle is checked out of ``HTTPClient``'s pool by one thread at a time,
/// so libcurl never sees two threads on it at once.
final class EasyHandle: @unchecked Sendable {
    private let curl: CurlEasy

    init() throws(HTTPClientError) {
        guard let curl = CurlEasy() else {
            throw HTTPClientError(code: .other, message: "libcurl could not be initialised")
        }
        self.curl = curl
    }

    /// Runs one request on this handle. `curl_easy_reset` clears the previous request's options
    /// but keeps the handle's live connections, DNS and TLS session caches.
    func perform(_ request: HTTPClient.Request, defaultUserAgent: String, maxResponseBytes: Int) throws(HTTPClientError) -> HTTPClient.Response {
        try check(curl.reset())
        let collector = ResponseCollector(maxBodyBytes: maxResponseBytes)
        let headerList = try HeaderList(request.headers, defaultUserAgent: defaultUserAgent)
        try configure(request, headers: headerList, collector: collector)
        let code = withExtendedLifetime((collector, headerList)) { curl.perform() }
        guard code == CURLE_OK else {
            if collector.overflowed {
                throw HTTPClientError(code: .responseTooLarge, message: "the response body is larger than \(maxResponseBytes) bytes")
            }
            throw error(code)
        }
        return HTTPClient.Response(
            status: curl.info(CURLINFO_RESPONSE_CODE), headers: collector.headers, body: collector.body,
            connectionsOpened: curl.info(CURLINFO_NUM_CONNECTS))
    }

    private func configure(_ request: HTTPClient.Request, headers: HeaderList, collector: ResponseCollector) throws(HTTPClientError) {
        try set(CURLOPT_URL, string: request.url)
        try set(CURLOPT_PROTOCOLS_STR, string: "http,https")
        try set(CURLOPT_FOLLOWLOCATION, 0)
        try set(CURLOPT_CONNECTTIMEOUT_MS, request.connectTimeout.curlMilliseconds)
        try set(CURLOPT_TIMEOUT_MS, request.timeout.curlMilliseconds)
        try set(CURLOPT_HTTPHEADER, pointer: headers.pointer.map { UnsafeMutableRawPointer($0) })

        switch request.method {
        case .GET:
            try set(CURLOPT_HTTPGET, 1)
        case .HEAD:
            try set(CURLOPT_NOBODY, 1)
        case .POST:
            try setBody(request.body)
        case .PUT, .PATCH, .DELETE:
            try set(CURLOPT_CUSTOMREQUEST, string: request.method.rawValue)
            if !request.body.isEmpty { try setBody(request.body) }
        }

        let context = Unmanaged.passUnretained(collector).toOpaque()
        try check(curl.set(CURLOPT_WRITEFUNCTION, callback: receiveBody))
        try set(CURLOPT_WRITEDATA, pointer: context)
        try check(curl.set(CURLOPT_HEADERFUNCTION, callback: receiveHeader))
        try set(CURLOPT_HEADERDATA, pointer: context)
    }

    /// A POST body that libcurl copies (`CURLOPT_COPYPOSTFIELDS` after its size), so no pointer
    /// into the Swift array outlives this call.
    private func setBody(_ body: [UInt8]) throws(HTTPClientError) {
        try check(curl.set(CURLOPT_POSTFIELDSIZE_LARGE, int64: Int64(body.count)))
        let code = body.withUnsafeBufferPointer { buffer -> CURLcode in
            // An empty array may have no storage: hand libcurl an empty C string instead.
            guard let base = buffer.baseAddress, !buffer.isEmpty else {
                return curl.set(CURLOPT_COPYPOSTFIELDS, string: "")
            }
            return curl.set(CURLOPT_COPYPOSTFIELDS, pointer: UnsafeMutableRawPointer(mutating: base))
        }
        try check(code)
    }

    private func set(_ option: CURLoption, _ value: Int) throws(HTTPClientError) { try check(curl.set(option, value)) }
    private func set(_ option: CURLoption, string: String) throws(HTTPClientError) { try check(curl.set(option, string: string)) }
    private func set(_ option: CURLoption, pointer: UnsafeMutableRawPointer?) throws(HTTPClientError) { try check(curl.set(option, pointer: pointer)) }

    private func check(_ code: CURLcode) throws(HTTPClientError) {
        guard code == CURLE_OK else {
            throw HTTPClientError(code: .invalidRequest, message: CurlEasy.describe(code), curlCode: Int(code.rawValue))
        }
    }

    /// The typed error for a failed `curl_easy_perform`, with libcurl's most specific text.
    private func error(_ code: CURLcode) -> HTTPClientError {
        HTTPClientError(code: Self.classify(code), message: curl.errorText(code), curlCode: Int(code.rawValue))
    }

    static func classify(_ code: CURLcode) -> HTTPClientError.Code {
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT:
            .couldNotConnect
        case CURLE_OPERATION_TIMEDOUT:
            .timedOut
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_CRL_BADFILE,
            CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_ENGINE_INITFAILED, CURLE_SSL_SHUTDOWN_FAILED,
            CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CLIENTCERT, CURLE_USE_SSL_FAILED:
            .tls
        case CURLE_GOT_NOTHING, CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_PARTIAL_FILE, CURLE_HTTP2, CURLE_HTTP2_STREAM:
            .connectionLost
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL, CURLE_BAD_FUNCTION_ARGUMENT:
            .invalidRequest
        default:
            .other
        }
    }
}

/// A `curl_slist` of request headers, freed in `deinit`.
private final class HeaderList {
    let pointer: UnsafeMutablePointer<curl_slist>?

    init(_ headers: HTTPClient.Headers, defaultUserAgent: String) throws(HTTPClientError) {
        var lines: [String] = []
        for field in headers {
            // Bytes, not Characters: "\r\n" is one Character and would slip past a Character test.
            let unsafe: (UInt8) -> Bool = { $0 == 13 || $0 == 10 || $0 == 0 }
            guard !field.name.isEmpty, !field.name.utf8.contains(where: { unsafe($0) || $0 == 58 }), !field.value.utf8.contains(where: unsafe) else {
                throw HTTPClientError(code: .invalidRequest, message: "header field \"\(field.name.prefix(40))\" has a forbidden character")
            }
            // "Name;" sends a header with an empty value; "Name:" would remove a default one.
            lines.append(field.value.isEmpty ? "\(field.name);" : "\(field.name): \(field.value)")
        }
        if headers["User-Agent"] == nil { lines.append("User-Agent: \(defaultUserAgent)") }
        // No `Expect: 100-continue` round trip before a body.
        if headers["Expect"] == nil { lines.append("Expect:") }
        var list: UnsafeMutablePointer<curl_slist>?
        for line in lines {
            guard let appended = curl_slist_append(list, line) else {
                curl_slist_free_all(list)
                throw HTTPClientError(code: .other, message: "curl_slist_append failed: out of memory")
            }
            list = appended
        }
        pointer = list
    }

    deinit { curl_slist_free_all(pointer) }
}

/// Collects one response while libcurl runs; reached from the C callbacks through `Unmanaged`.
private final class ResponseCollector {
    let maxBodyBytes: Int
    var body: [UInt8] = []
    var headers = HTTPClient.Headers()
    var overflowed = false

    init(maxBodyBytes: Int) { self.maxBodyBytes = maxBodyBytes }

    /// The collector behind a callback's `void *` context.
    static func from(_ context: UnsafeMutableRawPointer?) -> ResponseCollector? {
        guard let context else { return nil }
        return Unmanaged<ResponseCollector>.fromOpaque(context).takeUnretainedValue()
    }
}

/// `CURLOPT_WRITEFUNCTION`: appends body bytes; returning less than given aborts the transfer.
private func receiveBody(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    guard let collector = ResponseCollector.from(context) else { return 0 }
    let length = size * count
    guard let data, length > 0 else { return length }
    guard collector.body.count + length <= collector.maxBodyBytes else {
        collector.overflowed = true
        return 0
    }
    collector.body.append(contentsOf: UnsafeRawBufferPointer(start: data, count: length))
    return length
}

/// `CURLOPT_HEADERFUNCTION`: called once per header line, status lines included. A new status
/// line (after `100 Continue`, say) starts a new set of headers.
private func receiveHeader(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    guard let collector = ResponseCollector.from(context) else { return 0 }
    let length = size * count
    guard let data, length > 0 else { return length }
    let line = String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
    if line.hasPrefix("HTTP/") {
        collector.headers = HTTPClient.Headers()
        return length
    }
    guard let colon = line.firstIndex(of: ":") else { return length }
    let name = line[..<colon].trimmingCharacters(in: " \t\r\n")
    let value = line[line.index(after: colon)...].trimmingCharacters(in: " \t\r\n")
    if !name.isEmpty { collector.headers.add(name, value) }
    return length
}

extension StringProtocol {
    /// The text without leading and trailing characters from `set` (Foundation-free).
    fileprivate func trimmingCharacters(in set: String) -> String {
        let scalars = Substring(self).unicodeScalars
        guard let start = scalars.firstIndex(where: { !set.unicodeScalars.contains($0) }),
            let end = scalars.lastIndex(where: { !set.unicodeScalars.contains($0) })
        else { return "" }
        return String(scalars[start...end])
    }
}

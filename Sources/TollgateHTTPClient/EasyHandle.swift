
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
    func perform(
        _ request: HTTPClient.Request, defaultUserAgent: String, maxResponseBytes: Int, truncatesLargeResponses: Bool = false
    ) throws(HTTPClientError) -> HTTPClient.Response {
        let collector = ResponseCollector(maxBodyBytes: maxResponseBytes)
        let headerList = try Self.headerList(request.headers, defaultUserAgent: defaultUserAgent)
        do {
            try curl.reset()
            try configure(request, headers: headerList, collector: collector)
        } catch {
            throw HTTPClientError(code: .invalidRequest, message: error.message, curlCode: error.code)
        }
        do {
            try withExtendedLifetime((collector, headerList)) { () throws(CurlFailure) in try curl.perform() }
        } catch {
            if collector.overflowed, truncatesLargeResponses, curl.responseCode > 0 {
                // The write callback refused the rest: the status and headers arrived, the body is cut.
                return HTTPClient.Response(
                    status: curl.responseCode, headers: collector.headers, body: collector.body, connectionsOpened: curl.connectionsOpened,
                    bodyTruncated: true)
            }
            if collector.overflowed {
                throw HTTPClientError(code: .responseTooLarge, message: "the response body is larger than \(maxResponseBytes) bytes")
            }
            throw HTTPClientError(code: Self.code(error.kind), message: error.message, curlCode: error.code)
        }
        return HTTPClient.Response(
            status: curl.responseCode, headers: collector.headers, body: collector.body, connectionsOpened: curl.connectionsOpened)
    }

    private func configure(_ request: HTTPClient.Request, headers: CurlStringList, collector: ResponseCollector) throws(CurlFailure) {
        try curl.setURL(request.url, protocols: "http,https")
        try curl.setFollowRedirects(false)
        try curl.setTimeouts(connect: request.connectTimeout, total: request.timeout)
        try curl.setHeaders(headers)

        switch request.method {
        case .GET:
            try curl.setGet()
        case .HEAD:
            try curl.setHead()
        case .POST:
            try curl.setBody(request.body)
        case .PUT, .PATCH, .DELETE:
            try curl.setMethod(request.method.rawValue)
            if !request.body.isEmpty { try curl.setBody(request.body) }
        }

        let context = Unmanaged.passUnretained(collector).toOpaque()
        try curl.onData(receiveBody, context: context)
        try curl.onHeader(receiveHeader, context: context)
    }

    /// The HTTP client's error code for a failed transfer.
    static func code(_ kind: CurlFailure.Kind) -> HTTPClientError.Code {
        switch kind {
        case .couldNotConnect: .couldNotConnect
        case .timedOut: .timedOut
        case .tls: .tls
        case .connectionLost: .connectionLost
        case .invalidRequest: .invalidRequest
        case .loginDenied, .aborted, .other: .other
        }
    }

    /// The request's header lines (`Name: value`), refusing CR, LF and NUL (header injection);
    /// `User-Agent` defaulted, `Expect: 100-continue` turned off.
    static func headerList(_ headers: HTTPClient.Headers, defaultUserAgent: String) throws(HTTPClientError) -> CurlStringList {
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
        guard let list = CurlStringList(lines) else { throw HTTPClientError(code: .other, message: "curl_slist_append failed: out of memory") }
        return list
    }
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
        // Keep what fits (a truncating caller returns it), then refuse the rest: libcurl stops.
        collector.body.append(contentsOf: UnsafeRawBufferPointer(start: data, count: max(0, collector.maxBodyBytes - collector.body.count)))
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

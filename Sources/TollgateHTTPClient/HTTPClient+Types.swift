extension HTTPClient {
    /// A request method.
    package enum Method: String, Sendable, Hashable, CaseIterable {
        case GET, HEAD, POST, PUT, PATCH, DELETE
    }

    /// Header fields in order, looked up case-insensitively (RFC 9110 §5.1).
    package struct Headers: Sendable, Sequence, ExpressibleByDictionaryLiteral, Equatable {
        package private(set) var fields: [Field] = []

        /// One header field.
        package struct Field: Sendable, Equatable {
            package var name: String
            package var value: String
        }

        package init() {}

        package init(dictionaryLiteral elements: (String, String)...) {
            for (name, value) in elements { add(name, value) }
        }

        package mutating func add(_ name: String, _ value: String) {
            fields.append(Field(name: name, value: value))
        }

        /// Replaces every field named `name` with one field.
        package mutating func set(_ name: String, _ value: String) {
            remove(name)
            add(name, value)
        }

        package mutating func remove(_ name: String) {
            fields.removeAll { $0.name.lowercased() == name.lowercased() }
        }

        /// The first value of `name`, in any letter case.
        package subscript(name: String) -> String? {
            let wanted = name.lowercased()
            return fields.first { $0.name.lowercased() == wanted }?.value
        }

        /// Every value of `name`, in order.
        package func values(_ name: String) -> [String] {
            let wanted = name.lowercased()
            return fields.filter { $0.name.lowercased() == wanted }.map(\.value)
        }

        package func makeIterator() -> IndexingIterator<[Field]> { fields.makeIterator() }
    }

    /// One HTTP request: what to send, and how long to wait for it.
    package struct Request: Sendable {
        package var method: Method
        /// An absolute `http://` or `https://` URL, already percent-encoded.
        package var url: String
        package var headers: Headers
        /// The body; sent for every method but `GET` and `HEAD` when not empty.
        package var body: [UInt8]
        /// The longest wait for the TCP and TLS handshakes (`CURLOPT_CONNECTTIMEOUT_MS`).
        package var connectTimeout: Duration
        /// The longest the whole request may take, connect included (`CURLOPT_TIMEOUT_MS`).
        package var timeout: Duration

        package init(
            method: Method = .GET, url: String, headers: Headers = Headers(), body: [UInt8] = [],
            connectTimeout: Duration = .seconds(10), timeout: Duration = .seconds(30)
        ) {
            self.method = method
            self.url = url
            self.headers = headers
            self.body = body
            self.connectTimeout = connectTimeout
            self.timeout = timeout
        }
    }

    /// What the server answered.
    package struct Response: Sendable {
        /// The status code of the final response.
        package var status: Int
        /// The final response's header fields (those of a `100 Continue` are dropped).
        package var headers: Headers
        package var body: [UInt8]
        /// How many new connections libcurl opened for this request (`CURLINFO_NUM_CONNECTS`):
        /// 0 when it reused a pooled connection.
        package var connectionsOpened: Int
        /// True when the body was cut at ``HTTPClient/Configuration/maxResponseBytes``
        /// (``HTTPClient/Configuration/truncatesLargeResponses``); the connection is then closed.
        package var bodyTruncated: Bool

        package init(status: Int, headers: Headers = Headers(), body: [UInt8] = [], connectionsOpened: Int = 0, bodyTruncated: Bool = false) {
            self.status = status
            self.headers = headers
            self.body = body
            self.connectionsOpened = connectionsOpened
            self.bodyTruncated = bodyTruncated
        }

        /// The body decoded as UTF-8 (invalid sequences replaced).
        package var text: String { String(decoding: body, as: UTF8.self) }
    }
}

extension HTTPClient {
    /// A request method.
    public enum Method: String, Sendable, Hashable, CaseIterable {
        case GET, HEAD, POST, PUT, PATCH, DELETE
    }

    /// Header fields in order, looked up case-insensitively (RFC 9110 §5.1).
    public struct Headers: Sendable, Sequence, ExpressibleByDictionaryLiteral, Equatable {
        public private(set) var fields: [Field] = []

        /// One header field.
        public struct Field: Sendable, Equatable {
            public var name: String
            public var value: String
        }

        public init() {}

        public init(dictionaryLiteral elements: (String, String)...) {
            for (name, value) in elements { add(name, value) }
        }

        public mutating func add(_ name: String, _ value: String) {
            fields.append(Field(name: name, value: value))
        }

        /// Replaces every field named `name` with one field.
        public mutating func set(_ name: String, _ value: String) {
            remove(name)
            add(name, value)
        }

        public mutating func remove(_ name: String) {
            fields.removeAll { $0.name.lowercased() == name.lowercased() }
        }

        /// The first value of `name`, in any letter case.
        public subscript(name: String) -> String? {
            let wanted = name.lowercased()
            return fields.first { $0.name.lowercased() == wanted }?.value
        }

        /// Every value of `name`, in order.
        public func values(_ name: String) -> [String] {
            let wanted = name.lowercased()
            return fields.filter { $0.name.lowercased() == wanted }.map(\.value)
        }

        public func makeIterator() -> IndexingIterator<[Field]> { fields.makeIterator() }
    }

    /// One HTTP request: what to send, and how long to wait for it.
    public struct Request: Sendable {
        public var method: Method
        /// An absolute `http://` or `https://` URL, already percent-encoded.
        public var url: String
        public var headers: Headers
        /// The body; sent for every method but `GET` and `HEAD` when not empty.
        public var body: [UInt8]
        /// The longest wait for the TCP and TLS handshakes (`CURLOPT_CONNECTTIMEOUT_MS`).
        public var connectTimeout: Duration
        /// The longest the whole request may take, connect included (`CURLOPT_TIMEOUT_MS`).
        public var timeout: Duration

        public init(
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
    public struct Response: Sendable {
        /// The status code of the final response.
        public var status: Int
        /// The final response's header fields (those of a `100 Continue` are dropped).
        public var headers: Headers
        public var body: [UInt8]
        /// How many new connections libcurl opened for this request (`CURLINFO_NUM_CONNECTS`):
        /// 0 when it reused a pooled connection.
        public var connectionsOpened: Int

        public init(status: Int, headers: Headers = Headers(), body: [UInt8] = [], connectionsOpened: Int = 0) {
            self.status = status
            self.headers = headers
            self.body = body
            self.connectionsOpened = connectionsOpened
        }

        /// The body decoded as UTF-8 (invalid sequences replaced).
        public var text: String { String(decoding: body, as: UTF8.self) }
    }
}

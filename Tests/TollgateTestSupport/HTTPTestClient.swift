import Foundation

/// A failure of ``HTTPTestClient``: connect, send, receive or parse.
package struct HTTPTestClientError: Error, CustomStringConvertible {
    package var message: String
    package init(_ message: String) { self.message = message }
    package var description: String { message }
}

/// A response as ``HTTPTestClient`` read it.
package struct TestResponse: Sendable {
    package var status: Int
    package var reason: String
    /// Header fields in order, as sent.
    package var headers: [(name: String, value: String)]
    package var body: [UInt8]

    package init(status: Int, reason: String, headers: [(name: String, value: String)], body: [UInt8]) {
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
    }

    /// The first value of header `name`, looked up case-insensitively.
    package func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// The body as UTF-8 text.
    package var text: String { String(decoding: body, as: UTF8.self) }

    /// The body as a JSON object.
    package func json() throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            throw HTTPTestClientError("the body is not a JSON object: \(text.prefix(200))")
        }
        return object
    }

    /// The body decoded as `T` (plain JSONDecoder: keys as sent).
    package func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(body))
    }
}

/// A small blocking HTTP/1.1 client for tests: one TCP connection to a loopback port, reused for
/// every request (keep-alive), with a receive timeout so a test never hangs.
///
/// Not thread-safe: use one client per thread.
package final class HTTPTestClient {
    package let host: String
    package let port: Int
    private var socket: Int32
    /// Bytes received and not yet consumed by a response.
    private var buffer: [UInt8] = []

    /// Connects to `host` (an IPv4 literal) and `port`; `timeout` bounds every receive.
    package init(port: Int, host: String = "127.0.0.1", timeout: Duration = .seconds(10)) throws {
        self.host = host
        self.port = port
        socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socket >= 0 else { throw HTTPTestClientError("socket: \(Self.errorText())") }
        var time = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: Int(timeout.components.attoseconds / 1_000_000_000_000))
        if time.tv_sec == 0, time.tv_usec == 0 { time.tv_usec = 1000 }
        _ = setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        _ = setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        // Failures below close through `close()`, which marks the socket closed: the instance is
        // fully initialised, so `deinit` runs after the throw, and a second `close` of the same
        // number would close whatever descriptor another thread was given in between.
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            close()
            throw HTTPTestClientError("\(host) is not an IPv4 address")
        }
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            let text = Self.errorText()
            close()
            throw HTTPTestClientError("connect to \(host):\(port): \(text)")
        }
    }

    deinit {
        close()
    }

    /// Closes the connection (idempotent).
    package func close() {
        if socket >= 0 {
            Foundation.close(socket)
            socket = -1
        }
    }

    /// Sends one request and reads its response. Adds `Host`, and `Content-Length` when there is
    /// a body and the headers set neither it nor `Transfer-Encoding`. When the server answers
    /// early and closes before the whole request was written (a 413), the response it sent is
    /// still read and returned.
    @discardableResult
    package func send(
        method: String = "GET", path: String, headers: [(String, String)] = [], body: [UInt8]? = nil
    ) throws -> TestResponse {
        var head = "\(method) \(path) HTTP/1.1\r\n"
        let names = Set(headers.map { $0.0.lowercased() })
        if !names.contains("host") { head += "Host: \(host):\(port)\r\n" }
        if let body, !names.contains("content-length"), !names.contains("transfer-encoding") {
            head += "Content-Length: \(body.count)\r\n"
        }
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        do {
            try sendRaw(Array(head.utf8) + (body ?? []))
        } catch {
            guard let response = try? readResponse(method: method) else { throw error }
            return response
        }
        return try readResponse(method: method)
    }

    /// Sends `body` with `Transfer-Encoding: chunked` in chunks of `chunkSize` bytes.
    @discardableResult
    package func sendChunked(
        method: String = "POST", path: String, headers: [(String, String)] = [], body: [UInt8], chunkSize: Int = 64 * 1024
    ) throws -> TestResponse {
        var encoded: [UInt8] = []
        var offset = 0
        while offset < body.count {
            let end = min(offset + chunkSize, body.count)
            encoded += Array("\(String(end - offset, radix: 16))\r\n".utf8) + body[offset..<end] + Array("\r\n".utf8)
            offset = end
        }
        encoded += Array("0\r\n\r\n".utf8)
        return try send(method: method, path: path, headers: headers + [("Transfer-Encoding", "chunked")], body: encoded)
    }

    /// Writes `bytes` as they are (partial or malformed requests).
    package func sendRaw(_ bytes: [UInt8]) throws {
        guard socket >= 0 else { throw HTTPTestClientError("the connection is closed") }
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Foundation.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written < 0 {
                if errno == EINTR { continue }
                throw HTTPTestClientError("send: \(Self.errorText())")
            }
            offset += written
        }
    }

    /// Reads one response. `method` tells whether a body follows (not for HEAD).
    package func readResponse(method: String = "GET") throws -> TestResponse {
        let headEnd = try readUntilHeadEnd()
        let head = String(decoding: buffer[..<headEnd], as: UTF8.self)
        buffer.removeFirst(headEnd + 4)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2)
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else {
            throw HTTPTestClientError("malformed status line: \(head.prefix(100))")
        }
        var response = TestResponse(
            status: status, reason: statusLine.count > 2 ? String(statusLine[2]) : "", headers: [], body: [])
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            response.headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        if method == "HEAD" || status == 204 || status == 304 || (100..<200).contains(status) { return response }
        if response.header("Transfer-Encoding")?.lowercased().contains("chunked") == true {
            response.body = try readChunkedBody()
        } else if let length = response.header("Content-Length").flatMap(Int.init) {
            try fill(atLeast: length)
            response.body = Array(buffer[..<length])
            buffer.removeFirst(length)
        } else {
            while try receive() > 0 {}
            response.body = buffer
            buffer = []
        }
        return response
    }

    /// Whether the server closes the connection (EOF or reset) within `within`. Data arriving
    /// instead counts as not closed.
    package func isClosedByPeer(within: Duration) -> Bool {
        guard socket >= 0 else { return true }
        let deadline = ContinuousClock.now + within
        while ContinuousClock.now < deadline {
            var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            let left = deadline - .now
            let millis = Int32(max(1, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000))
            let ready = poll(&descriptor, 1, millis)
            if ready < 0 { return errno != EINTR }
            if ready == 0 { continue }
            var byte: UInt8 = 0
            let peeked = recv(socket, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
            if peeked == 0 { return true }
            if peeked < 0 { return errno == ECONNRESET }
            return false
        }
        return false
    }

    /// One request on a new connection, closed afterwards.
    package static func request(
        port: Int, method: String = "GET", path: String, headers: [(String, String)] = [], body: [UInt8]? = nil,
        timeout: Duration = .seconds(10)
    ) throws -> TestResponse {
        let client = try HTTPTestClient(port: port, timeout: timeout)
        defer { client.close() }
        return try client.send(method: method, path: path, headers: headers, body: body)
    }

    // MARK: Reading

    /// Receives once into the buffer; returns the byte count (0 at EOF).
    private func receive() throws -> Int {
        guard socket >= 0 else { throw HTTPTestClientError("the connection is closed") }
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            if count >= 0 {
                buffer += chunk[..<count]
                return count
            }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { throw HTTPTestClientError("receive timed out") }
            throw HTTPTestClientError("recv: \(Self.errorText())")
        }
    }

    private func fill(atLeast count: Int) throws {
        while buffer.count < count {
            if try receive() == 0 { throw HTTPTestClientError("connection closed after \(buffer.count) of \(count) bytes") }
        }
    }

    private func readUntilHeadEnd() throws -> Int {
        var searchFrom = 0
        while true {
            if buffer.count >= 4 {
                for index in searchFrom...(buffer.count - 4)
                where buffer[index] == 13 && buffer[index + 1] == 10 && buffer[index + 2] == 13 && buffer[index + 3] == 10 {
                    return index
                }
                searchFrom = buffer.count - 3
            }
            if try receive() == 0 {
                throw HTTPTestClientError(buffer.isEmpty ? "connection closed before a response" : "connection closed inside the response head")
            }
        }
    }

    private func readLine() throws -> String {
        while true {
            if let index = buffer.firstIndex(of: 10) {
                let line = String(decoding: buffer[..<index], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                buffer.removeFirst(index + 1)
                return line
            }
            if try receive() == 0 { throw HTTPTestClientError("connection closed inside a chunked body") }
        }
    }

    private func readChunkedBody() throws -> [UInt8] {
        var body: [UInt8] = []
        while true {
            let sizeText = try readLine().split(separator: ";").first.map(String.init) ?? ""
            guard let size = Int(sizeText, radix: 16) else { throw HTTPTestClientError("bad chunk size \(sizeText)") }
            if size == 0 {
                while try !readLine().isEmpty {}  // trailers
                return body
            }
            try fill(atLeast: size + 2)
            body += buffer[..<size]
            buffer.removeFirst(size + 2)
        }
    }

    private static func errorText() -> String {
        String(cString: strerror(errno))
    }
}

import Foundation

/// A streamed response read over a raw loopback socket, for Server-Sent Events tests: sends one GET,
/// reads the head, then decodes the chunked body as it arrives. Every wait has a deadline, so a test
/// never hangs; none asserts how long anything took.
///
/// Not thread-safe: one client per thread.
package final class StreamTestClient {
    package private(set) var status = 0
    /// Header fields as sent, names lowercased.
    package private(set) var headers: [String: String] = [:]
    /// The decoded body so far (chunk framing removed).
    package private(set) var body: [UInt8] = []
    /// The terminating zero-size chunk arrived.
    package private(set) var ended = false
    /// The server closed the connection.
    package private(set) var closed = false
    private var socket: Int32
    private var raw: [UInt8] = []
    private var headRead = false
    private var chunked = false

    /// Connects to 127.0.0.1:`port` and sends `GET path` with `headers`; reads nothing yet.
    /// `receiveBuffer` shrinks the socket's receive buffer (a stalled consumer that never reads
    /// fills it sooner).
    package init(port: Int, path: String, headers: [String: String] = [:], receiveBuffer: Int? = nil) throws {
        socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socket >= 0 else { throw HTTPTestClientError("socket failed") }
        if var size = receiveBuffer.map(Int32.init) {
            _ = setsockopt(socket, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            Foundation.close(socket)
            socket = -1
            throw HTTPTestClientError("connect failed: \(String(cString: strerror(errno)))")
        }
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        request += "\r\n"
        let bytes = Array(request.utf8)
        let sent = bytes.withUnsafeBytes { Foundation.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == bytes.count else { throw HTTPTestClientError("send failed") }
    }

    deinit { close() }

    /// Closes the socket (the server sees the peer gone at its next write).
    package func close() {
        if socket >= 0 {
            Foundation.close(socket)
            socket = -1
        }
    }

    /// The body as UTF-8 text.
    package var text: String { String(decoding: body, as: UTF8.self) }

    /// Reads until `condition` holds, the stream ends or closes, or `timeout` passes; the condition's
    /// last answer.
    @discardableResult
    package func read(timeout: Duration = .seconds(10), until condition: (StreamTestClient) -> Bool) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !condition(self), !closed, ContinuousClock.now < deadline {
            receive(waitingUpTo: 50)
        }
        return condition(self)
    }

    /// Reads until the body contains `text` (or the deadline).
    @discardableResult
    package func read(until text: String, timeout: Duration = .seconds(10)) -> Bool {
        read(timeout: timeout) { $0.text.contains(text) }
    }

    /// Reads whatever arrives for `duration`.
    package func drain(for duration: Duration) {
        _ = read(timeout: duration) { _ in false }
    }

    private func receive(waitingUpTo milliseconds: Int32) {
        guard socket >= 0 else {
            closed = true
            return
        }
        var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, milliseconds) > 0 else { return }
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        let count = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        if count > 0 {
            raw += chunk[..<count]
            decode()
        } else if count == 0 || (errno != EAGAIN && errno != EINTR) {
            closed = true
        }
    }

    private func decode() {
        if !headRead {
            let separator: [UInt8] = [13, 10, 13, 10]
            guard raw.count >= 4, let end = (0...(raw.count - 4)).first(where: { Array(raw[$0..<$0 + 4]) == separator }) else { return }
            let head = String(decoding: raw[..<end], as: UTF8.self).components(separatedBy: "\r\n")
            status = head.first.flatMap { line in line.split(separator: " ").dropFirst().first.flatMap { Int($0) } } ?? 0
            for line in head.dropFirst() {
                let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                if parts.count == 2 { headers[parts[0].lowercased()] = parts[1] }
            }
            chunked = headers["transfer-encoding"]?.lowercased() == "chunked"
            raw.removeFirst(end + 4)
            headRead = true
        }
        guard chunked else {
            body += raw
            raw = []
            return
        }
        while !ended {
            guard let lineEnd = (0..<max(raw.count - 1, 0)).first(where: { raw[$0] == 13 && raw[$0 + 1] == 10 }) else { return }
            let sizeText = String(decoding: raw[..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                closed = true
                return
            }
            guard raw.count >= lineEnd + 2 + size + 2 else { return }
            body += raw[(lineEnd + 2)..<(lineEnd + 2 + size)]
            raw.removeFirst(lineEnd + 2 + size + 2)
            if size == 0 { ended = true }
        }
    }
}

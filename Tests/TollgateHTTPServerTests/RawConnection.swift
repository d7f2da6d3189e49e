import Foundation
import TollgateTestSupport

/// One TCP connection to the server on plain POSIX sockets, for bad input: writes whatever bytes
/// it is given, and reads everything the server sends until it closes, with a deadline on every
/// wait so that a test cannot hang.
final class RawConnection {
    /// How reading ended.
    enum End: Equatable {
        /// The server closed (EOF or reset).
        case closed
        /// The deadline passed with the connection still open.
        case timedOut
    }

    private var socket: Int32

    init(port: Int) throws {
        socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socket >= 0 else { throw HTTPTestClientError("socket failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            Foundation.close(socket)
            socket = -1
            throw HTTPTestClientError("connect failed: \(String(cString: strerror(errno)))")
        }
    }

    deinit { close() }

    func close() {
        if socket >= 0 {
            Foundation.close(socket)
            socket = -1
        }
    }

    /// Writes `bytes`; false when the server has closed or reset the connection meanwhile
    /// (a server may answer and close before it read everything).
    @discardableResult
    func write(_ bytes: [UInt8], timeout: Duration = .seconds(5)) -> Bool {
        let deadline = ContinuousClock.now + timeout
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes {
                Foundation.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
            }
            if written > 0 {
                offset += written
                continue
            }
            if written < 0, errno == EINTR { continue }
            guard written < 0, errno == EAGAIN || errno == EWOULDBLOCK, ContinuousClock.now < deadline else { return false }
            var descriptor = pollfd(fd: socket, events: Int16(POLLOUT), revents: 0)
            _ = poll(&descriptor, 1, 50)
        }
        return true
    }

    func write(_ text: String) -> Bool { write(Array(text.utf8)) }

    /// Reads until the server closes the connection or `timeout` passes.
    func readUntilClosed(timeout: Duration) -> (bytes: [UInt8], end: End) {
        var received: [UInt8] = []
        let deadline = ContinuousClock.now + timeout
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while ContinuousClock.now < deadline {
            var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, 50)
            if ready < 0, errno != EINTR { return (received, .closed) }
            if ready <= 0 { continue }
            let count = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if count > 0 {
                received += chunk[..<count]
            } else if count == 0 || (errno != EAGAIN && errno != EINTR) {
                return (received, .closed)
            }
        }
        return (received, .timedOut)
    }

    /// Whether the server has closed the connection, after waiting up to `within` for it; bytes
    /// that arrive meanwhile are appended to `received`.
    func isClosed(within: Duration, received: inout [UInt8]) -> Bool {
        let outcome = readUntilClosed(timeout: within)
        received += outcome.bytes
        return outcome.end == .closed
    }
}

/// What a bad request got back: a well-formed response whose body is the JSON error body, or
/// nothing (a clean close), or something else (described).
enum RawOutcome: Equatable, CustomStringConvertible {
    case nothing
    case errorBody(status: Int, code: String)
    case malformed(String)

    var description: String {
        switch self {
        case .nothing: "closed without a byte"
        case .errorBody(let status, let code): "\(status) \(code)"
        case .malformed(let text): "malformed: \(text)"
        }
    }

    /// Parses `bytes` as exactly one HTTP/1.1 response framed by `Content-Length`, with nothing
    /// after it, whose body is `{"error":{"code","message","details"}}`.
    init(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else {
            self = .nothing
            return
        }
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let headEnd = (0...(max(bytes.count - 4, 0))).first(where: { Array(bytes[$0..<min($0 + 4, bytes.count)]) == separator }) else {
            self = .malformed("no end of head in \(bytes.count) bytes: \(String(decoding: bytes.prefix(120), as: UTF8.self))")
            return
        }
        let head = String(decoding: bytes[..<headEnd], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2)
        guard statusLine.count >= 2, statusLine[0] == "HTTP/1.1" || statusLine[0] == "HTTP/1.0", let status = Int(statusLine[1]) else {
            self = .malformed("status line: \(head.prefix(80))")
            return
        }
        var length: Int?
        var contentType: String?
        for line in lines {
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else {
                self = .malformed("header line: \(line.prefix(80))")
                return
            }
            if parts[0].lowercased() == "content-length" { length = Int(parts[1]) }
            if parts[0].lowercased() == "content-type" { contentType = parts[1] }
            if parts[0].lowercased() == "transfer-encoding" {
                self = .malformed("unexpected Transfer-Encoding")
                return
            }
        }
        let body = Array(bytes[(headEnd + 4)...])
        guard let length, body.count == length else {
            self = .malformed("Content-Length \(length.map(String.init) ?? "none"), \(body.count) bytes follow the head: \(String(decoding: body.prefix(200), as: UTF8.self))")
            return
        }
        guard contentType == "application/json",
              let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
              object.count == 1, let error = object["error"] as? [String: Any],
              let code = error["code"] as? String, error["message"] is String, error["details"] is [Any]
        else {
            self = .malformed("\(status) \(contentType ?? "no content type"): \(String(decoding: body.prefix(200), as: UTF8.self))")
            return
        }
        self = .errorBody(status: status, code: code)
    }
}

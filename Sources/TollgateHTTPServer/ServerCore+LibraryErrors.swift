import CMicroHTTPD
import CMicroHTTPDShims
import Foundation
import TollgateLogging

/// Requests libmicrohttpd 0.9.75 refuses before the access handler sees them: a request line or
/// headers larger than its per-connection memory, a malformed request line, header or chunk, an
/// unsupported HTTP version, a `Content-Length` that is negative, not a number or over 2⁶⁴.
/// libmicrohttpd answers those with its own HTML body, and for a bad `Content-Length` it writes
/// the status line and headers twice: `parse_connection_headers` queues the error and sets the
/// state to "headers sending", then `MHD_connection_handle_idle` overwrites that state with
/// "headers processed", so the response is started a second time (`build_header_response`
/// appends the same head again).
///
/// It logs `Error processing request (HTTP response code is N …)` just before, on the thread that
/// processes the connection and before any byte is written; `mhd.c` turns that line into a call of
/// ``libraryWillAnswer(status:)``, which writes the JSON error body with that status on the
/// connection's socket and shuts the socket down. libmicrohttpd's own response then fails to send
/// (`EPIPE`) and it closes the connection.
extension ServerCore {
    /// A URI at least this long that libmicrohttpd could not take is reported as 414, not 431.
    static let longURI = 8192

    func libraryWillAnswer(status: Int) {
        guard let target = connections.ownErrorTarget() else {
            logger.debug("libmicrohttpd answers a request with its own error response", ["status": String(status)])
            return
        }
        let error = Self.libraryError(status: target.uriLength >= Self.longURI && status == 431 ? 414 : status)
        var response = HTTPResponse.error(error)
        response.headers.set(RequestID.headerName, requestIDs.resolve(nil))
        response.headers.set("Connection", "close")
        let bytes = Self.serialize(response)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes {
                Foundation.send(target.socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
            }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { break }
            offset += written
        }
        ConnectionTable.shutDown(socket: target.socket)
        logger.debug("refused a request libmicrohttpd could not parse", [
            "status": String(error.status), "request_id": response.headers[RequestID.headerName] ?? "",
        ])
    }

    static func libraryError(status: Int) -> HTTPError {
        switch status {
        case 413: HTTPError(status: 413, code: "payload_too_large", message: "the declared Content-Length is too large")
        case 414: HTTPError(status: 414, code: "uri_too_long", message: "the request URI is too long")
        case 431: HTTPError(status: 431, code: "header_fields_too_large", message: "the request headers are too large")
        case 505: HTTPError(status: 505, code: "http_version_not_supported", message: "only HTTP/1.0 and HTTP/1.1 are supported")
        case 500...599: .internalError
        default: .badRequest("the request is malformed (request line, a header, Content-Length or chunked encoding)")
        }
    }

    /// The bytes of `response` on the wire: status line, headers, `Content-Length`, body.
    static func serialize(_ response: HTTPResponse) -> [UInt8] {
        let reason = MHD_get_reason_phrase_for(UInt32(response.status)).map { String(cString: $0) } ?? ""
        var head = "HTTP/1.1 \(response.status) \(reason)\r\n"
        for field in response.headers where !field.name.caseInsensitiveEquals("Content-Length") {
            head += "\(field.name): \(field.value)\r\n"
        }
        head += "Content-Length: \(response.body.count)\r\n\r\n"
        return Array(head.utf8) + response.body
    }
}

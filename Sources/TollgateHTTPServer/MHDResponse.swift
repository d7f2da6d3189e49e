import CMicroHTTPD
import CMicroHTTPDShims

/// Turns an ``HTTPResponse`` into an `MHD_Response` and queues it on a connection.
enum MHDResponse {
    /// Headers libmicrohttpd writes itself from the body and the connection state.
    private static func isManagedByMHD(_ name: String) -> Bool {
        name.caseInsensitiveEquals("Content-Length") || name.caseInsensitiveEquals("Transfer-Encoding")
    }

    /// Copies the body into a libmicrohttpd response, adds the headers and queues it.
    /// `.NO` (close the connection) when libmicrohttpd cannot allocate or refuses the response.
    /// A streamed response (``HTTPResponse/stream``) needs `streams`, which admitted it: its body is
    /// read through a ``StreamConnection`` with chunked encoding.
    static func queue(_ response: HTTPResponse, on connection: OpaquePointer, streams: StreamRegistry) -> MHD_Result {
        let created: OpaquePointer?
        if let stream = response.stream {
            let context = StreamConnection(body: stream, connection: ConnectionHandle(pointer: connection), registry: streams)
            let retained = Unmanaged.passRetained(context).toOpaque()
            // Size unknown (MHD_SIZE_UNKNOWN, a cast macro Swift does not import): chunked on HTTP/1.1.
            created = MHD_create_response_from_callback(UInt64.max, 16 * 1024, StreamConnection.reader, retained, StreamConnection.release)
            if created == nil { StreamConnection.release(retained) }
        } else {
            created = response.body.withUnsafeBytes { bytes in
                // MHD_RESPMEM_MUST_COPY: libmicrohttpd copies the bytes before this closure returns.
                MHD_create_response_from_buffer(bytes.count, UnsafeMutableRawPointer(mutating: bytes.baseAddress), .RESPMEM_MUST_COPY)
            }
        }
        guard let created else { return .NO }
        defer { MHD_destroy_response(created) }
        for field in response.headers where !isManagedByMHD(field.name) {
            // MHD refuses names or values with line breaks; such a header is left out.
            _ = MHD_add_response_header(created, field.name, field.value)
        }
        return MHD_queue_response(connection, UInt32(response.status), created)
    }
}

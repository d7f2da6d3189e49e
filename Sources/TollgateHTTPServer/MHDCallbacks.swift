import CMicroHTTPD
import CMicroHTTPDShims
import Foundation

/// The C callbacks given to `MHD_start_daemon`. Each is a non-capturing closure (Swift 6.3.1
/// crashes converting capturing closures to C function pointers) that finds its ``ServerCore``
/// through the `void *` context, passed unretained: ``HTTPServer`` keeps the core alive until
/// `MHD_stop_daemon` has returned.
enum MHDCallbacks {
    static func core(_ context: UnsafeMutableRawPointer) -> ServerCore {
        Unmanaged<ServerCore>.fromOpaque(context).takeUnretainedValue()
    }

    /// `MHD_AccessHandlerCallback`: every call for every request.
    static let accessHandler: MHD_AccessHandlerCallback = { context, connection, url, method, _, upload, uploadSize, slot in
        guard let context, let connection, let url, let method, let uploadSize, let slot else { return .NO }
        return core(context).handle(
            connection: connection, url: url, method: method, upload: upload, uploadSize: uploadSize, slot: slot)
    }

    /// `MHD_OPTION_NOTIFY_COMPLETED`: releases the request's context (retained on the first call).
    static let requestCompleted: MHD_RequestCompletedCallback = { context, connection, slot, reason in
        guard let context else { return }
        if let connection { core(context).connections.requestCompleted(connection) }
        guard let slot, let pointer = slot.pointee else { return }
        slot.pointee = nil
        let request = Unmanaged<RequestContext>.fromOpaque(pointer).takeRetainedValue()
        core(context).requestCompleted(context: request, reason: reason)
    }

    /// `MHD_OPTION_NOTIFY_CONNECTION`: the open-connections gauge and the connection table.
    static let connectionNotify: MHD_NotifyConnectionCallback = { context, connection, _, event in
        guard let context else { return }
        let core = core(context)
        switch event {
        case .CONNECTION_NOTIFY_STARTED:
            core.metrics.connectionOpened()
            if let connection { core.connections.opened(connection) }
        case .CONNECTION_NOTIFY_CLOSED:
            if let connection { core.connections.closed(connection) }
            core.metrics.connectionClosed()
        }
    }

    /// `MHD_OPTION_URI_LOG_CALLBACK`: the request line is in (the head deadline runs). Returns
    /// NULL: the request's context is made on the access handler's first call.
    static let requestLine: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?, OpaquePointer?) -> UnsafeMutableRawPointer? = {
        context, uri, connection in
        guard let context, let connection else { return nil }
        let length = uri.map { strlen($0) } ?? 0
        core(context).connections.requestLineRead(connection, uriLength: length, pathHoldsNUL: uri.map { pathHoldsEncodedNUL($0, length) } ?? false)
        return nil
    }

    /// True when the raw URI's path (before `?`) has `%00`.
    static func pathHoldsEncodedNUL(_ uri: UnsafePointer<CChar>, _ length: Int) -> Bool {
        uri.withMemoryRebound(to: UInt8.self, capacity: length) { bytes in
            var index = 0
            while index < length, bytes[index] != UInt8(ascii: "?") {
                if bytes[index] == UInt8(ascii: "%"), index + 2 < length, bytes[index + 1] == UInt8(ascii: "0"), bytes[index + 2] == UInt8(ascii: "0") {
                    return true
                }
                index += 1
            }
            return false
        }
    }

    /// Called by `mhd.c` when libmicrohttpd is about to send its own error response.
    static let libraryError: @convention(c) (UnsafeMutableRawPointer?, UInt32) -> Void = { context, status in
        guard let context else { return }
        core(context).libraryWillAnswer(status: Int(status))
    }
}

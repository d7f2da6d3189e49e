import CMicroHTTPD

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
    static let requestCompleted: MHD_RequestCompletedCallback = { context, _, slot, reason in
        guard let context, let slot, let pointer = slot.pointee else { return }
        slot.pointee = nil
        let request = Unmanaged<RequestContext>.fromOpaque(pointer).takeRetainedValue()
        core(context).requestCompleted(context: request, reason: reason)
    }

    /// `MHD_OPTION_NOTIFY_CONNECTION`: the open-connections gauge.
    static let connectionNotify: MHD_NotifyConnectionCallback = { context, _, _, event in
        guard let context else { return }
        switch event {
        case .CONNECTION_NOTIFY_STARTED: core(context).metrics.connectionOpened()
        case .CONNECTION_NOTIFY_CLOSED: core(context).metrics.connectionClosed()
        }
    }
}

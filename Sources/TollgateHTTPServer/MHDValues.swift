import CMicroHTTPD

/// Reads a connection's headers or query arguments through `MHD_get_connection_values`
/// (libmicrohttpd has already percent-decoded query arguments).
enum MHDValues {
    /// Collects into a box the C iterator reaches through its `void *` argument.
    private final class Collector {
        var fields: [(name: String, value: String)] = []
    }

    static func collect(_ connection: OpaquePointer, kind: MHD_ValueKind) -> [(name: String, value: String)] {
        let collector = Collector()
        withExtendedLifetime(collector) {
            _ = MHD_get_connection_values(connection, kind, collectValue, Unmanaged.passUnretained(collector).toOpaque())
        }
        return collector.fields
    }

    /// The iterator: a top-level-style function, not a capturing closure (Swift 6.3.1 crashes
    /// converting capturing closures to C function pointers). A key without value (`?flag`)
    /// gets the empty string.
    private static let collectValue: MHD_KeyValueIterator = { context, _, key, value in
        guard let context, let key else { return .YES }
        let collector = Unmanaged<Collector>.fromOpaque(context).takeUnretainedValue()
        collector.fields.append((String(cString: key), value.map { String(cString: $0) } ?? ""))
        return .YES
    }
}

extension HTTPHeaders {
    /// Headers from name/value pairs, in order.
    init(fields: [(name: String, value: String)]) {
        self.init()
        for field in fields { add(field.name, field.value) }
    }
}

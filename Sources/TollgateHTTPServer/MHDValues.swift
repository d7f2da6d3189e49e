import CMicroHTTPD
import CMicroHTTPDShims

/// Reads a connection's headers or query arguments through `MHD_get_connection_values_n`
/// (libmicrohttpd has already percent-decoded query arguments). With their lengths, not as C
/// strings: a decoded `%00` stays in the value (and is refused by the API) instead of silently
/// cutting it short.
enum MHDValues {
    /// Collects into a box the C iterator reaches through its `void *` argument.
    private final class Collector {
        var fields: [(name: String, value: String)] = []
    }

    static func collect(_ connection: OpaquePointer, kind: MHD_ValueKind) -> [(name: String, value: String)] {
        let collector = Collector()
        withExtendedLifetime(collector) {
            _ = MHD_get_connection_values_n(connection, kind, collectValue, Unmanaged.passUnretained(collector).toOpaque())
        }
        return collector.fields
    }

    /// The iterator: a top-level-style function, not a capturing closure (Swift 6.3.1 crashes
    /// converting capturing closures to C function pointers). A key without value (`?flag`)
    /// gets the empty string.
    private static let collectValue: MHD_KeyValueIteratorN = { context, _, key, keySize, value, valueSize in
        guard let context, let key else { return .YES }
        let collector = Unmanaged<Collector>.fromOpaque(context).takeUnretainedValue()
        collector.fields.append((text(key, keySize), value.map { text($0, valueSize) } ?? ""))
        return .YES
    }

    private static func text(_ pointer: UnsafePointer<CChar>, _ count: Int) -> String {
        pointer.withMemoryRebound(to: UInt8.self, capacity: count) { String(decoding: UnsafeBufferPointer(start: $0, count: count), as: UTF8.self) }
    }
}

extension HTTPHeaders {
    /// Headers from name/value pairs, in order.
    init(fields: [(name: String, value: String)]) {
        self.init()
        for field in fields { add(field.name, field.value) }
    }
}

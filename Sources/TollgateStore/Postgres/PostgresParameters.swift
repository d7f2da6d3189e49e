import Foundation

/// Statement parameters in libpq's text format, laid out for `PQexecParams`.
///
/// Each non-NULL value is NUL-terminated text in one contiguous buffer: integers and reals in
/// decimal, booleans `t`/`f`, timestamps in ``SQLTimestamp`` form, blobs as `bytea` hex (`\x…`).
/// Parameter types are left to the server to infer from context.
struct PostgresParameters {
    private var storage: [UInt8] = []
    /// The start of each value in `storage`, or nil for SQL NULL.
    private var offsets: [Int?] = []

    var count: Int32 { Int32(offsets.count) }

    init(_ values: [SQLValue]) throws(StoreError) {
        offsets.reserveCapacity(values.count)
        for (index, value) in values.enumerated() {
            switch value {
            case .null: offsets.append(nil)
            case .integer(let number): append(String(number))
            case .real(let number): append(Self.text(number))
            case .bool(let flag): append(flag ? "t" : "f")
            case .timestamp(let date): append(SQLTimestamp.format(date))
            case .blob(let bytes): appendHex(bytes)
            case .text(let text):
                guard !text.utf8.contains(0) else {
                    throw StoreError(.other, "parameter $\(index + 1) holds a NUL character, which PostgreSQL text cannot store")
                }
                append(text)
            }
        }
    }

    private static func text(_ number: Double) -> String {
        if number.isNaN { return "NaN" }
        if number.isInfinite { return number < 0 ? "-Infinity" : "Infinity" }
        return "\(number)"
    }

    private mutating func append(_ text: String) {
        offsets.append(storage.count)
        storage.append(contentsOf: text.utf8)
        storage.append(0)
    }

    private mutating func appendHex(_ bytes: [UInt8]) {
        let digits = Array("0123456789abcdef".utf8)
        offsets.append(storage.count)
        storage.reserveCapacity(storage.count + 3 + bytes.count * 2)
        storage.append(UInt8(ascii: "\\"))
        storage.append(UInt8(ascii: "x"))
        for byte in bytes {
            storage.append(digits[Int(byte >> 4)])
            storage.append(digits[Int(byte & 0x0F)])
        }
        storage.append(0)
    }

    /// Calls `body` with the `paramValues` array; the pointers live only for the call.
    func withValues<R>(_ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
        storage.withUnsafeBytes { buffer in
            let pointers: [UnsafePointer<CChar>?] = offsets.map { offset in
                guard let offset, let base = buffer.baseAddress else { return nil }
                return (base + offset).assumingMemoryBound(to: CChar.self)
            }
            return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
        }
    }
}

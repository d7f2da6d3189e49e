import Tollgate
import TollgateEntitlements
import TollgateHTTPServer

/// `POST /v1/usage` and `/v1/usage/consume` read their body here first: the common shape — one
/// flat object of the four fields, plain ASCII strings without escapes, whole numbers — is read
/// directly (`JSONDecoder` plus the strict checks were a sixth of the endpoint's CPU). Anything
/// else — another content type, an escape, a non-ASCII or control character, null, a fraction, a
/// repeated, unknown or missing field, an invalid feature key — goes to
/// ``HTTPRequest/decodeJSON(_:)``, which decides it and names what is wrong exactly as for any
/// other endpoint. `UsageRequestJSONTests` holds the two equal on what the fast path accepts.
enum UsageRequestJSON {
    static func decode(_ request: HTTPRequest) throws(HTTPError) -> UsageRequest {
        if let contentType = request.headers["Content-Type"], !contentType.lowercased().hasPrefix("application/json") {
            return try request.decodeJSON(UsageRequest.self)
        }
        if let fast = read(request.body) { return fast }
        return try request.decodeJSON(UsageRequest.self)
    }

    /// The request, when `body` has the common shape; nil for anything else.
    static func read(_ body: [UInt8]) -> UsageRequest? {
        var reader = Reader(bytes: body)
        var customer: String?
        var feature: String?
        var quantity: Int64?
        var key: String?
        reader.skipSpace()
        guard reader.take(UInt8(ascii: "{")) else { return nil }
        reader.skipSpace()
        if !reader.take(UInt8(ascii: "}")) {
            while true {
                reader.skipSpace()
                guard let name = reader.string() else { return nil }
                reader.skipSpace()
                guard reader.take(UInt8(ascii: ":")) else { return nil }
                reader.skipSpace()
                switch name {
                case "customer":
                    guard customer == nil, let value = reader.string() else { return nil }
                    customer = value
                case "feature":
                    guard feature == nil, let value = reader.string() else { return nil }
                    feature = value
                case "idempotency_key":
                    guard key == nil, let value = reader.string() else { return nil }
                    key = value
                case "quantity":
                    guard quantity == nil, let value = reader.integer() else { return nil }
                    quantity = value
                default:
                    return nil
                }
                reader.skipSpace()
                if reader.take(UInt8(ascii: ",")) { continue }
                guard reader.take(UInt8(ascii: "}")) else { return nil }
                break
            }
        }
        reader.skipSpace()
        guard reader.atEnd, let customer, let feature, let featureKey = FeatureKey(validating: feature) else { return nil }
        return UsageRequest(customer: customer, feature: featureKey, quantity: quantity ?? 1, idempotencyKey: key)
    }

    private struct Reader {
        let bytes: [UInt8]
        var index = 0

        var atEnd: Bool { index == bytes.count }

        mutating func skipSpace() {
            while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 {
                index += 1
            }
        }

        mutating func take(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        /// A string of printable ASCII without escapes.
        mutating func string() -> String? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            let start = index
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    defer { index += 1 }
                    return String(decoding: bytes[start..<index], as: UTF8.self)
                }
                guard byte >= 0x20, byte < 0x7F, byte != UInt8(ascii: "\\") else { return nil }
                index += 1
            }
            return nil
        }

        /// A whole number as JSON writes it (no leading zero, fraction or exponent) within Int64.
        mutating func integer() -> Int64? {
            let negative = take(UInt8(ascii: "-"))
            let start = index
            var value: Int64 = 0
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                let (times, overflow) = value.multipliedReportingOverflow(by: 10)
                let (sum, overflowAdding) = times.addingReportingOverflow(Int64(bytes[index] - 0x30))
                guard !overflow, !overflowAdding else { return nil }
                value = sum
                index += 1
            }
            let digits = index - start
            guard digits > 0, digits == 1 || bytes[start] != 0x30 else { return nil }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") || bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                return nil
            }
            return negative ? -value : value
        }
    }
}

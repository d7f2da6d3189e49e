import Foundation
import TollgateStripe

extension StripeObject {
    /// Parses JSON with `JSONSerialization` rather than `StripeObject`'s `Decodable` conformance,
    /// which tries each JSON type in turn at every value: in a debug build that cost 5 s of a
    /// scenario seed's 20 (2 MB of localstripe events), against 0.1 s this way.
    init(serialized bytes: [UInt8]) throws {
        self = Self.converting(try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]))
    }

    private static func converting(_ value: Any) -> StripeObject {
        switch value {
        case let members as [String: Any]: return .object(members.mapValues(converting))
        case let elements as [Any]: return .array(elements.map(converting))
        case let text as String: return .string(text)
        case let number as NSNumber:
            // JSONSerialization gives booleans as NSNumbers whose type is `c` (char).
            switch String(cString: number.objCType) {
            case "c", "B": return .bool(number.boolValue)
            case "f", "d": return Int(exactly: number.doubleValue).map(StripeObject.int) ?? .double(number.doubleValue)
            default: return .int(number.intValue)
            }
        default: return .null
        }
    }
}

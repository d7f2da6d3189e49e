/// An entitlement's value in a plan or a grant, or a customer's effective value.
///
/// JSON: `true` (``enabled``), an integer (``limit(_:)``) or the string `"unlimited"`.
/// For a boolean feature any value means enabled; for a limit feature the integer is the
/// limit; for a metered feature it is the quota of one usage window (a grant's integer is added
/// to the plan's quota).
public enum EntitlementValue: Sendable, Hashable {
    /// Enabled (a boolean feature).
    case enabled
    /// A finite number: a limit or a quota.
    case limit(Int64)
    /// No limit.
    case unlimited
}

extension EntitlementValue: Codable {
    /// Decodes `true`, an integer or `"unlimited"`. `false` is rejected: leave the feature out
    /// instead.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let flag = try? container.decode(Bool.self) {
            guard flag else {
                throw DecodingError.dataCorruptedError(
                    in: container,
                    debugDescription: "an entitlement cannot be false: leave the feature out instead"
                )
            }
            self = .enabled
        } else if let number = try? container.decode(Int64.self) {
            self = .limit(number)
        } else if let string = try? container.decode(String.self), string == "unlimited" {
            self = .unlimited
        } else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "expected an entitlement value: true, an integer or \"unlimited\""
            )
        }
    }

    /// Encodes `true`, the integer or `"unlimited"`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .enabled: try container.encode(true)
        case .limit(let number): try container.encode(number)
        case .unlimited: try container.encode("unlimited")
        }
    }
}

import Foundation

/// A pool of credits in the catalog (docs/credits.md): what credit-priced features draw from.
package struct CreditPool: Sendable, Equatable, Codable {
    /// `ai_credits`: 1 to 64 characters of a-z, 0-9, _ and -.
    package var key: String
    package var name: String
    /// How low a balance may go: 0 (the default) stops at zero; a negative floor lets a customer
    /// run into overage down to it, repaid from the next credits added.
    package var overageFloor: Int64
    /// The packs for sale.
    package var packs: [CreditPack]
    /// `credits.low` is announced when a customer's available credits fall below it (nil: never).
    package var lowBalance: Int64?

    package init(key: String, name: String, overageFloor: Int64 = 0, packs: [CreditPack] = [], lowBalance: Int64? = nil) {
        self.key = key
        self.name = name
        self.overageFloor = overageFloor
        self.packs = packs
        self.lowBalance = lowBalance
    }

    enum CodingKeys: String, CodingKey { case key, name, overageFloor, packs, lowBalance }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        key = try container.decode(String.self, forKey: .key)
        name = try container.decode(String.self, forKey: .name)
        overageFloor = try container.decodeIfPresent(Int64.self, forKey: .overageFloor) ?? 0
        packs = try container.decodeIfPresent([CreditPack].self, forKey: .packs) ?? []
        lowBalance = try container.decodeIfPresent(Int64.self, forKey: .lowBalance)
    }
}

/// Credits for sale: `credits` of the pool for `unitAmount` (smallest currency unit) in `currency`,
/// expiring `expiresAfterDays` after purchase (nil: never).
package struct CreditPack: Sendable, Equatable, Hashable, Codable {
    package var key: String
    package var credits: Int64
    package var unitAmount: Int64
    package var currency: String
    package var expiresAfterDays: Int?

    package init(key: String, credits: Int64, unitAmount: Int64, currency: String, expiresAfterDays: Int? = nil) {
        self.key = key
        self.credits = credits
        self.unitAmount = unitAmount
        self.currency = currency
        self.expiresAfterDays = expiresAfterDays
    }
}

package import Foundation

/// A customer of the SaaS, identified by the SaaS's own id (its org or account id).
package struct Customer: Sendable, Codable, Equatable {
    /// Tollgate's id (`cus_…`), used between Tollgate's own tables.
    package var id: String
    /// The SaaS's id for the customer; what the API and CLI address customers by.
    package var externalID: String
    package var email: String?
    package var name: String?
    package var metadata: [String: String]
    /// Set once the customer is linked to Stripe.
    package var stripeCustomerID: String?
    package var createdAt: Date
    package var updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, externalID = "externalId", email, name, metadata, stripeCustomerID = "stripeCustomerId", createdAt, updatedAt
    }
}

/// The writable fields of a customer, as an upsert carries them. A nil field keeps its value.
package struct CustomerChanges: Sendable, Codable, Equatable {
    package var externalID: String
    package var email: String?
    package var name: String?
    package var metadata: [String: String]?

    enum CodingKeys: String, CodingKey {
        case externalID = "externalId", email, name, metadata
    }

    package init(externalID: String, email: String? = nil, name: String? = nil, metadata: [String: String]? = nil) {
        self.externalID = externalID
        self.email = email
        self.name = name
        self.metadata = metadata
    }

    /// The rules, in one place: names the field at fault.
    func validate() throws(DomainError) {
        // Printable ASCII is 0x21 ("!") through 0x7E ("~"): no space, no control character, no NUL.
        guard !externalID.isEmpty, externalID.utf8.count <= 255,
              externalID.utf8.allSatisfy({ (0x21...0x7E).contains($0) && $0 != UInt8(ascii: "/") }) else {
            throw .invalid("external_id", "must be 1 to 255 printable ASCII characters without spaces or '/'")
        }
        if let email, email.count > 320 || !email.contains("@") {
            throw .invalid("email", "must be an email address")
        }
        if let name, name.count > 500 { throw .invalid("name", "must be at most 500 characters") }
        if let metadata {
            guard metadata.count <= 50 else { throw .invalid("metadata", "at most 50 keys") }
            for (key, value) in metadata where key.isEmpty || key.count > 40 || value.count > 500 {
                throw .invalid("metadata", "keys must be 1 to 40 characters and values at most 500")
            }
        }
    }
}

import Foundation
import TollgateEntitlements
import TollgateStore

/// The few reads the console needs that no repository has: counts for the overview, the customer
/// search and a customer's recent mail. Plain SQL, the same on SQLite and PostgreSQL.
struct ConsoleQueries: Sendable {
    let database: any Database

    struct SubscriptionCount: Sendable, Equatable {
        var plan: String
        var status: String
        var count: Int
    }

    /// A customer as a list shows it.
    struct CustomerRow: Sendable, Equatable {
        var externalID: String
        var email: String?
        var name: String?
        var stripeCustomerID: String?
        var createdAt: Date
    }

    /// A mail as the customer page lists it.
    struct MailRow: Sendable, Equatable {
        var id: String
        var template: String
        var recipient: String
        var status: String
        var createdAt: Date
    }

    /// The newest `limit` mails queued for the customer (Tollgate's id, `cus_…`), any status.
    func recentMail(customerID: String, limit: Int) throws -> [MailRow] {
        try database.withConnection { connection in
            try connection.query("""
                SELECT id, template, recipient, status, created_at FROM outbox_messages WHERE customer_id = \(customerID)
                ORDER BY created_at DESC, id DESC LIMIT \(limit)
                """).map {
                MailRow(id: try $0.get("id"), template: try $0.get("template"), recipient: try $0.get("recipient"), status: try $0.get("status"),
                        createdAt: try $0.get("created_at"))
            }
        }
    }

    func customerCount() throws -> Int {
        try database.withConnection { connection in
            try connection.queryFirst("SELECT COUNT(*) AS n FROM customers")?.get("n") ?? 0
        }
    }

    /// Current subscriptions by plan and status (one row per pair that has any).
    func subscriptionCounts() throws -> [SubscriptionCount] {
        try database.withConnection { connection in
            try connection.query("""
                SELECT plan_key, status, COUNT(*) AS n FROM subscriptions GROUP BY plan_key, status ORDER BY plan_key, status
                """).map { SubscriptionCount(plan: try $0.get("plan_key"), status: try $0.get("status"), count: try $0.get("n")) }
        }
    }

    /// Customers whose external id, email or Stripe customer id contains `text` (ASCII case ignored),
    /// oldest first, after the customer whose external id is `page.startingAfter` (keyset, like the API).
    func searchCustomers(_ text: String, page: PageRequest) throws -> Page<CustomerRow> {
        let pattern = "%" + Self.likeEscaped(text.lowercased()) + "%"
        return try database.withConnection { connection in
            var anchor: Customer?
            if let cursor = page.startingAfter {
                guard let found = try CustomerRepository.find(externalID: cursor, on: connection) else {
                    throw DomainError.invalid("starting_after", "no customer with external id \(cursor)")
                }
                anchor = found
            }
            let rows = try connection.query("""
                SELECT external_id, email, name, stripe_customer_id, created_at FROM customers
                WHERE (LOWER(external_id) LIKE \(pattern) ESCAPE '\\' OR LOWER(COALESCE(email, '')) LIKE \(pattern) ESCAPE '\\'
                        OR LOWER(COALESCE(stripe_customer_id, '')) LIKE \(pattern) ESCAPE '\\')
                    AND (\(anchor == nil ? 1 : 0) = 1 OR (created_at, id) > (\(anchor?.createdAt), \(anchor?.id)))
                ORDER BY created_at, id LIMIT \(page.limit + 1)
                """)
            return Page(items: try rows.prefix(page.limit).map(Self.customerRow(from:)), hasMore: rows.count > page.limit)
        }
    }

    static func customerRow(from row: Row) throws -> CustomerRow {
        CustomerRow(
            externalID: try row.get("external_id"), email: try row.get("email"), name: try row.get("name"),
            stripeCustomerID: try row.get("stripe_customer_id"), createdAt: try row.get("created_at"))
    }

    /// `text` with LIKE's wildcards and the escape character taken literally.
    static func likeEscaped(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if character == "\\" || character == "%" || character == "_" { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }
}

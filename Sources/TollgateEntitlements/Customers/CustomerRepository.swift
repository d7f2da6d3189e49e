package import Foundation
import TollgateCrypto
package import TollgateStore
import TollgateWire

/// Customers in the store.
package struct CustomerRepository: Sendable {
    let database: any Database

    package init(database: any Database) {
        self.database = database
    }

    private static let columns = "id, external_id, email, name, metadata, stripe_customer_id, created_at, updated_at"

    /// Creates the customer, or updates the fields `changes` sets. Returns the customer and
    /// whether it was created.
    package func upsert(_ changes: CustomerChanges, now: Date = Date()) throws -> (customer: Customer, created: Bool) {
        try changes.validate()
        do {
            return try upsertOnce(changes, now: now)
        } catch let error as StoreError where error.code == .uniqueViolation {
            // Another writer created the same external id between our read and insert: now it exists.
            return try upsertOnce(changes, now: now)
        }
    }

    private func upsertOnce(_ changes: CustomerChanges, now: Date) throws -> (customer: Customer, created: Bool) {
        try database.transaction { connection in
            let metadata = try changes.metadata.map(Self.encodeMetadata)
            if let existing = try Self.find(externalID: changes.externalID, on: connection) {
                let email: String? = changes.email ?? existing.email
                let name: String? = changes.name ?? existing.name
                let mergedMetadata: String = try metadata ?? Self.encodeMetadata(existing.metadata)
                try connection.execute("""
                    UPDATE customers SET email = \(email), name = \(name), metadata = \(mergedMetadata), updated_at = \(now)
                    WHERE id = \(existing.id)
                    """)
                guard let updated = try Self.find(externalID: changes.externalID, on: connection) else {
                    throw DomainError.unknownCustomer(changes.externalID)
                }
                if Self.contentChanged(from: existing, to: updated) {
                    try DomainEvents.customerWritten(updated, created: false, on: connection, now: now)
                }
                return (updated, false)
            }
            let id = "cus_" + (try SecureRandom.token(20))
            try connection.execute("""
                INSERT INTO customers (id, external_id, email, name, metadata, created_at, updated_at)
                VALUES (\(id), \(changes.externalID), \(changes.email), \(changes.name), \(metadata ?? "{}"), \(now), \(now))
                """)
            guard let created = try Self.find(externalID: changes.externalID, on: connection) else {
                throw DomainError.unknownCustomer(changes.externalID)
            }
            try EntitlementAnnouncements.markDue(customerID: created.id, externalID: created.externalID, on: connection, now: now)
            try DomainEvents.customerWritten(created, created: true, on: connection, now: now)
            return (created, true)
        }
    }

    /// The customer with this external id, or nil.
    package func find(externalID: String) throws -> Customer? {
        try database.withConnection { connection in try Self.find(externalID: externalID, on: connection) }
    }

    /// The customer with this external id, or `DomainError.notFound`.
    package func get(externalID: String) throws -> Customer {
        guard let customer = try find(externalID: externalID) else { throw DomainError.unknownCustomer(externalID) }
        return customer
    }

    /// One page of customers, oldest first, after the customer whose external id is `startingAfter`.
    package func list(page: PageRequest) throws -> Page<Customer> {
        try database.withConnection { connection in
            let rows: [Row]
            if let cursor = page.startingAfter {
                guard let anchor = try Self.find(externalID: cursor, on: connection) else {
                    throw DomainError.invalid("starting_after", "no customer with external id \(cursor)")
                }
                rows = try connection.query("""
                    SELECT \(raw: Self.columns) FROM customers
                    WHERE (created_at, id) > (\(anchor.createdAt), \(anchor.id))
                    ORDER BY created_at, id LIMIT \(page.limit + 1)
                    """)
            } else {
                rows = try connection.query("SELECT \(raw: Self.columns) FROM customers ORDER BY created_at, id LIMIT \(page.limit + 1)")
            }
            return Page(items: try rows.prefix(page.limit).map(Self.customer(from:)), hasMore: rows.count > page.limit)
        }
    }

    package static func find(externalID: String, on connection: any SQLConnection) throws -> Customer? {
        try connection.queryFirst("SELECT \(raw: columns) FROM customers WHERE external_id = \(externalID)").map(customer(from:))
    }

    /// The ids (`cus_…`) of those of `externalIDs` that are customers (one query, or a few), keyed by external id.
    static func ids(externalIDs: [String], on connection: any SQLConnection) throws -> [String: String] {
        var result: [String: String] = [:]
        for range in UsageRepository.chunks(externalIDs.count, dialect: connection.dialect) {
            let chunk = externalIDs[range]
            var statement = RowsStatement("SELECT id, external_id FROM customers WHERE external_id IN (")
            for id in chunk { statement.value(id.sqlValue) }
            for row in try connection.query(statement.sql(tail: ")")) {
                result[try row.get("external_id")] = try row.get("id")
            }
        }
        return result
    }

    /// The customer with Tollgate's id `id` (`cus_…`), or nil.
    package static func find(id: String, on connection: any SQLConnection) throws -> Customer? {
        try connection.queryFirst("SELECT \(raw: columns) FROM customers WHERE id = \(id)").map(customer(from:))
    }

    /// The customer linked to the Stripe customer `stripeCustomerID`, or nil.
    package static func find(stripeCustomerID: String, on connection: any SQLConnection) throws -> Customer? {
        try connection.queryFirst("SELECT \(raw: columns) FROM customers WHERE stripe_customer_id = \(stripeCustomerID)").map(customer(from:))
    }

    /// Links the customer to a Stripe customer. A Stripe customer already linked to another
    /// customer is a conflict (one Stripe customer bills one Tollgate customer), and so is one that
    /// Stripe deleted (``markDeleted(stripeCustomerID:on:now:)``).
    package static func link(_ customer: Customer, stripeCustomerID: String, on connection: any SQLConnection, now: Date) throws {
        if let holder = try find(stripeCustomerID: stripeCustomerID, on: connection), holder.id != customer.id {
            throw DomainError.conflict("Stripe customer \(stripeCustomerID) is already linked to customer \(holder.externalID)")
        }
        if try isDeleted(stripeCustomerID: stripeCustomerID, on: connection) {
            throw DomainError.conflict("Stripe customer \(stripeCustomerID) was deleted in Stripe")
        }
        let changed = try connection.execute("""
            UPDATE customers SET stripe_customer_id = \(stripeCustomerID), updated_at = \(now)
            WHERE id = \(customer.id) AND (stripe_customer_id IS NULL OR stripe_customer_id <> \(stripeCustomerID))
            """)
        if changed > 0 { try announceUpdate(id: customer.id, on: connection, now: now) }
    }

    /// Unlinks whichever customer is linked to `stripeCustomerID`; returns its external id.
    package static func unlink(stripeCustomerID: String, on connection: any SQLConnection, now: Date) throws -> String? {
        try unlink(stripeCustomerID: stripeCustomerID, deleted: false, on: connection, now: now)
    }

    /// Unlinks, appending `customer.updated` — or `customer.deleted` when Stripe deleted the Stripe customer.
    private static func unlink(stripeCustomerID: String, deleted: Bool, on connection: any SQLConnection, now: Date) throws -> String? {
        guard let id: String = try connection.queryFirst("""
            UPDATE customers SET stripe_customer_id = NULL, updated_at = \(now) WHERE stripe_customer_id = \(stripeCustomerID)
            RETURNING id
            """)?.get("id"), let customer = try find(id: id, on: connection) else { return nil }
        if deleted {
            try DomainEvents.customerDeleted(customer, stripeCustomerID: stripeCustomerID, on: connection, now: now)
        } else {
            try DomainEvents.customerWritten(customer, created: false, on: connection, now: now)
        }
        return customer.externalID
    }

    /// Holds the customer's row until the transaction ends (PostgreSQL's row lock; SQLite's write
    /// lock), so that writers of one customer take turns.
    package static func lock(id: String, on connection: any SQLConnection) throws {
        try connection.execute("UPDATE customers SET updated_at = updated_at WHERE id = \(id)")
    }

    /// The customers linked to `stripeCustomerIDs`, keyed by Stripe customer id, each held until
    /// the transaction ends as ``lock(id:)`` holds one (PostgreSQL: `FOR NO KEY UPDATE`, in id
    /// order, so two callers never deadlock over them; SQLite's transaction holds the write lock):
    /// one statement for a batch of writes.
    package static func lock(stripeCustomerIDs: [String], on connection: any SQLConnection) throws -> [String: Customer] {
        let ids = Array(Set(stripeCustomerIDs)).sorted()
        let lock = connection.dialect == .postgres ? ") ORDER BY id FOR NO KEY UPDATE" : ")"
        var found: [String: Customer] = [:]
        for range in UsageRepository.chunks(ids.count, dialect: connection.dialect) {
            var statement = RowsStatement("SELECT \(columns) FROM customers WHERE stripe_customer_id IN (")
            for id in ids[range] { statement.value(id.sqlValue) }
            for row in try connection.query(statement.sql(tail: lock)) {
                let customer = try customer(from: row)
                if let stripe = customer.stripeCustomerID { found[stripe] = customer }
            }
        }
        return found
    }

    /// Every customer as (id, external id, Stripe customer id).
    package static func allStripeLinks(on connection: any SQLConnection) throws -> [(id: String, externalID: String, stripeCustomerID: String?)] {
        try connection.query("SELECT id, external_id, stripe_customer_id FROM customers").map { row in
            (try row.get("id"), try row.get("external_id"), try row.get("stripe_customer_id"))
        }
    }

    /// Records that Stripe deleted the Stripe customer, and unlinks whichever customer is linked to
    /// it; returns that customer's external id. A deleted Stripe customer is never linked again.
    package static func markDeleted(stripeCustomerID: String, on connection: any SQLConnection, now: Date) throws -> String? {
        try connection.execute("""
            INSERT INTO stripe_deleted_customers (stripe_customer_id, deleted_at) VALUES (\(stripeCustomerID), \(now))
            ON CONFLICT (stripe_customer_id) DO NOTHING
            """)
        return try unlink(stripeCustomerID: stripeCustomerID, deleted: true, on: connection, now: now)
    }

    /// Whether Stripe deleted the Stripe customer (as far as Tollgate has heard).
    package static func isDeleted(stripeCustomerID: String, on connection: any SQLConnection) throws -> Bool {
        try connection.queryFirst("SELECT stripe_customer_id FROM stripe_deleted_customers WHERE stripe_customer_id = \(stripeCustomerID)") != nil
    }

    /// Sets the email and name Stripe holds for the customer (a nil value keeps the current one).
    package static func updateContact(_ customer: Customer, email: String?, name: String?, on connection: any SQLConnection, now: Date) throws {
        guard (email ?? customer.email) != customer.email || (name ?? customer.name) != customer.name else { return }
        try connection.execute("""
            UPDATE customers SET email = \(email ?? customer.email), name = \(name ?? customer.name), updated_at = \(now)
            WHERE id = \(customer.id)
            """)
        try announceUpdate(id: customer.id, on: connection, now: now)
    }

    /// Appends `customer.updated` with the customer as the caller's transaction now holds it.
    private static func announceUpdate(id: String, on connection: any SQLConnection, now: Date) throws {
        guard let customer = try find(id: id, on: connection) else { return }
        try DomainEvents.customerWritten(customer, created: false, on: connection, now: now)
    }

    /// Whether an update changed what the API shows of the customer (its stamp aside).
    private static func contentChanged(from old: Customer, to new: Customer) -> Bool {
        var old = old
        old.updatedAt = new.updatedAt
        return old != new
    }

    static func customer(from row: Row) throws -> Customer {
        let metadataText: String = try row.get("metadata")
        let metadata = (try? JSONDecoder().decode([String: String].self, from: Data(metadataText.utf8))) ?? [:]
        return Customer(
            id: try row.get("id"), externalID: try row.get("external_id"), email: try row.get("email"), name: try row.get("name"),
            metadata: metadata, stripeCustomerID: try row.get("stripe_customer_id"),
            createdAt: try row.get("created_at"), updatedAt: try row.get("updated_at"))
    }

    package static func encodeMetadata(_ metadata: [String: String]) throws -> String {
        String(decoding: try WireJSON.encoder(keys: .verbatim).encode(metadata), as: UTF8.self)
    }
}

import TollgateStore

extension CustomerRepository {
    /// The customer with Tollgate's id `id` (`cus_…`), or nil.
    static func find(id: String, on connection: any SQLConnection) throws -> Customer? {
        try connection.queryFirst("""
            SELECT id, external_id, email, name, metadata, stripe_customer_id, created_at, updated_at FROM customers WHERE id = \(id)
            """).map(customer(from:))
    }
}

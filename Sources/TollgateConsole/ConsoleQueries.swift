import Foundation
import TollgateEntitlements
import TollgateStore

/// The few reads the console needs that no repository has: counts, revenue and the chart of the
/// overview, the customer search, and the customer page's recent mail, Stripe events, ledger,
/// outbound events and daily usage. Plain SQL, the same on SQLite and PostgreSQL; each reads by an
/// index (migrations 0024 and 0027) and the lists are bounded.
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

    /// A Stripe event as the customer page lists it.
    struct StripeEventRow: Sendable, Equatable {
        var id: String
        var type: String
        var status: String
        var created: Date
    }

    /// A credit ledger entry as the customer page lists it.
    struct LedgerRow: Sendable, Equatable {
        var pool: String
        var amount: Int64
        var cause: String
        var reference: String?
        var balanceAfter: Int64
        var createdAt: Date
    }

    /// An event of the event log as the customer page lists it, with its deliveries to webhook
    /// endpoints counted by status (`succeeded: 2`).
    struct OutboundEventRow: Sendable, Equatable {
        var id: String
        var type: String
        var position: Int64
        var createdAt: Date
        var deliveries: [String: Int]
    }

    /// The newest `limit` Stripe events that named the Stripe customer (`stripe_events.stripe_customer_id`,
    /// kept at intake), newest created first; `hasMore` when there are older ones.
    func stripeEvents(stripeCustomerID: String, limit: Int) throws -> Page<StripeEventRow> {
        try database.withConnection { connection in
            let rows = try connection.query("""
                SELECT id, type, status, created FROM stripe_events WHERE stripe_customer_id = \(stripeCustomerID)
                ORDER BY created DESC, id DESC LIMIT \(limit + 1)
                """)
            return Page(items: try rows.prefix(limit).map {
                StripeEventRow(id: try $0.get("id"), type: try $0.get("type"), status: try $0.get("status"), created: try $0.get("created"))
            }, hasMore: rows.count > limit)
        }
    }

    /// The customer's newest `limit` credit ledger entries (Tollgate's id, `cus_…`), every pool.
    func recentLedger(customerID: String, limit: Int) throws -> Page<LedgerRow> {
        try database.withConnection { connection in
            let rows = try connection.query("""
                SELECT pool, amount, cause, reference, balance_after, created_at FROM credit_ledger WHERE customer_id = \(customerID)
                ORDER BY created_at DESC, pool DESC, seq DESC LIMIT \(limit + 1)
                """)
            return Page(items: try rows.prefix(limit).map {
                LedgerRow(pool: try $0.get("pool"), amount: try $0.get("amount"), cause: try $0.get("cause"), reference: try $0.get("reference"),
                          balanceAfter: try $0.get("balance_after"), createdAt: try $0.get("created_at"))
            }, hasMore: rows.count > limit)
        }
    }

    /// The customer's newest `limit` published events (by external id, as the log names customers),
    /// with their deliveries counted by status.
    func recentEvents(customer externalID: String, limit: Int) throws -> Page<OutboundEventRow> {
        try database.withConnection { connection in
            let rows = try connection.query("""
                SELECT id, type, position, created_at FROM events WHERE customer = \(externalID) AND position IS NOT NULL
                ORDER BY position DESC LIMIT \(limit + 1)
                """)
            var events = try rows.prefix(limit).map {
                OutboundEventRow(id: try $0.get("id"), type: try $0.get("type"), position: try $0.get("position"), createdAt: try $0.get("created_at"),
                                 deliveries: [:])
            }
            if !events.isEmpty {
                let ids = events.map(\.id)
                let placeholders = ids.indices.map { "$\($0 + 1)" }.joined(separator: ", ")
                var counts: [String: [String: Int]] = [:]
                for row in try connection.query(SQL("""
                    SELECT event_id, status, COUNT(*) AS n FROM webhook_deliveries WHERE event_id IN (\(placeholders)) GROUP BY event_id, status
                    """, ids.map(\.sqlValue))) {
                    counts[try row.get("event_id"), default: [:]][try row.get("status")] = try row.get("n")
                }
                for index in events.indices { events[index].deliveries = counts[events[index].id] ?? [:] }
            }
            return Page(items: events, hasMore: rows.count > limit)
        }
    }

    /// The customer's usage of each metered feature per day of `days` (Tollgate's id, `cus_…`): one
    /// range of the covering index `usage_events_customer (customer_id, recorded_at, feature_key,
    /// quantity)` per day (migration 0025), each summed per feature in the store, in one statement.
    /// A sum per day reads each event once; 30 `CASE` columns over the whole range tested every event
    /// 30 times (for a customer with 100,000 events in the month: ~28 ms against ~180 ms on SQLite,
    /// docs/console.md, Performance). Features without usage in the range are absent.
    func dailyUsage(customerID: String, days: ConsoleCharts.Days) throws -> [String: [Int64]] {
        let bindings: [SQLValue] = [customerID.sqlValue] + days.boundaries.map(\.sqlValue)
        let perDay = days.starts.indices.map { index in
            """
            SELECT \(index) AS day, feature_key, CAST(SUM(quantity) AS BIGINT) AS total FROM usage_events
            WHERE customer_id = $1 AND recorded_at >= $\(index + 2) AND recorded_at < $\(index + 3) GROUP BY feature_key
            """
        }
        return try database.withConnection { connection in
            var result: [String: [Int64]] = [:]
            for row in try connection.query(SQL(perDay.joined(separator: " UNION ALL "), bindings)) {
                let day: Int = try row.get("day")
                result[try row.get("feature_key"), default: Array(repeating: 0, count: days.starts.count)][day] = try row.get("total")
            }
            return result
        }
    }

    /// The statuses that end a subscription: what follows one of them is a new subscription.
    static let endedStatuses = "('canceled', 'incomplete_expired')"

    /// Subscriptions started and canceled per day of `days`, from the subscription history: an entry
    /// starts one when it is the customer's first or follows an ended one (`canceled`,
    /// `incomplete_expired`) and is not itself ended; it cancels one when it enters `canceled`.
    func subscriptionStartsAndCancellations(days: ConsoleCharts.Days) throws -> (started: [Int64], canceled: [Int64]) {
        var bindings: [SQLValue] = []
        let started = Self.dailyColumns(
            days, time: "h.changed_at", value: "1", name: "s",
            condition: "h.status NOT IN \(Self.endedStatuses) AND (p.status IS NULL OR p.status IN \(Self.endedStatuses))", bindings: &bindings)
        let canceled = Self.dailyColumns(
            days, time: "h.changed_at", value: "1", name: "c", condition: "h.status = 'canceled' AND (p.status IS NULL OR p.status <> 'canceled')",
            bindings: &bindings)
        let range = Self.range(days, time: "h.changed_at", bindings: bindings)
        return try database.withConnection { connection in
            let row = try connection.queryFirst(SQL("""
                SELECT \(started.sql), \(canceled.sql) FROM subscription_history h
                LEFT JOIN subscription_history p ON p.customer_id = h.customer_id AND p.seq = h.seq - 1
                WHERE \(range)
                """, bindings))
            func values(_ names: [String]) throws -> [Int64] { try names.map { try row?.get($0, as: Int64?.self) ?? 0 } }
            return (try values(started.names), try values(canceled.names))
        }
    }

    /// The statuses whose subscriptions pay, for monthly recurring revenue: `active`, and `past_due`
    /// (still billed, its payment being retried). Trials have not paid yet; other states do not pay.
    static let payingStatuses = "('active', 'past_due')"

    /// The units paid for per plan: the summed quantity of its current subscriptions that pay.
    func payingQuantities() throws -> [String: Int64] {
        try database.withConnection { connection in
            var result: [String: Int64] = [:]
            for row in try connection.query("""
                SELECT plan_key, SUM(quantity) AS units FROM subscriptions WHERE status IN \(raw: Self.payingStatuses) GROUP BY plan_key
                """) {
                result[try row.get("plan_key")] = try row.get("units")
            }
            return result
        }
    }

    /// One summed column per day of `days`, named `name0`, `name1`, …:
    /// `SUM(CASE WHEN time >= start AND time < next AND condition THEN value ELSE 0 END)`. The days'
    /// boundaries are bound after `bindings` (instants as parameters, so both dialects compare them
    /// as they store them); `time`, `value` and `condition` are the caller's SQL, never input.
    static func dailyColumns(
        _ days: ConsoleCharts.Days, time: String, value: String, name: String = "d", condition: String = "1 = 1", bindings: inout [SQLValue]
    ) -> (sql: String, names: [String]) {
        let first = bindings.count + 1
        bindings += days.boundaries.map(\.sqlValue)
        let names = days.starts.indices.map { "\(name)\($0)" }
        let sql = days.starts.indices.map { index in
            "SUM(CASE WHEN \(time) >= $\(first + index) AND \(time) < $\(first + index + 1) AND \(condition) THEN \(value) ELSE 0 END) AS \(names[index])"
        }.joined(separator: ", ")
        return (sql, names)
    }

    /// `time` within `days`, by the boundaries the last ``dailyColumns(_:time:value:name:condition:bindings:)`` bound.
    static func range(_ days: ConsoleCharts.Days, time: String, bindings: [SQLValue]) -> String {
        let end = bindings.count
        return "\(time) >= $\(end - days.starts.count) AND \(time) < $\(end)"
    }

    /// The limit features in which the customer has members holding seats (Tollgate's id, `cus_…`).
    func seatFeatures(customerID: String) throws -> [String] {
        try database.withConnection { connection in
            try connection.query("""
                SELECT feature_key FROM seat_limits WHERE customer_id = \(customerID) AND assigned > 0 ORDER BY feature_key
                """).map { try $0.get("feature_key") }
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

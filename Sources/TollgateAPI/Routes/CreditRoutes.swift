import Foundation
import TollgateBase
import TollgateEntitlements
import TollgateHTTPServer
import TollgateWire

/// Customers' credits (docs/credits.md): balances, the ledger, promotional grants and holds. Every
/// check of a request is made before anything is written, so a refused request changes nothing.
enum CreditRoutes {
    static func endpoints(store: CreditStore) -> [Endpoint] {
        [
            Endpoint(.GET, "/v1/customers/{external_id}/credits", scope: .read, documentation: .init(
                "listCreditAccounts", summary: "The customer's credit accounts: per pool the balance, held, debt, available and the live blocks in burn order",
                tag: "Credits", responseSchema: "CreditAccountList")
            ) { request, _ in
                try .json(Page(all: try store.accounts(customer: try request.pathParameter("external_id"))))
            },
            Endpoint(.GET, "/v1/customers/{external_id}/credits/ledger", scope: .read, documentation: .init(
                "listCreditLedger", summary: "The customer's credit ledger, oldest first: every change to a balance or to what holds reserve",
                tag: "Credits",
                query: [
                    .init("pool", "Only this pool's entries"),
                    .init("cause", "Only entries of this cause", schema: Schemas.cases(CreditCause.self)),
                    .init("since", "Only entries written at or after this instant (RFC 3339)", schema: Schemas.instant),
                    .init("limit", "Page size, 1–\(maximumLedgerLimit) (default \(defaultLedgerLimit))",
                          schema: ["type": "integer", "minimum": 1, "maximum": .integer(maximumLedgerLimit)]),
                    .init("starting_after", "An entry id: the page after it (`has_more` says whether there is one)"),
                ],
                responseSchema: "CreditLedgerList")
            ) { request, _ in
                let customer = try request.pathParameter("external_id")
                let filter = try LedgerFilter(request)
                if let pool = filter.pool, try !store.accounts(customer: customer).contains(where: { $0.pool == pool }) {
                    throw DomainError.invalid("pool", "no credit pool \(pool) in the catalog or the customer's accounts")
                }
                let entries = try store.ledger(
                    customer: customer, pool: filter.pool, cause: filter.cause, since: filter.since, after: filter.startingAfter, limit: filter.limit)
                // The store answers at most 1,000 entries: whether more follow is one more entry after the page.
                var hasMore = false
                if entries.count == filter.limit, let last = entries.last {
                    hasMore = try !store.ledger(customer: customer, pool: filter.pool, cause: filter.cause, since: filter.since, after: last.id, limit: 1).isEmpty
                }
                return try .json(Page(items: entries, hasMore: hasMore))
            },
            Endpoint(.POST, "/v1/customers/{external_id}/credits/grants", scope: .write, documentation: .init(
                "grantCredits", summary: "Add a block of promotional credits to a pool, with a reason (a repeated idempotency_key answers the first block, 200)",
                tag: "Credits", requestSchema: "CreditGrantRequest", successStatus: 201, responseSchema: "CreditBlock",
                otherResponses: [200: "CreditBlock"])
            ) { request, _ in
                let customer = try request.pathParameter("external_id")
                let grant = try request.decodeJSON(CreditGrantRequest.self)
                let (block, duplicate) = try store.grant(
                    customer: customer, pool: grant.pool, amount: grant.amount, reason: try CreditReason.validated(grant.reason, required: true),
                    expiresAt: grant.expiresAt, priority: grant.priority, key: grant.idempotencyKey)
                return try .json(block, status: duplicate ? 200 : 201)
            },
            Endpoint(.POST, "/v1/customers/{external_id}/credits/holds", scope: .write, documentation: .init(
                "placeCreditHold",
                summary: "Reserve credits until committed, released or expired; 409 insufficient_credits when the available credits do not cover it "
                    + "(a repeated idempotency_key answers the first hold, 200)",
                tag: "Credits", requestSchema: "CreditHoldRequest", successStatus: 201, responseSchema: "CreditHold",
                otherResponses: [200: "CreditHold"])
            ) { request, _ in
                let customer = try request.pathParameter("external_id")
                let hold = try request.decodeJSON(CreditHoldRequest.self)
                let (placed, duplicate) = try store.placeHold(
                    customer: customer, pool: hold.pool, amount: hold.amount, ttl: TimeInterval(hold.ttlSeconds ?? Int64(CreditStore.defaultHold)),
                    reason: try CreditReason.validated(hold.reason, required: false), key: hold.idempotencyKey)
                return try .json(placed, status: duplicate ? 200 : 201)
            },
            Endpoint(.GET, "/v1/customers/{external_id}/credits/holds/{hold_id}", scope: .read, documentation: .init(
                "getCreditHold", summary: "One hold as it stands (an open hold past its expiry shows as expired)", tag: "Credits",
                responseSchema: "CreditHold")
            ) { request, _ in
                try .json(try store.hold(customer: try request.pathParameter("external_id"), id: try request.pathParameter("hold_id")))
            },
            Endpoint(.POST, "/v1/customers/{external_id}/credits/holds/{hold_id}/commit", scope: .write, documentation: .init(
                "commitCreditHold",
                summary: "Spend up to the hold's amount (the rest returns); a repeat with the same amount answers the hold, "
                    + "409 when it was released or expired",
                tag: "Credits", requestSchema: "CreditCommitRequest", responseSchema: "CreditHold")
            ) { request, _ in
                let commit = try request.decodeJSON(CommitRequest.self)
                return try .json(try store.settleHold(
                    customer: try request.pathParameter("external_id"), id: try request.pathParameter("hold_id"), commit: commit.amount))
            },
            Endpoint(.POST, "/v1/customers/{external_id}/credits/holds/{hold_id}/release", scope: .write, documentation: .init(
                "releaseCreditHold", summary: "Return all of the hold (no body); a repeat answers the hold, 409 when it was committed or expired",
                tag: "Credits", responseSchema: "CreditHold")
            ) { request, _ in
                // No body is read; one that is sent must be an empty object.
                if !request.body.isEmpty { _ = try request.decodeJSON(EmptyRequest.self) }
                return try .json(try store.settleHold(
                    customer: try request.pathParameter("external_id"), id: try request.pathParameter("hold_id"), commit: nil))
            },
        ]
    }

    static let defaultLedgerLimit = 100
    static let maximumLedgerLimit = 1000

    /// The ledger's query: each parameter checked, a bad one a 400 naming it.
    struct LedgerFilter {
        var pool: String?
        var cause: CreditCause?
        var since: Date?
        var startingAfter: String?
        var limit: Int

        init(_ request: HTTPRequest) throws {
            pool = request.queryValue("pool").flatMap { $0.isEmpty ? nil : $0 }
            if let text = request.queryValue("cause") {
                guard let cause = CreditCause(rawValue: text) else {
                    throw DomainError.invalid("cause", "must be one of \(CreditCause.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                self.cause = cause
            }
            if let text = request.queryValue("since") {
                guard let since = WireJSON.parseInstant(text) else { throw DomainError.invalid("since", "must be an RFC 3339 time from 1970 through 9999") }
                self.since = since
            }
            startingAfter = request.queryValue("starting_after").flatMap { $0.isEmpty ? nil : $0 }
            limit = Int(try request.integerQuery("limit", in: 1...Int64(maximumLedgerLimit)) ?? Int64(defaultLedgerLimit))
        }
    }

    /// `POST …/holds/{hold_id}/commit`.
    struct CommitRequest: Decodable {
        var amount: Int64
    }

    /// A body with no fields (`{}`).
    struct EmptyRequest: Decodable {}
}

/// The rule for the reason of a credit grant or hold, for the API and the CLI alike: trimmed, 1 to
/// 500 characters (as a feature grant's); a grant needs one, a hold may go without.
package enum CreditReason {
    package static let maximumLength = 500

    package static func validated(_ text: String?, required: Bool) throws -> String? {
        guard let text else {
            if required { throw DomainError.invalid("reason", "a credit grant needs a reason of 1 to \(maximumLength) characters") }
            return nil
        }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed.count <= maximumLength else { throw DomainError.invalid("reason", "must be 1 to \(maximumLength) characters") }
        return trimmed
    }
}

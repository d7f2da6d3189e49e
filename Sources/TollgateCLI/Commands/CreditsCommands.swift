import Foundation
import TollgateAPI
import TollgateCore
import TollgateEntitlements
import TollgateStore
import TollgateWire

/// `tollgate credits balance|ledger|grant|hold|hold-show|commit|release`: customers' credits
/// (docs/credits.md), as the API's `/v1/customers/{external_id}/credits` endpoints give them.
enum CreditsCommands {
    static let group = Command.group("credits", summary: "Customers' credit balances, ledger, grants and holds", [
        Command(Balance.self), Command(Ledger.self), Command(Grant.self), Command(Hold.self), Command(HoldShow.self), Command(Commit.self),
        Command(Release.self),
    ])

    struct Balance: ParsableCommand {
        static let name = "balance"
        static let summary = "Per pool: balance, held, debt, available, and the live blocks in burn order"

        @Argument("CUSTOMER") var customer: String

        func run(_ context: CommandContext) throws {
            let page = try context.perform(APIRequest(.GET, "/v1/customers/\(customer)/credits")) {
                Page(all: try $0.entitlements.credits.accounts(customer: customer))
            }
            let accounts = page.items
            try context.emit(page) { output in
                output.printTable(["POOL", "BALANCE", "HELD", "DEBT", "AVAILABLE"], accounts.map { account in
                    [account.pool, String(account.balance), String(account.held), String(account.debt), String(account.available)]
                })
                let blocks = accounts.flatMap(\.blocks)
                guard !blocks.isEmpty else { return }
                output.print()
                output.printTable(["BLOCK", "POOL", "SOURCE", "REMAINING", "AMOUNT", "PRIORITY", "EXPIRES", "REASON"], blocks.map { block in
                    [block.id, block.pool, block.source.rawValue, String(block.remaining), String(block.amount), String(block.priority),
                     block.expiresAt.map(HumanTime.text) ?? "never", block.reason ?? ""]
                })
            }
        }
    }

    struct Ledger: ParsableCommand {
        static let name = "ledger"
        static let summary = "The customer's credit ledger, oldest first"

        @Argument("CUSTOMER") var customer: String
        @Option("--pool", "POOL", "Only this pool's entries") var pool: String?
        @Option("--cause", "CAUSE", "Only entries of this cause") var cause: CreditCause?
        @Option("--since", "ISO8601", "Only entries written at or after this time") var since: Date?
        @Option("--limit", "N", "How many (1–1000, default 100)", in: 1...1000) var limit: Int = 100
        @Option("--starting-after", "ENTRY_ID", "The page after this entry") var startingAfter: String?

        func run(_ context: CommandContext) throws {
            let sinceText: String? = since.map { WireJSON.instant($0) }
            let query: [(String, String?)] = [
                ("pool", pool), ("cause", cause?.rawValue), ("since", sinceText), ("limit", String(limit)), ("starting_after", startingAfter),
            ]
            let request = APIRequest(.GET, "/v1/customers/\(customer)/credits/ledger", query: query)
            let page = try context.perform(request) { services in
                let credits = services.entitlements.credits
                var entries = try credits.ledger(customer: customer, pool: pool, cause: cause, since: since, after: startingAfter, limit: limit)
                // Whether more follow: one more entry after the page (the store answers at most 1,000).
                if entries.count == limit, let last = entries.last {
                    entries += try credits.ledger(customer: customer, pool: pool, cause: cause, since: since, after: last.id, limit: 1)
                }
                return Page(items: Array(entries.prefix(limit)), hasMore: entries.count > limit)
            }
            try context.emit(page, columns: [
                Column("SEQ") { String($0.seq) }, Column("TIME") { HumanTime.text($0.createdAt) }, Column("POOL") { $0.pool },
                Column("CAUSE") { $0.cause.rawValue }, Column("AMOUNT") { CreditsCommands.signed($0.amount) },
                Column("HELD") { CreditsCommands.signed($0.heldChange) }, Column("BALANCE AFTER") { String($0.balanceAfter) },
                Column("HELD AFTER") { String($0.heldAfter) }, Column("REFERENCE") { $0.reference ?? "" },
            ], cursor: \.id)
        }
    }

    struct Grant: ParsableCommand {
        static let name = "grant"
        static let summary = "Add a block of promotional credits to a customer's pool"

        @Argument("CUSTOMER") var customer: String
        @Argument("POOL") var pool: String
        @Argument("AMOUNT") var amount: Int64
        @Option("--reason", "TEXT", "Why (1–500 characters)") var reason: String
        @Option("--expires-at", "ISO8601", "When what is left of it expires (default: never)") var expiresAt: Date?
        @Option("--priority", "N", "Burn order, smaller first (default 20)", in: 0...1000) var priority: Int?
        @Option("--idempotency-key", "KEY", "A repeat with this key adds nothing and shows the first block") var idempotencyKey: String?

        func run(_ context: CommandContext) throws {
            let reason = try CreditReason.validated(reason, required: true)
            let body = CreditGrantRequest(pool: pool, amount: amount, reason: reason ?? "", expiresAt: expiresAt, priority: priority, idempotencyKey: idempotencyKey)
            let (block, duplicate) = try context.perform(try APIRequest(.POST, "/v1/customers/\(customer)/credits/grants", body: body)) { services in
                try services.entitlements.credits.grant(
                    customer: customer, pool: pool, amount: amount, reason: reason, expiresAt: expiresAt, priority: priority, key: idempotencyKey)
            } remote: { (try $0.decode(CreditBlock.self), $0.status == 200) }
            try context.emit(block) { output in
                if duplicate {
                    output.print("Already granted under this idempotency key: \(block.id) (\(block.amount) \(block.pool), \(block.remaining) left).")
                } else {
                    output.print("Granted \(block.amount) \(block.pool) to \(customer) (\(block.id))"
                        + (block.expiresAt.map { ", expires \(HumanTime.text($0))" } ?? "") + ".")
                }
            }
        }
    }

    struct Hold: ParsableCommand {
        static let name = "hold"
        static let summary = "Reserve credits until committed, released or expired"
        static let discussion = """
            Exit 1 with insufficient_credits when the available credits do not cover the amount;
            nothing is reserved then.
            """

        @Argument("CUSTOMER") var customer: String
        @Argument("POOL") var pool: String
        @Argument("AMOUNT") var amount: Int64
        @Option("--ttl", "SECONDS", "How long it lasts (1–604800, default 900)", in: 1...Int64(CreditStore.maximumHold)) var ttl: Int64?
        @Option("--reason", "TEXT", "What the credits are held for") var reason: String?
        @Option("--idempotency-key", "KEY", "A repeat with this key shows the first hold") var idempotencyKey: String?

        func run(_ context: CommandContext) throws {
            let reason = try CreditReason.validated(reason, required: false)
            let ttl = ttl.map(TimeInterval.init) ?? CreditStore.defaultHold
            let body = CreditHoldRequest(pool: pool, amount: amount, ttlSeconds: Int64(ttl), reason: reason, idempotencyKey: idempotencyKey)
            let (hold, duplicate) = try context.perform(try APIRequest(.POST, "/v1/customers/\(customer)/credits/holds", body: body)) { services in
                try services.entitlements.credits.placeHold(customer: customer, pool: pool, amount: amount, ttl: ttl, reason: reason, key: idempotencyKey)
            } remote: { (try $0.decode(CreditHold.self), $0.status == 200) }
            try context.emit(hold) { output in
                output.print((duplicate ? "Already held under this idempotency key: " : "Held ")
                    + "\(hold.amount) \(hold.pool) for \(customer) until \(HumanTime.text(hold.expiresAt)) (\(hold.id)).")
            }
        }
    }

    struct HoldShow: ParsableCommand {
        static let name = "hold-show"
        static let summary = "One hold as it stands"

        @Argument("CUSTOMER") var customer: String
        @Argument("HOLD_ID") var id: String

        func run(_ context: CommandContext) throws {
            let hold = try context.perform(APIRequest(.GET, "/v1/customers/\(customer)/credits/holds/\(id)")) {
                try $0.entitlements.credits.hold(customer: customer, id: id)
            }
            try context.emit(hold) { CreditsCommands.describe(hold, $0) }
        }
    }

    struct Commit: ParsableCommand {
        static let name = "commit"
        static let summary = "Spend up to a hold's amount; the rest returns"

        @Argument("CUSTOMER") var customer: String
        @Argument("HOLD_ID") var id: String
        @Argument("AMOUNT") var amount: Int64

        func run(_ context: CommandContext) throws {
            let hold = try context.perform(try APIRequest(.POST, "/v1/customers/\(customer)/credits/holds/\(id)/commit", body: ["amount": amount])) {
                try $0.entitlements.credits.settleHold(customer: customer, id: id, commit: amount)
            }
            try context.emit(hold) { output in
                output.print("Committed \(hold.settledAmount ?? amount) of \(hold.amount) \(hold.pool) (\(hold.id)).")
            }
        }
    }

    struct Release: ParsableCommand {
        static let name = "release"
        static let summary = "Return all of a hold"

        @Argument("CUSTOMER") var customer: String
        @Argument("HOLD_ID") var id: String

        func run(_ context: CommandContext) throws {
            let hold = try context.perform(APIRequest(.POST, "/v1/customers/\(customer)/credits/holds/\(id)/release")) {
                try $0.entitlements.credits.settleHold(customer: customer, id: id, commit: nil)
            }
            try context.emit(hold) { $0.print("Released \(hold.amount) \(hold.pool) (\(hold.id)).") }
        }
    }

    /// A change with its sign: `+100`, `-15`, `0`.
    static func signed(_ value: Int64) -> String { value > 0 ? "+\(value)" : String(value) }

    static func describe(_ hold: CreditHold, _ output: Output) {
        output.print("\(hold.id)  \(hold.status.rawValue)  \(hold.amount) \(hold.pool)  customer \(hold.customer)")
        output.print("created \(HumanTime.text(hold.createdAt)), expires \(HumanTime.text(hold.expiresAt))")
        if let settledAt = hold.settledAt {
            output.print("settled \(HumanTime.text(settledAt))" + (hold.settledAmount.map { ", spent \($0)" } ?? ""))
        }
        if let reason = hold.reason { output.print("reason: \(reason)") }
    }
}

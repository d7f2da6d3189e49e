import Foundation
import TollgateCore
import TollgateEntitlements
import TollgateOutbox
import TollgateStore
import TollgateWire

/// `tollgate outbox list|show|retry|purge|stats`: queued transactional mail.
enum OutboxCommands {
    static let group = Command.group("outbox", summary: "Inspect, retry and purge queued transactional mail", [
        Command(List.self), Command(Show.self), Command(Retry.self), Command(Purge.self), Command(Stats.self),
    ])

    struct List: ParsableCommand {
        static let name = "list"
        static let summary = "Queued mail, newest first"

        @Option("--status", "STATUS", "Only mail with this status") var status: OutboxStatus?
        var page = PageOptions(cursor: "MSG_ID", "Continue after this message")

        func run(_ context: CommandContext) throws {
            let request = try page.request()
            let messages = try context.perform(APIRequest(.GET, "/v1/outbox", query: page.query(("status", status?.rawValue)))) {
                try $0.outbox.list(status: status, page: request)
            }
            try context.emit(messages, columns: [
                Column("ID") { $0.id }, Column("TEMPLATE") { $0.template }, Column("RECIPIENT") { $0.recipient },
                Column("STATUS") { $0.status.rawValue }, Column("ATTEMPTS") { String($0.attempts) },
                Column("CREATED") { HumanTime.text($0.createdAt) }, Column("NOTE") { $0.lastError ?? $0.note ?? "" },
            ], cursor: \.id)
        }
    }

    struct Show: ParsableCommand {
        static let name = "show"
        static let summary = "One message: its state and its template data (pretty-printed)"

        @Argument("MSG_ID") var id: String

        func run(_ context: CommandContext) throws {
            let (message, data) = try context.perform(APIRequest(.GET, "/v1/outbox/\(id)")) { services in
                guard let detail = try services.outbox.find(id: id) else { throw DomainError.notFound("message \(id)") }
                return (detail.message, detail.data)
            } remote: { (try $0.decode(OutboxMessage.self), try $0.member("data")) }
            try context.emit(message, embedding: data, as: "data") { output in
                output.printTable(["FIELD", "VALUE"], [
                    ["id", message.id], ["template", message.template], ["recipient", message.recipient],
                    ["recipient_name", message.recipientName ?? ""], ["customer_id", message.customerID ?? ""],
                    ["status", message.status.rawValue], ["attempts", String(message.attempts)],
                    ["available_at", HumanTime.text(message.availableAt)],
                    ["lease_expires_at", message.leaseExpiresAt.map(HumanTime.text) ?? ""],
                    ["last_error", message.lastError ?? ""], ["note", message.note ?? ""],
                    ["provider_message_id", message.providerMessageID ?? ""], ["sent_at", message.sentAt.map(HumanTime.text) ?? ""],
                    ["dedupe_key", message.dedupeKey], ["created_at", HumanTime.text(message.createdAt)],
                    ["updated_at", HumanTime.text(message.updatedAt)],
                ])
                output.print()
                output.print(WireJSON.pretty(data))
            }
        }
    }

    struct Retry: ParsableCommand {
        static let name = "retry"
        static let summary = "Queue a dead or suppressed message again, due now with no attempts (the worker in tollgate serve sends it)"

        @Argument("MSG_ID") var id: String

        func run(_ context: CommandContext) throws {
            let message = try context.perform(APIRequest(.POST, "/v1/outbox/\(id)/retry")) { try $0.outbox.retry(id: id) }
            try context.emit(message) { $0.print("\(message.id) is pending again.") }
        }
    }

    struct Purge: ParsableCommand {
        static let name = "purge"
        static let summary = "Delete dead mail (all of it, or only what died more than DAYS ago)"

        @Flag("--dead", "Delete dead mail (required: only dead mail is ever purged)") var dead: Bool
        @Option("--older-than", "DAYS", "Only mail that has been dead for more than DAYS days", in: 0...36_500) var olderThan: Int?
        var confirmation = Confirmation()

        func run(_ context: CommandContext) throws {
            guard dead else { throw UsageError("say what to purge: --dead (only dead mail can be purged)") }
            try confirmation.confirm("Delete dead mail" + (olderThan.map { " dead for more than \($0) days" } ?? ""), context)
            let before = olderThan.map { Date().addingTimeInterval(-Double($0) * 86_400) } ?? .distantFuture
            let purged = try context.perform(try APIRequest(.POST, "/v1/outbox/purge", body: PurgeRequest(olderThanDays: olderThan))) {
                try $0.outbox.purgeDead(before: before)
            } remote: { try $0.decode([String: Int].self)["purged"] ?? 0 }
            try context.emit(["purged": purged]) { $0.print("Purged \(purged) dead message\(purged == 1 ? "" : "s").") }
        }
    }

    /// `POST /v1/outbox/purge`'s body.
    struct PurgeRequest: Encodable {
        var status = OutboxStatus.dead.rawValue
        var olderThanDays: Int?
    }

    struct Stats: ParsableCommand {
        static let name = "stats"
        static let summary = "How many messages have each status"

        func run(_ context: CommandContext) throws {
            let counts = try context.withServices { try $0.outbox.counts() }
            let table = Dictionary(uniqueKeysWithValues: OutboxStatus.allCases.map { ($0.rawValue, counts[$0] ?? 0) })
            try context.emit(table) { output in
                output.printTable(["STATUS", "COUNT"], OutboxStatus.allCases.map { [$0.rawValue, String(counts[$0] ?? 0)] })
            }
        }
    }
}

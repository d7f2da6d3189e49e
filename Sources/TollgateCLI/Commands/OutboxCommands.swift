import Foundation
import TollgateCore
import TollgateStore

/// `tollgate outbox list|show|retry|purge|stats`: queued transactional mail.
enum OutboxCommands {
    static let command = Command(
        "outbox", summary: "Inspect, retry and purge queued transactional mail", subcommands: [list, show, retry, purge, stats])

    static let list = Command(
        "list", summary: "Queued mail, newest first",
        options: [
            .value("--status", "STATUS", "Only mail with this status", choices: OutboxStatus.allCases.map(\.rawValue)),
            .value("--limit", "N", "How many (1–100, default 20)"),
            .value("--starting-after", "MSG_ID", "Continue after this message"),
        ]
    ) { invocation in
        let page = try invocation.pageRequest()
        let services = try CommandEnvironment(invocation).openServices()
        defer { services.database.close() }
        let messages = try services.outbox.list(status: invocation.value("--status").flatMap(OutboxStatus.init(rawValue:)), page: page)
        if invocation.json {
            struct Listing: Encodable { var data: [OutboxMessage]; var hasMore: Bool }
            try invocation.output.printJSON(Listing(data: messages.items, hasMore: messages.hasMore))
        } else {
            invocation.output.printTable(["ID", "TEMPLATE", "RECIPIENT", "STATUS", "ATTEMPTS", "CREATED", "NOTE"], messages.items.map { message in
                [message.id, message.template, message.recipient, message.status.rawValue, String(message.attempts),
                 SQLTimestamp.format(message.createdAt), message.lastError ?? message.note ?? ""]
            })
            if messages.hasMore, let last = messages.items.last { invocation.output.print("More: --starting-after \(last.id)") }
        }
    }

    static let show = Command("show", summary: "One message: its state and its template data (pretty-printed)", arguments: ["MSG_ID"]) { invocation in
        let services = try CommandEnvironment(invocation).openServices()
        defer { services.database.close() }
        guard let detail = try services.outbox.find(id: invocation.arguments[0]) else {
            throw DomainError.notFound("message \(invocation.arguments[0])")
        }
        if invocation.json {
            try invocation.output.printJSON(detail.message, embedding: detail.data, as: "data")
            return
        }
        let message = detail.message
        invocation.output.printTable(["FIELD", "VALUE"], [
            ["id", message.id], ["template", message.template], ["recipient", message.recipient],
            ["recipient_name", message.recipientName ?? ""], ["customer_id", message.customerID ?? ""],
            ["status", message.status.rawValue], ["attempts", String(message.attempts)],
            ["available_at", SQLTimestamp.format(message.availableAt)],
            ["lease_expires_at", message.leaseExpiresAt.map(SQLTimestamp.format) ?? ""],
            ["last_error", message.lastError ?? ""], ["note", message.note ?? ""],
            ["provider_message_id", message.providerMessageID ?? ""], ["sent_at", message.sentAt.map(SQLTimestamp.format) ?? ""],
            ["dedupe_key", message.dedupeKey], ["created_at", SQLTimestamp.format(message.createdAt)],
            ["updated_at", SQLTimestamp.format(message.updatedAt)],
        ])
        invocation.output.print()
        invocation.output.print(Output.prettyJSON(detail.data))
    }

    static let retry = Command(
        "retry", summary: "Queue a dead or suppressed message again, due now with no attempts (the worker in tollgate serve sends it)",
        arguments: ["MSG_ID"]
    ) { invocation in
        let services = try CommandEnvironment(invocation).openServices()
        defer { services.database.close() }
        let message = try services.outbox.retry(id: invocation.arguments[0])
        if invocation.json {
            try invocation.output.printJSON(message)
        } else {
            invocation.output.print("\(message.id) is pending again.")
        }
    }

    static let purge = Command(
        "purge", summary: "Delete dead mail (all of it, or only what died more than DAYS ago)",
        options: [
            .flag("--dead", "Delete dead mail (required: only dead mail is ever purged)"),
            .value("--older-than", "DAYS", "Only mail that has been dead for more than DAYS days"),
        ]
    ) { invocation in
        guard invocation.flag("--dead") else {
            throw UsageError("say what to purge: --dead (only dead mail can be purged)", command: invocation.path)
        }
        var before = Date.distantFuture
        if let text = invocation.value("--older-than") {
            guard let days = Int(text), (0...36_500).contains(days) else {
                throw UsageError("--older-than must be a whole number of days from 0 to 36500", command: invocation.path)
            }
            before = Date().addingTimeInterval(-Double(days) * 86_400)
        }
        let services = try CommandEnvironment(invocation).openServices()
        defer { services.database.close() }
        let purged = try services.outbox.purgeDead(before: before)
        if invocation.json {
            try invocation.output.printJSON(["purged": purged])
        } else {
            invocation.output.print("Purged \(purged) dead message\(purged == 1 ? "" : "s").")
        }
    }

    static let stats = Command("stats", summary: "How many messages have each status") { invocation in
        let services = try CommandEnvironment(invocation).openServices()
        defer { services.database.close() }
        let counts = try services.outbox.counts()
        if invocation.json {
            try invocation.output.printJSON(Dictionary(uniqueKeysWithValues: OutboxStatus.allCases.map { ($0.rawValue, counts[$0] ?? 0) }))
        } else {
            invocation.output.printTable(["STATUS", "COUNT"], OutboxStatus.allCases.map { [$0.rawValue, String(counts[$0] ?? 0)] })
        }
    }
}

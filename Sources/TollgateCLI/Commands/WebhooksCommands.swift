import Foundation
import TollgateCore
import TollgateStore

/// `tollgate webhooks list|show|replay|apply`: the stored Stripe events.
enum WebhooksCommands {
    static let command = Command("webhooks", summary: "Inspect, replay and apply stored Stripe webhook events", subcommands: [list, show, replay, apply])

    static let list = Command(
        "list", summary: "Stored events, newest received first",
        options: [
            .value("--status", "STATUS", "Only events with this status", choices: StripeEventStatus.allCases.map(\.rawValue)),
            .value("--limit", "N", "How many (1–100, default 20)"),
            .value("--starting-after", "EVT_ID", "Continue after this event"),
        ]
    ) { invocation in
        let page = try invocation.pageRequest()
        let services = try CommandEnvironment(invocation).openServices()
        defer { services.database.close() }
        let events = try services.stripeEvents.list(status: invocation.value("--status").flatMap(StripeEventStatus.init(rawValue:)), page: page)
        if invocation.json {
            struct Listing: Encodable { var data: [StripeEventRecord]; var hasMore: Bool }
            try invocation.output.printJSON(Listing(data: events.items, hasMore: events.hasMore))
        } else {
            invocation.output.printTable(["ID", "TYPE", "STATUS", "ATTEMPTS", "CREATED", "RECEIVED", "NOTE"], events.items.map { event in
                [event.id, event.type, event.status.rawValue, String(event.attempts), SQLTimestamp.format(event.created),
                 SQLTimestamp.format(event.receivedAt), event.lastError ?? event.note ?? ""]
            })
            if events.hasMore, let last = events.items.last { invocation.output.print("More: --starting-after \(last.id)") }
        }
    }

    static let show = Command("show", summary: "One event: its state and its payload as received (pretty-printed)", arguments: ["EVT_ID"]) { invocation in
        let services = try CommandEnvironment(invocation).openServices()
        defer { services.database.close() }
        guard let (record, payload) = try services.stripeEvents.find(id: invocation.arguments[0]) else {
            throw DomainError.notFound("event \(invocation.arguments[0])")
        }
        if invocation.json {
            try invocation.output.printJSON(record, embedding: payload, as: "payload")
        } else {
            invocation.output.printTable(["FIELD", "VALUE"], [
                ["id", record.id], ["type", record.type], ["object", record.objectID ?? ""], ["created", SQLTimestamp.format(record.created)],
                ["status", record.status.rawValue], ["attempts", String(record.attempts)],
                ["next_attempt_at", SQLTimestamp.format(record.nextAttemptAt)], ["last_error", record.lastError ?? ""], ["note", record.note ?? ""],
                ["received_at", SQLTimestamp.format(record.receivedAt)], ["applied_at", record.appliedAt.map(SQLTimestamp.format) ?? ""],
            ])
            invocation.output.print()
            invocation.output.print(Output.prettyJSON(payload))
        }
    }

    static let replay = Command(
        "replay", summary: "Make an event pending again with no attempts; the applier (tollgate serve, or webhooks apply) applies it",
        arguments: ["EVT_ID"]
    ) { invocation in
        let services = try CommandEnvironment(invocation).openServices()
        defer { services.database.close() }
        let record = try services.stripeEvents.replay(id: invocation.arguments[0])
        if invocation.json {
            try invocation.output.printJSON(record)
        } else {
            invocation.output.print("\(record.id) is pending again.")
        }
    }

    static let apply = Command(
        "apply", summary: "Apply the due pending events now, once, and report (what tollgate serve does continuously)"
    ) { invocation in
        let services = try CommandEnvironment(invocation).openServices()
        defer { services.database.close() }
        let report = try StripeEventApplier(services: services).applyPending()
        if invocation.json {
            try invocation.output.printJSON([
                "applied": report.applied, "stale": report.stale, "ignored": report.ignored, "held": report.held, "retried": report.retried,
                "failed": report.failed,
            ])
        } else {
            invocation.output.print("Applied \(report.applied), stale \(report.stale), ignored \(report.ignored), "
                + "held (unsupported version) \(report.held), "
                + "to retry \(report.retried), failed \(report.failed).")
        }
    }
}

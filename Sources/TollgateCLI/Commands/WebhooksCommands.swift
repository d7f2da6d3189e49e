import Foundation
import TollgateBilling
import TollgateCore
import TollgateEntitlements
import TollgateStore
import TollgateWire

/// `tollgate webhooks list|show|replay|apply`: the stored Stripe events.
enum WebhooksCommands {
    static let group = Command.group("webhooks", summary: "Inspect, replay and apply stored Stripe webhook events", [
        Command(List.self), Command(Show.self), Command(Replay.self), Command(Apply.self),
    ])

    struct List: ParsableCommand {
        static let name = "list"
        static let summary = "Stored events, newest received first"

        @Option("--status", "STATUS", "Only events with this status") var status: StripeEventStatus?
        var page = PageOptions(cursor: "EVT_ID", "Continue after this event")

        func run(_ context: CommandContext) throws {
            let request = try page.request()
            let events = try context.perform(APIRequest(.GET, "/v1/webhooks/events", query: page.query(("status", status?.rawValue)))) {
                try $0.stripeEvents.list(status: status, page: request)
            }
            try context.emit(events, columns: [
                Column("ID") { $0.id }, Column("TYPE") { $0.type }, Column("STATUS") { $0.status.rawValue }, Column("ATTEMPTS") { String($0.attempts) },
                Column("CREATED") { HumanTime.text($0.created) }, Column("RECEIVED") { HumanTime.text($0.receivedAt) },
                Column("NOTE") { $0.lastError ?? $0.note ?? "" },
            ], cursor: \.id)
        }
    }

    struct Show: ParsableCommand {
        static let name = "show"
        static let summary = "One event: its state and its payload as received (pretty-printed)"

        @Argument("EVT_ID") var id: String

        func run(_ context: CommandContext) throws {
            let (record, payload) = try context.perform(APIRequest(.GET, "/v1/webhooks/events/\(id)")) { services in
                guard let found = try services.stripeEvents.find(id: id) else { throw DomainError.notFound("event \(id)") }
                return found
            } remote: { (try $0.decode(StripeEventRecord.self), try $0.member("payload")) }
            try context.emit(record, embedding: payload, as: "payload") { output in
                output.printTable(["FIELD", "VALUE"], [
                    ["id", record.id], ["type", record.type], ["object", record.objectID ?? ""], ["created", HumanTime.text(record.created)],
                    ["status", record.status.rawValue], ["attempts", String(record.attempts)],
                    ["next_attempt_at", HumanTime.text(record.nextAttemptAt)], ["last_error", record.lastError ?? ""], ["note", record.note ?? ""],
                    ["received_at", HumanTime.text(record.receivedAt)], ["applied_at", record.appliedAt.map(HumanTime.text) ?? ""],
                ])
                output.print()
                output.print(WireJSON.pretty(payload))
            }
        }
    }

    struct Replay: ParsableCommand {
        static let name = "replay"
        static let summary = "Make an event pending again with no attempts; the applier (tollgate serve, or webhooks apply) applies it"

        @Argument("EVT_ID") var id: String

        func run(_ context: CommandContext) throws {
            let record = try context.perform(APIRequest(.POST, "/v1/webhooks/events/\(id)/replay")) { try $0.stripeEvents.replay(id: id) }
            try context.emit(record) { $0.print("\(record.id) is pending again.") }
        }
    }

    struct Apply: ParsableCommand {
        static let name = "apply"
        static let summary = "Apply the due pending events now, once, and report (what tollgate serve does continuously)"

        func run(_ context: CommandContext) throws {
            let report = try context.withServices { try StripeEventApplier(services: $0).applyPending() }
            let counts = [
                "applied": report.applied, "stale": report.stale, "ignored": report.ignored, "held": report.held, "retried": report.retried,
                "failed": report.failed,
            ]
            try context.emit(counts) {
                $0.print("Applied \(report.applied), stale \(report.stale), ignored \(report.ignored), held (unsupported version) \(report.held), "
                    + "to retry \(report.retried), failed \(report.failed).")
            }
        }
    }
}

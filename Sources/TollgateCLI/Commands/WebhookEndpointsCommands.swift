import Foundation
import TollgateCore
import TollgateEntitlements
import TollgateStore
import TollgateWebhookEndpoints

/// `tollgate webhook-endpoints …`: where Tollgate sends its events (`docs/events.md`, "Webhook endpoints").
enum WebhookEndpointsCommands {
    static let group = Command.group("webhook-endpoints", summary: "Register webhook endpoints for events, and inspect their deliveries", [
        Command(Create.self), Command(List.self), Command(Show.self), Command(Update.self), Command(Delete.self), Command(RotateSecret.self),
        Command(Test.self), Command(Deliveries.self), Command(Redeliver.self)
    ])

    /// `--events`: comma-separated types, or `*`.
    static func eventNames(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    }

    static func printSecret(_ created: WebhookEndpointWithSecret, _ headline: String, output: Output) {
        output.print(headline)
        output.print()
        output.print("    \(created.secret.revealed)")
        output.print()
        output.print("The signing secret is shown only this once: configure the receiver with it (Standard Webhooks).")
    }

    struct Create: ParsableCommand {
        static let name = "create"
        static let summary = "Register an endpoint and print its signing secret once"
        static let discussion = "It gets the events logged from now on, signed per Standard Webhooks (docs/events.md)."

        @Option("--url", "URL", "Where events are POSTed (http or https)") var url: String
        @Option("--events", "TYPES", "Comma-separated event types, or * for every type") var events: String = "*"
        @Option("--description", "TEXT", "A note for operators") var text: String?

        func run(_ context: CommandContext) throws {
            let request = WebhookEndpointRequest(url: url, events: WebhookEndpointsCommands.eventNames(events), description: text)
            let created = try context.perform(try APIRequest(.POST, "/v1/webhook-endpoints", body: request)) { try $0.webhookEndpoints.create(request) }
            try context.emit(created) { output in
                printSecret(created, "Created webhook endpoint \(created.endpoint.id) → \(created.endpoint.url):", output: output)
            }
        }
    }

    struct List: ParsableCommand {
        static let name = "list"
        static let summary = "Webhook endpoints, newest first (never their secrets)"

        var page = PageOptions(cursor: "ENDPOINT_ID", "Continue after this endpoint")

        func run(_ context: CommandContext) throws {
            let request = try page.request()
            let endpoints = try context.perform(APIRequest(.GET, "/v1/webhook-endpoints", query: page.query())) { try $0.webhookEndpoints.list(page: request) }
            try context.emit(endpoints, columns: [
                Column("ID") { $0.id }, Column("URL") { $0.url }, Column("EVENTS") { $0.events.names.joined(separator: ",") },
                Column("STATUS") { $0.status.rawValue }, Column("CREATED") { HumanTime.text($0.createdAt) },
                Column("NOTE") { $0.disabledReason ?? $0.description ?? "" },
            ], cursor: \.id)
        }
    }

    struct Show: ParsableCommand {
        static let name = "show"
        static let summary = "One webhook endpoint (never its secret)"

        @Argument("ENDPOINT_ID") var id: String

        func run(_ context: CommandContext) throws {
            let endpoint = try context.perform(APIRequest(.GET, "/v1/webhook-endpoints/\(id)")) { try $0.webhookEndpoints.get(id: id) }
            try context.emit(endpoint) { output in Self.print(endpoint, output: output) }
        }

        static func print(_ endpoint: WebhookEndpoint, output: Output) {
            output.printTable(["FIELD", "VALUE"], [
                ["id", endpoint.id], ["url", endpoint.url], ["description", endpoint.description ?? ""],
                ["events", endpoint.events.names.joined(separator: ",")], ["status", endpoint.status.rawValue],
                ["disabled_reason", endpoint.disabledReason ?? ""], ["cursor", String(endpoint.cursor)],
                ["failing_since", endpoint.failingSince.map(HumanTime.text) ?? ""],
                ["previous_secret_expires_at", endpoint.previousSecretExpiresAt.map(HumanTime.text) ?? ""],
                ["created_at", HumanTime.text(endpoint.createdAt)], ["updated_at", HumanTime.text(endpoint.updatedAt)],
            ])
        }
    }

    struct Update: ParsableCommand {
        static let name = "update"
        static let summary = "Change an endpoint's URL, events or description, or disable or enable it"

        @Argument("ENDPOINT_ID") var id: String
        @Option("--url", "URL", "Where events are POSTed (http or https)") var url: String?
        @Option("--events", "TYPES", "Comma-separated event types, or * for every type") var events: String?
        @Option("--description", "TEXT", "A note for operators (empty: none)") var text: String?
        @Flag("--disable", "Stop sending events to it (deliveries wait)") var disable: Bool
        @Flag("--enable", "Send it events again, from the log's head") var enable: Bool

        func run(_ context: CommandContext) throws {
            guard !(disable && enable) else { throw UsageError("--enable and --disable exclude each other") }
            let changes = WebhookEndpointChanges(
                url: url, events: events.map(WebhookEndpointsCommands.eventNames), description: text, enabled: enable ? true : disable ? false : nil)
            guard !changes.isEmpty else { throw UsageError("say what to change: --url, --events, --description, --enable or --disable") }
            let endpoint = try context.perform(try APIRequest(.PATCH, "/v1/webhook-endpoints/\(id)", body: changes)) {
                try $0.webhookEndpoints.update(id: id, changes)
            }
            try context.emit(endpoint) { output in Show.print(endpoint, output: output) }
        }
    }

    struct Delete: ParsableCommand {
        static let name = "delete"
        static let summary = "Delete an endpoint and its deliveries"

        @Argument("ENDPOINT_ID") var id: String
        var confirmation = Confirmation()

        func run(_ context: CommandContext) throws {
            try confirmation.confirm("Delete webhook endpoint \(id) and its deliveries", context)
            try context.perform(APIRequest(.DELETE, "/v1/webhook-endpoints/\(id)")) { try $0.webhookEndpoints.delete(id: id) } remote: { _ in }
            try context.emit(["deleted": id]) { $0.print("Deleted webhook endpoint \(id).") }
        }
    }

    struct RotateSecret: ParsableCommand {
        static let name = "rotate-secret"
        static let summary = "A new signing secret, printed once; the previous one keeps signing beside it for 24 hours"

        @Argument("ENDPOINT_ID") var id: String

        func run(_ context: CommandContext) throws {
            let rotated = try context.perform(APIRequest(.POST, "/v1/webhook-endpoints/\(id)/rotate-secret")) { try $0.webhookEndpoints.rotateSecret(id: id) }
            try context.emit(rotated) { output in
                let until = rotated.endpoint.previousSecretExpiresAt.map(HumanTime.text) ?? "now"
                printSecret(rotated, "New signing secret of \(rotated.endpoint.id) (the previous one also signs until \(until)):", output: output)
            }
        }
    }

    struct Test: ParsableCommand {
        static let name = "test"
        static let summary = "Queue a signed webhook_endpoint.test event to the endpoint (tollgate serve sends it)"

        @Argument("ENDPOINT_ID") var id: String

        func run(_ context: CommandContext) throws {
            let delivery = try context.perform(APIRequest(.POST, "/v1/webhook-endpoints/\(id)/test")) { try $0.webhookEndpoints.sendTest(id: id) }
            try context.emit(delivery) { $0.print("Queued test event \(delivery.eventID) as delivery \(delivery.id).") }
        }
    }

    struct Deliveries: ParsableCommand {
        static let name = "deliveries"
        static let summary = "The endpoint's deliveries, newest first: status, attempts, response code, latency"

        @Argument("ENDPOINT_ID") var id: String
        @Option("--status", "STATUS", "Only deliveries with this status") var status: WebhookDeliveryStatus?
        var page = PageOptions(cursor: "DELIVERY_ID", "Continue after this delivery")

        func run(_ context: CommandContext) throws {
            let request = try page.request()
            let query = page.query(("status", status?.rawValue))
            let deliveries = try context.perform(APIRequest(.GET, "/v1/webhook-endpoints/\(id)/deliveries", query: query)) {
                try $0.webhookEndpoints.deliveries(endpoint: id, status: status, page: request)
            }
            try context.emit(deliveries, columns: [
                Column("ID") { $0.id }, Column("EVENT") { $0.eventID }, Column("TYPE") { $0.eventType }, Column("STATUS") { $0.status.rawValue },
                Column("ATTEMPTS") { String($0.attempts) }, Column("CODE") { $0.lastStatusCode.map(String.init) ?? "" },
                Column("LATENCY_MS") { $0.lastLatencyMs.map(String.init) ?? "" }, Column("CREATED") { HumanTime.text($0.createdAt) },
                Column("ERROR") { $0.lastError ?? "" },
            ], cursor: \.id)
        }
    }

    struct Redeliver: ParsableCommand {
        static let name = "redeliver"
        static let summary = "Send a delivery's event again, due now with its retries started afresh"

        @Argument("ENDPOINT_ID") var id: String
        @Argument("DELIVERY_ID") var deliveryID: String

        func run(_ context: CommandContext) throws {
            let delivery = try context.perform(APIRequest(.POST, "/v1/webhook-endpoints/\(id)/deliveries/\(deliveryID)/redeliver")) {
                try $0.webhookEndpoints.redeliver(endpoint: id, delivery: deliveryID)
            }
            try context.emit(delivery) { $0.print("Delivery \(delivery.id) of \(delivery.eventID) is pending again.") }
        }
    }
}

import Foundation
import TollgateBase
import TollgateCore
import TollgateEntitlements
import TollgateEvents
import TollgateStore
import TollgateWire

/// `tollgate events list|show|purge`: the event log (docs/events.md).
enum EventsCommands {
    static let group = Command.group("events", summary: "Read and purge the event log (what changed, in commit order)", [
        Command(List.self), Command(Show.self), Command(Purge.self),
    ])

    struct List: ParsableCommand {
        static let name = "list"
        static let summary = "Published events after a position, oldest first"

        @Option("--after", "POSITION", "Only events after this position (default: from the oldest kept)", in: 0...) var after: Int64 = 0
        @Option("--limit", "N", "How many (1–1000)", in: 1...1000) var limit: Int = 20
        @Option("--customer", "EXTERNAL_ID", "Only this customer's events") var customer: String?
        @Option("--types", "TYPES", "Only these types, comma-separated (e.g. grant.created,entitlements.updated)") var types: String?

        func run(_ context: CommandContext) throws {
            let filter: EventFilter
            do {
                filter = EventFilter(customer: customer, types: try types.flatMap(EventType.parseList))
            } catch {
                throw UsageError("--types: \(error.message)")
            }
            // The API pages by at most 100: remote mode reads pages after one another up to --limit.
            let page: Page<Event>
            if let remote = context.remote {
                var items: [Event] = []
                var position = after
                var more = true
                while more, items.count < limit {
                    let next = try remote.send(APIRequest(.GET, "/v1/events", query: [
                        ("after", String(position)), ("limit", String(min(limit - items.count, PageRequest.maximumLimit))),
                        ("customer", customer), ("types", types),
                    ])).decode(Page<Event>.self)
                    items += next.items
                    more = next.hasMore
                    position = next.items.last?.position ?? position
                }
                page = Page(items: items, hasMore: more)
            } else {
                let events = try context.withServices { services in
                    _ = try services.eventLog.publish()
                    return try services.eventLog.read(after: after, limit: limit + 1, filter: filter)
                }
                page = Page(items: Array(events.prefix(limit)), hasMore: events.count > limit)
            }
            try context.emit(page) { output in
                output.printTable(["POSITION", "TYPE", "CUSTOMER", "SEQ", "CREATED", "ID"], page.items.map { event in
                    [String(event.position), event.type.rawValue, event.customer ?? "", event.sequence.map(String.init) ?? "",
                     HumanTime.text(event.createdAt), event.id]
                })
                if page.hasMore, let last = page.items.last { output.print("More: --after \(last.position)") }
            }
        }
    }

    struct Show: ParsableCommand {
        static let name = "show"
        static let summary = "One event with its data"

        @Argument("EVENT_ID") var id: String

        func run(_ context: CommandContext) throws {
            let event = try context.perform(APIRequest(.GET, "/v1/events/\(id)")) { services in
                guard let event = try services.eventLog.event(id: id) else { throw DomainError.notFound("event \(id)") }
                return event
            }
            try context.emit(event) { output in
                output.print("\(event.id)  \(event.type.rawValue)  position \(event.position)  \(HumanTime.text(event.createdAt))")
                if let customer = event.customer { output.print("customer \(customer), sequence \(event.sequence ?? 0)") }
                output.print(WireJSON.pretty(event.data.description))
            }
        }
    }

    struct Purge: ParsableCommand {
        static let name = "purge"
        static let summary = "Delete events older than the retention period (TOLLGATE_EVENT_RETENTION_DAYS), as serve does hourly"

        @Option("--older-than", "DAYS", "Delete what is older than DAYS days instead", in: 1...3650) var olderThan: Int?
        var confirmation = Confirmation()

        func run(_ context: CommandContext) throws {
            try context.requireStore()
            try confirmation.confirm("Delete events older than " + (olderThan.map { "\($0) days" } ?? "the retention period"), context)
            let removed = try context.withServices { services in
                try EventRetention(services: services, days: olderThan).purgeNow()
            }
            try context.emit(removed) { output in
                output.print(removed.sorted { $0.key < $1.key }.map { "Purged \($0.value) \($0.key)." }.joined(separator: " "))
            }
        }
    }
}

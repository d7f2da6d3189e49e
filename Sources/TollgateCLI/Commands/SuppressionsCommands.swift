import TollgateCore
import TollgateStore

/// `tollgate suppressions add|list|remove`: addresses the outbox never mails.
enum SuppressionsCommands {
    static let command = Command(
        "suppressions", summary: "Manage the mail suppression list (addresses never mailed)", subcommands: [add, list, remove])

    static let add = Command(
        "add", summary: "Put an address on the suppression list (an address already there keeps its first entry)",
        options: [
            .value("--reason", "REASON", "Why (default manual)", choices: SuppressionReason.allCases.map(\.rawValue)),
            .value("--note", "TEXT", "A note for other operators (at most 500 characters)"),
        ],
        arguments: ["ADDRESS"]
    ) { invocation in
        let reason = invocation.value("--reason").flatMap(SuppressionReason.init(rawValue:)) ?? .manual
        let services = try CommandEnvironment(invocation).openServices()
        defer { services.database.close() }
        let (entry, added) = try services.suppressions.add(invocation.arguments[0], reason: reason, note: invocation.value("--note"))
        if invocation.json {
            try invocation.output.printJSON(entry)
        } else if !added {
            invocation.output.print("\(entry.address) was already suppressed (\(entry.reason.rawValue) since \(SQLTimestamp.format(entry.createdAt))).")
        } else {
            invocation.output.print("\(entry.address) is suppressed (\(entry.reason.rawValue)).")
        }
    }

    static let list = Command(
        "list", summary: "Suppressed addresses, alphabetically",
        options: [
            .value("--limit", "N", "How many (1–100, default 20)"),
            .value("--starting-after", "ADDRESS", "Continue after this address"),
        ]
    ) { invocation in
        let page = try invocation.pageRequest()
        let services = try CommandEnvironment(invocation).openServices()
        defer { services.database.close() }
        let entries = try services.suppressions.list(page: page)
        if invocation.json {
            struct Listing: Encodable { var data: [Suppression]; var hasMore: Bool }
            try invocation.output.printJSON(Listing(data: entries.items, hasMore: entries.hasMore))
        } else {
            invocation.output.printTable(["ADDRESS", "REASON", "ADDED", "NOTE"], entries.items.map { entry in
                [entry.address, entry.reason.rawValue, SQLTimestamp.format(entry.createdAt), entry.note ?? ""]
            })
            if entries.hasMore, let last = entries.items.last { invocation.output.print("More: --starting-after \(last.address)") }
        }
    }

    static let remove = Command(
        "remove", summary: "Take an address off the suppression list (mail it missed stays suppressed: use outbox retry)",
        arguments: ["ADDRESS"]
    ) { invocation in
        let services = try CommandEnvironment(invocation).openServices()
        defer { services.database.close() }
        guard try services.suppressions.remove(invocation.arguments[0]) else {
            throw DomainError.notFound("suppression \(invocation.arguments[0])")
        }
        if invocation.json {
            try invocation.output.printJSON(["removed": invocation.arguments[0]])
        } else {
            invocation.output.print("\(invocation.arguments[0]) is no longer suppressed.")
        }
    }
}

import TollgateCore
import TollgateEntitlements
import TollgateOutbox
import TollgateStore

/// `tollgate suppressions add|list|remove`: addresses the outbox never mails.
enum SuppressionsCommands {
    static let group = Command.group("suppressions", summary: "Manage the mail suppression list (addresses never mailed)", [
        Command(Add.self), Command(List.self), Command(Remove.self),
    ])

    struct Add: ParsableCommand {
        static let name = "add"
        static let summary = "Put an address on the suppression list (an address already there keeps its first entry)"

        @Argument("ADDRESS") var address: String
        @Option("--reason", "REASON", "Why (default manual)") var reason: SuppressionReason = .manual
        @Option("--note", "TEXT", "A note for other operators (at most 500 characters)") var note: String?

        func run(_ context: CommandContext) throws {
            let body = AddRequest(address: address, reason: reason.rawValue, note: note)
            let (entry, added) = try context.perform(try APIRequest(.POST, "/v1/suppressions", body: body)) {
                try $0.suppressions.add(address, reason: reason, note: note)
            } remote: { (try $0.decode(Suppression.self), $0.status == 201) }
            try context.emit(entry) { output in
                output.print(added
                    ? "\(entry.address) is suppressed (\(entry.reason.rawValue))."
                    : "\(entry.address) was already suppressed (\(entry.reason.rawValue) since \(HumanTime.text(entry.createdAt))).")
            }
        }
    }

    /// `POST /v1/suppressions`'s body.
    struct AddRequest: Encodable {
        var address: String
        var reason: String
        var note: String?
    }

    struct List: ParsableCommand {
        static let name = "list"
        static let summary = "Suppressed addresses, alphabetically"

        var page = PageOptions(cursor: "ADDRESS", "Continue after this address")

        func run(_ context: CommandContext) throws {
            let request = try page.request()
            let entries = try context.perform(APIRequest(.GET, "/v1/suppressions", query: page.query())) { try $0.suppressions.list(page: request) }
            try context.emit(entries, columns: [
                Column("ADDRESS") { $0.address }, Column("REASON") { $0.reason.rawValue }, Column("ADDED") { HumanTime.text($0.createdAt) },
                Column("NOTE") { $0.note ?? "" },
            ], cursor: \.address)
        }
    }

    struct Remove: ParsableCommand {
        static let name = "remove"
        static let summary = "Take an address off the suppression list (mail it missed stays suppressed: use outbox retry)"
        static let discussion = "An address that is not on the list is `not_found` (exit 1), as in the API."

        @Argument("ADDRESS") var address: String

        func run(_ context: CommandContext) throws {
            try context.perform(APIRequest(.DELETE, "/v1/suppressions/\(address)")) { services in
                guard try services.suppressions.remove(address) else { throw DomainError.notFound("suppression \(address)") }
            } remote: { _ in }
            try context.emit(["removed": address]) { $0.print("\(address) is no longer suppressed.") }
        }
    }
}

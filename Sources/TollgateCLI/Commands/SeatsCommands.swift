import Foundation
import Tollgate
import TollgateCore
import TollgateEntitlements
import TollgateStore

/// `tollgate seats list|assign|release`: members holding seats of a customer's limit feature
/// (docs/seats.md), as the API's `/v1/customers/{external_id}/seats/{feature}` endpoints give them.
enum SeatsCommands {
    static let group = Command.group("seats", summary: "Members holding seats of a customer's limit feature", [
        Command(List.self), Command(Assign.self), Command(Release.self),
    ])

    struct List: ParsableCommand {
        static let name = "list"
        static let summary = "The holders, the limit, and the excess over it when it fell below them"

        @Argument("CUSTOMER") var customer: String
        @Argument("FEATURE") var feature: FeatureKey
        @Option("--limit", "N", "How many (1–100, default 20)", in: 1...100) var limit: Int = 20
        @Option("--starting-after", "MEMBER", "The page after this member") var startingAfter: String?

        func run(_ context: CommandContext) throws {
            let page = try PageRequest(limit: limit, startingAfter: startingAfter)
            let request = APIRequest(.GET, "/v1/customers/\(customer)/seats/\(feature)", query: [
                ("limit", String(limit)), ("starting_after", startingAfter),
            ])
            let listing = try context.perform(request) { try $0.seats.list(customer: customer, feature: feature, page: page) }
            try context.emit(listing) { output in
                let limit = listing.limit.map(EntitlementsCommands.describe) ?? "not entitled"
                output.print("\(listing.feature): \(listing.assigned) assigned of \(limit)"
                             + (listing.overLimit > 0 ? ", \(listing.overLimit) over the limit (new assignments are refused)" : ""))
                output.printTable(["MEMBER", "ASSIGNED"], listing.data.map { [$0.member, HumanTime.text($0.assignedAt)] })
                if listing.hasMore, let last = listing.data.last { output.print("More: --starting-after \(last.member)") }
            }
        }
    }

    struct Assign: ParsableCommand {
        static let name = "assign"
        static let summary = "Assign a member a seat (a member who holds one keeps it)"

        @Argument("CUSTOMER") var customer: String
        @Argument("FEATURE") var feature: FeatureKey
        @Argument("MEMBER") var member: String

        func run(_ context: CommandContext) throws {
            let request = try APIRequest(.POST, "/v1/customers/\(customer)/seats/\(feature)", body: ["member": member])
            let seat = try context.perform(request) { try $0.seats.assign(customer: customer, feature: feature, member: member) }
            try context.emit(seat) { output in
                let limit = seat.limit.map(EntitlementsCommands.describe) ?? "-"
                output.print("\(seat.created ? "Assigned" : "Already assigned:") \(seat.member) a seat of \(seat.feature) (\(seat.assigned) of \(limit)).")
            }
        }
    }

    struct Release: ParsableCommand {
        static let name = "release"
        static let summary = "Release a member's seat"

        @Argument("CUSTOMER") var customer: String
        @Argument("FEATURE") var feature: FeatureKey
        @Argument("MEMBER") var member: String

        func run(_ context: CommandContext) throws {
            let released = try context.perform(APIRequest(.DELETE, "/v1/customers/\(customer)/seats/\(feature)/\(member)")) {
                try $0.seats.release(customer: customer, feature: feature, member: member)
            }
            try context.emit(released) { $0.print("Released \(released.member)'s seat of \(feature).") }
        }
    }
}

import Foundation
import Tollgate
import TollgateCore
import TollgateEntitlements

/// `tollgate entitlements show|check`.
enum EntitlementsCommands {
    static let group = Command.group("entitlements", summary: "Show and check customers' effective entitlements", [Command(Show.self), Command(Check.self)])

    struct Show: ParsableCommand {
        static let name = "show"
        static let summary = "Every feature's effective entitlement for a customer"

        @Argument("CUSTOMER") var customer: String

        func run(_ context: CommandContext) throws {
            let snapshot = try context.withServices { try $0.entitlements.snapshot(customer: customer) }
            try context.emit(snapshot) { output in
                output.print("\(snapshot.customer): plan \(snapshot.plan ?? "none") (\(snapshot.planSource.rawValue))")
                output.printTable(["FEATURE", "VALUE", "SOURCE", "USED", "REMAINING", "RESETS", "DENIAL"],
                                  snapshot.entitlements.values.sorted { $0.feature < $1.feature }.map { entitlement in
                    [entitlement.feature.rawValue, entitlement.value.map(describe) ?? "-", entitlement.source.rawValue,
                     entitlement.used.map(String.init) ?? "", entitlement.remaining.map(String.init) ?? "",
                     entitlement.resetsAt.map { $0.formatted(.iso8601) } ?? "", entitlement.denial?.rawValue ?? ""]
                })
            }
        }
    }

    struct Check: ParsableCommand {
        static let name = "check"
        static let summary = "May the customer use a feature now?"
        static let discussion = """
            A denial is an answer: it prints `denied: REASON` (with --json, "allowed": false and the
            reason) and exits 0, as an allowed check does. Exit 1 means the check could not be made
            (an unknown customer or feature, …).
            """

        @Argument("CUSTOMER") var customer: String
        @Argument("FEATURE") var feature: FeatureKey
        @Option("--quantity", "N", "Total for a limit, amount for a metered feature (default 1)", in: 1...) var quantity: Int64 = 1

        func run(_ context: CommandContext) throws {
            let result = try context.withServices { try $0.entitlements.check(customer: customer, feature: feature, quantity: quantity) }
            try context.emit(result) { output in
                var line = result.allowed ? "allowed" : "denied: \(result.reason?.rawValue ?? "")"
                if let remaining = result.remaining { line += " (remaining \(remaining))" }
                output.print(line)
            }
        }
    }

    static func describe(_ value: EntitlementValue) -> String {
        switch value {
        case .enabled: "true"
        case .limit(let number): String(number)
        case .unlimited: "unlimited"
        }
    }
}

/// `tollgate usage record|consume`: metered usage.
enum UsageCommands {
    static let group = Command.group("usage", summary: "Record or consume metered usage", [Command(Record.self), Command(Consume.self)])

    /// What both take: whose usage of what, how much, and the key that makes a repeat count nothing.
    struct Usage: ParameterGroup {
        @Argument("CUSTOMER") var customer: String
        @Argument("FEATURE") var feature: FeatureKey
        @Option("--quantity", "N", "How much (default 1)", in: 1...) var quantity: Int64 = 1
        @Option("--idempotency-key", "KEY", "A repeat with this key counts nothing") var idempotencyKey: String?

        var request: UsageRequest { UsageRequest(customer: customer, feature: feature, quantity: quantity, idempotencyKey: idempotencyKey) }
    }

    struct Record: ParsableCommand {
        static let name = "record"
        static let summary = "Record usage (always counted)"

        var usage = Usage()

        func run(_ context: CommandContext) throws {
            let request = usage.request
            try UsageCommands.emit(try context.withServices { try $0.entitlements.record(request) }, context)
        }
    }

    struct Consume: ParsableCommand {
        static let name = "consume"
        static let summary = "Check and record atomically: counted only within the quota"
        static let discussion = """
            A denial is an answer: over the quota nothing is counted, and the command prints
            `Not recorded: REASON` (with --json, "allowed": false and the reason) and exits 0.
            Exit 1 means nothing could be decided (an unknown customer or feature, …).
            """

        var usage = Usage()

        func run(_ context: CommandContext) throws {
            let request = usage.request
            try UsageCommands.emit(try context.withServices { try $0.entitlements.consume(request) }, context)
        }
    }

    static func emit(_ outcome: UsageOutcome, _ context: CommandContext) throws {
        try context.emit(outcome) { output in
            if outcome.duplicate {
                output.print("Already recorded under this idempotency key; used \(outcome.used).")
            } else if outcome.allowed {
                output.print("Recorded \(outcome.quantity); used \(outcome.used)\(outcome.remaining.map { ", remaining \($0)" } ?? "").")
            } else {
                output.print("Not recorded: \(outcome.reason?.rawValue ?? "denied") (used \(outcome.used)).")
            }
        }
    }
}

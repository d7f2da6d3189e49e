import Foundation
import Tollgate
import TollgateCore

/// `tollgate entitlements show|check` and `tollgate usage record|consume`.
enum EntitlementsCommands {
    static let command = Command("entitlements", summary: "Show and check customers' effective entitlements", subcommands: [show, check])

    static let show = Command("show", summary: "Every feature's effective entitlement for a customer", arguments: ["CUSTOMER"]) { invocation in
        let services = try CommandEnvironment(invocation).openServices()
        defer { services.database.close() }
        let snapshot = try services.entitlements.snapshot(customer: invocation.arguments[0])
        if invocation.json {
            try invocation.output.printJSON(snapshot)
            return
        }
        invocation.output.print("\(snapshot.customer): plan \(snapshot.plan ?? "none") (\(snapshot.planSource.rawValue))")
        invocation.output.printTable(["FEATURE", "VALUE", "SOURCE", "USED", "REMAINING", "RESETS", "DENIAL"],
                                     snapshot.entitlements.values.sorted { $0.feature < $1.feature }.map { entitlement in
            [entitlement.feature.rawValue, entitlement.value.map(describe) ?? "-", entitlement.source.rawValue,
             entitlement.used.map(String.init) ?? "", entitlement.remaining.map(String.init) ?? "",
             entitlement.resetsAt.map { $0.formatted(.iso8601) } ?? "", entitlement.denial?.rawValue ?? ""]
        })
    }

    static let check = Command(
        "check", summary: "May the customer use a feature now?", options: [.value("--quantity", "N", "Total for a limit, amount for a metered feature (default 1)")],
        arguments: ["CUSTOMER", "FEATURE"]
    ) { invocation in
        let quantity = try quantityOption(invocation)
        let feature = try featureArgument(invocation.arguments[1], invocation)
        let services = try CommandEnvironment(invocation).openServices()
        defer { services.database.close() }
        let result = try services.entitlements.check(customer: invocation.arguments[0], feature: feature, quantity: quantity)
        if invocation.json {
            try invocation.output.printJSON(result)
        } else {
            var line = result.allowed ? "allowed" : "denied: \(result.reason?.rawValue ?? "")"
            if let remaining = result.remaining { line += " (remaining \(remaining))" }
            invocation.output.print(line)
        }
    }

    static let usage = Command("usage", summary: "Record or consume metered usage", subcommands: [meter("record"), meter("consume")])

    private static func meter(_ name: String) -> Command {
        let consume = name == "consume"
        return Command(
            name, summary: consume ? "Check and record atomically: counted only within the quota" : "Record usage (always counted)",
            options: [.value("--quantity", "N", "How much (default 1)"), .value("--idempotency-key", "KEY", "A repeat with this key counts nothing")],
            arguments: ["CUSTOMER", "FEATURE"]
        ) { invocation in
            let request = UsageRequest(
                customer: invocation.arguments[0], feature: try featureArgument(invocation.arguments[1], invocation),
                quantity: try quantityOption(invocation), idempotencyKey: invocation.value("--idempotency-key"))
            let services = try CommandEnvironment(invocation).openServices()
            defer { services.database.close() }
            let outcome = consume ? try services.entitlements.consume(request) : try services.entitlements.record(request)
            if invocation.json {
                try invocation.output.printJSON(outcome)
            } else if outcome.duplicate {
                invocation.output.print("Already recorded under this idempotency key; used \(outcome.used).")
            } else if outcome.allowed {
                invocation.output.print("Recorded \(outcome.quantity); used \(outcome.used)\(outcome.remaining.map { ", remaining \($0)" } ?? "").")
            } else {
                throw CommandFailure("not recorded: \(outcome.reason?.rawValue ?? "denied") (used \(outcome.used))")
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

    static func quantityOption(_ invocation: Invocation) throws -> Int64 {
        guard let text = invocation.value("--quantity") else { return 1 }
        guard let value = Int64(text), value >= 1 else { throw UsageError("--quantity must be a whole number of at least 1", command: invocation.path) }
        return value
    }

    static func featureArgument(_ text: String, _ invocation: Invocation) throws -> FeatureKey {
        guard let key = FeatureKey(validating: text) else { throw UsageError("\(text) is not a feature key", command: invocation.path) }
        return key
    }
}

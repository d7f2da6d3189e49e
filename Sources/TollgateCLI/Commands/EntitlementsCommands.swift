import Foundation
import Tollgate
import TollgateCore
import TollgateEntitlements
import TollgateWire

/// `tollgate entitlements show|check`.
enum EntitlementsCommands {
    static let group = Command.group("entitlements", summary: "Show and check customers' effective entitlements", [Command(Show.self), Command(Check.self)])

    struct Show: ParsableCommand {
        static let name = "show"
        static let summary = "Every feature's effective entitlement for a customer"

        @Argument("CUSTOMER") var customer: String

        func run(_ context: CommandContext) throws {
            let snapshot = try context.perform(APIRequest(.GET, "/v1/customers/\(customer)/entitlements")) {
                try $0.entitlements.snapshot(customer: customer)
            }
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
            let result = try context.perform(APIRequest(.GET, "/v1/entitlements/check", query: [
                ("customer", customer), ("feature", feature.rawValue), ("quantity", String(quantity)),
            ])) { try $0.entitlements.check(customer: customer, feature: feature, quantity: quantity) }
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
    static let group = Command.group("usage", summary: "Record or consume metered usage", [Command(Record.self), Command(Consume.self), Command(Import.self)])

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
            try UsageCommands.emit(try context.perform(try APIRequest(.POST, "/v1/usage", body: request)) { try $0.entitlements.record(request) }, context)
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
            try UsageCommands.emit(try context.perform(try APIRequest(.POST, "/v1/usage/consume", body: request)) { try $0.entitlements.consume(request) }, context)
        }
    }

    struct Import: ParsableCommand {
        static let name = "import"
        static let summary = "Record the usage events of an NDJSON file (or - for standard input) through the batch path"
        static let discussion = """
            One event per line, as POST /v1/usage/batch takes them: {"customer": …, "feature": …, "quantity": …, \
            "idempotency_key": …}; blank lines are skipped. Lines are sent in batches of --chunk events, each one \
            transaction; progress goes to standard error. Each event is counted, a duplicate (its key was counted \
            before), or refused with a reason (a line that is not an event is refused as invalid_json): a refusal is \
            an answer, named with its line on standard error, and the command still exits 0. Exit 1 means the store \
            failed: the lines before the failing batch are recorded, and running the import again is safe for events \
            with an idempotency key.
            """

        @Argument("FILE") var path: String
        @Option("--chunk", "N", "Events per batch (default 1000)", in: 1...UsageBatchRequest.maximumEvents) var chunk: Int = UsageBatchRequest.maximumEvents

        struct Refusal: Encodable { var line: Int; var reason: String; var message: String }
        struct Summary: Encodable {
            var events = 0
            var counted = 0
            var duplicate = 0
            var refused = 0
            /// The first refusals (at most ``Import/listedRefusals``), by line.
            var refusals: [Refusal] = []
        }

        static let listedRefusals = 100

        func run(_ context: CommandContext) throws {
            let handle: FileHandle
            if path == "-" {
                handle = FileHandle.standardInput
            } else {
                guard let file = FileHandle(forReadingAtPath: path) else { throw CommandFailure("cannot read \(path)") }
                handle = file
            }
            defer { if path != "-" { try? handle.close() } }
            let summary = try context.withSession { session in
                var summary = Summary()
                var pending: [(line: Int, event: UsageBatchEvent)] = []
                func refuse(_ line: Int, _ reason: String, _ message: String) {
                    summary.refused += 1
                    if summary.refusals.count < Self.listedRefusals { summary.refusals.append(Refusal(line: line, reason: reason, message: message)) }
                    context.output.error("line \(line): \(reason): \(message)")
                }
                func flush() throws {
                    guard !pending.isEmpty else { return }
                    let batch = UsageBatchRequest(events: pending.map(\.event))
                    let response = try session.perform(try APIRequest(.POST, "/v1/usage/batch", body: batch)) { try $0.entitlements.record(batch) }
                    for (entry, result) in zip(pending, response.results) {
                        switch result.status {
                        case .counted: summary.counted += 1
                        case .duplicate: summary.duplicate += 1
                        case .refused: refuse(entry.line, result.reason ?? "refused", result.message ?? "")
                        }
                    }
                    pending.removeAll(keepingCapacity: true)
                    context.output.error(
                        "\(summary.events) events: \(summary.counted) counted, \(summary.duplicate) duplicate, \(summary.refused) refused")
                }
                let decoder = WireJSON.decoder()
                var lines = LineReader(handle)
                while let (number, line) = try lines.next() {
                    guard line.contains(where: { !$0.isWhitespace }) else { continue }
                    summary.events += 1
                    do {
                        pending.append((number, try decoder.decode(UsageBatchEvent.self, from: Data(line.utf8))))
                    } catch {
                        refuse(number, "invalid_json", "not a usage event: {\"customer\", \"feature\", \"quantity\", \"idempotency_key\"}")
                    }
                    if pending.count >= chunk { try flush() }
                }
                try flush()
                return summary
            }
            try context.emit(summary) { output in
                output.print("Imported \(summary.events) events: \(summary.counted) counted, \(summary.duplicate) duplicate, \(summary.refused) refused.")
            }
        }
    }

    /// Lines of a file read a block at a time (a file of any size streams), numbered from 1.
    struct LineReader {
        private let handle: FileHandle
        private var buffer: [UInt8] = []
        private var start = 0
        private var number = 0
        private var atEnd = false

        init(_ handle: FileHandle) { self.handle = handle }

        mutating func next() throws -> (Int, String)? {
            while true {
                if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                    let line = String(decoding: buffer[start..<newline], as: UTF8.self)
                    start = newline + 1
                    number += 1
                    return (number, line)
                }
                if atEnd {
                    guard start < buffer.count else { return nil }
                    let line = String(decoding: buffer[start...], as: UTF8.self)
                    start = buffer.count
                    number += 1
                    return (number, line)
                }
                buffer.removeFirst(start)
                start = 0
                guard let data = try handle.read(upToCount: 1 << 16), !data.isEmpty else {
                    atEnd = true
                    continue
                }
                buffer.append(contentsOf: data)
            }
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

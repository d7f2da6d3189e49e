import Foundation
import TollgateBilling
import TollgateCore

/// The replay file of a failing seed: the operations (with their Stripe ids and events), every
/// event with its fate (shape, dropped / held back / duplicated, each delivery's order, time and
/// HTTP status, and the status and note `stripe_events` holds for it), what `stripe sync` reported,
/// and every disagreement before and after it.
struct ScenarioTrace {
    let scenario: StripeScenario
    let services: Services?

    func write(to path: String) throws {
        try text().write(toFile: path, atomically: true, encoding: .utf8)
    }

    func text() -> String {
        var lines = [scenario.summary, "replay: TOLLGATE_SCENARIO_SEEDS=\(scenario.seed), swift test --filter StripeScenario (the trailing comma names one seed; a lone N means 1…N)", ""]
        lines.append("## failures")
        lines += scenario.failures
        lines.append("")
        lines.append("## operations (virtual seconds since the start; events oldest first; * = added by the fake)")
        let events = scenario.deliveryLayer?.events ?? []
        let eventsByID = Dictionary(events.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for operation in scenario.operations {
            let caused = operation.events.map { id in "\(id)\(eventsByID[id]?.addedByFake == true ? "*" : "") \(eventsByID[id]?.type ?? "?")" }
            lines.append(String(format: "#%d +%.2f ", operation.index, operation.at)
                + "\(operation.kind.rawValue) \(operation.owner) [\(operation.stripeIDs.joined(separator: " "))] \(operation.detail)")
            if !caused.isEmpty { lines.append("    → " + caused.joined(separator: ", ")) }
        }
        lines.append("")
        lines.append("## events (created = virtual second; deliveries: #order @virtual time → HTTP status, answer; stored: stripe_events)")
        let deliveries = scenario.deliveryLayer?.deliveries ?? []
        for event in events {
            var fate: [String] = []
            if event.fate.dropped { fate.append("dropped") }
            if event.fate.delayed { fate.append("held back") }
            if event.fate.duplicated { fate.append("duplicated") }
            let sent = event.deliveries.map { index -> String in
                let delivery = deliveries[index]
                let order = delivery.order.map { "#\($0)" } ?? "#-"
                return "\(order) @\(String(format: "%.2f", delivery.at)) → \(delivery.status.map(String.init) ?? "not sent") \(delivery.answer ?? "")"
            }
            lines.append("\(event.id) \(event.type) \(event.objectID ?? "-") op #\(event.operation) created \(event.created) "
                + "\(event.shape.rawValue) \(fate.isEmpty ? "delivered" : fate.joined(separator: ", "))"
                + (sent.isEmpty ? "" : ": " + sent.joined(separator: "; ")))
            if let stored = (try? services?.stripeEvents.find(id: event.id)) ?? nil {
                let record = stored.record
                lines.append("    stored: \(record.status.rawValue), \(record.attempts) attempts"
                    + (record.note.map { ", note: \($0)" } ?? "") + (record.lastError.map { ", last error: \($0)" } ?? ""))
            } else if !event.fate.dropped {
                lines.append("    stored: not found")
            }
        }
        if let sync = scenario.sync {
            for (name, report) in [("dry run", sync.dry), ("real run", sync.real), ("second real run", sync.again)] {
                lines.append("")
                lines.append("## stripe sync, \(name): \(report.succeeded ? "succeeded" : "did not succeed") \(report.error ?? "")")
                lines += report.changes.map { "change  \($0.summary)" }
                lines += report.skipped.map { "skipped \($0.stripeID): \($0.message)" }
                lines += report.failed.map { "failed  \($0.stripeID): \($0.message)" }
            }
        }
        for (name, comparison) in [("before sync", scenario.before), ("after sync", scenario.after)] {
            guard let comparison else { continue }
            lines.append("")
            lines.append("## disagreements \(name) (\(String(format: "%.1f", comparison.agreement)) % of customers agree)")
            lines += comparison.disagreements.map(\.description)
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// What one ``StripeCatalogPush/push(dryRun:)`` changed in Stripe (or, in a dry run, would change).
package struct StripeCatalogPushReport: Sendable, Codable, Equatable {
    /// One write to Stripe.
    package struct Change: Sendable, Codable, Equatable, CustomStringConvertible {
        /// `create`, `update`, `archive`, `attach` or `detach`.
        package var action: String
        /// `product`, `price`, `feature` (an Entitlements feature) or `product_feature`.
        package var object: String
        /// What Tollgate calls it: the plan key, the price's lookup key, the feature key, or
        /// `plan → feature` for an attachment.
        package var key: String
        /// The Stripe id written; nil for a create in a dry run.
        package var stripeID: String?
        /// The values that matter, in words (`4900 usd per month`).
        package var detail: String

        package var description: String {
            let sign = switch action {
            case "create", "attach": "+"
            case "archive", "detach": "-"
            default: "~"
            }
            return "\(sign) \(action) \(object) \(key)" + (stripeID.map { " [\($0)]" } ?? "") + (detail.isEmpty ? "" : ": \(detail)")
        }
    }

    package var dryRun: Bool
    /// The writes, in the order they were made.
    package var changes: [Change] = []
    /// What was left alone and why (`skipped plan free: no prices`, `entitlements API not available …`).
    package var notes: [String] = []
    /// False when Stripe (or the peer) answered the Entitlements API with 404; features were not pushed.
    package var entitlementsAvailable = true

    package init(dryRun: Bool) { self.dryRun = dryRun }

    package var isEmpty: Bool { changes.isEmpty }

    /// How many changes of each action: `created 3, updated 1, archived 2` (zero counts left out).
    package var summary: String {
        let counts: [(String, String)] = [("create", "created"), ("update", "updated"), ("archive", "archived"), ("attach", "attached"), ("detach", "detached")]
        let parts = counts.compactMap { action, word -> String? in
            let count = changes.count { $0.action == action }
            return count == 0 ? nil : "\(word) \(count)"
        }
        return parts.isEmpty ? "no changes" : parts.joined(separator: ", ")
    }
}

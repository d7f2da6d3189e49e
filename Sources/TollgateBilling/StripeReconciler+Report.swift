import Foundation
import TollgateStripe

extension StripeReconciler {
    /// One change reconciliation made (or, in a dry run, would make).
    package struct Change: Sendable, Codable, Equatable {
        package enum Kind: String, Sendable, Codable {
            /// A local customer was linked to the Stripe customer whose metadata names it (or moved
            /// to it from one Stripe deleted).
            case customerLinked = "customer_linked"
            /// The Stripe customer the local customer was linked to was deleted in Stripe.
            case customerUnlinked = "customer_unlinked"
            /// Email or name took the linked Stripe customer's.
            case customerUpdated = "customer_updated"
            /// The customer had no local subscription; Stripe's was mirrored.
            case subscriptionCreated = "subscription_created"
            /// The local subscription differed from Stripe's and now mirrors it.
            case subscriptionUpdated = "subscription_updated"
            /// The local subscription was live; Stripe has it canceled, or has it no more.
            case subscriptionCanceled = "subscription_canceled"
        }

        /// One field that changed, as text (`nil`: no value).
        package struct Field: Sendable, Codable, Equatable {
            package var name: String
            package var old: String?
            package var new: String?

            package init(name: String, old: String?, new: String?) {
                self.name = name
                self.old = old
                self.new = new
            }
        }

        package var kind: Kind
        /// The Tollgate customer's external id.
        package var customer: String
        /// The Stripe object the change follows (`cus_…`, `sub_…`).
        package var stripeID: String
        package var fields: [Field]
        /// Why, when the kind does not say it all (`absent from Stripe`).
        package var reason: String?

        enum CodingKeys: String, CodingKey {
            case kind, customer, stripeID = "stripeId", fields, reason
        }

        /// One line for people: `subscription_updated org_acme (sub_1): status active → canceled, quantity 3 → 1`.
        package var summary: String {
            var line = "\(kind.rawValue) \(customer) (\(stripeID))"
            if !fields.isEmpty {
                line += ": " + fields.map { "\($0.name) \($0.old ?? "∅") → \($0.new ?? "∅")" }.joined(separator: ", ")
            }
            if let reason { line += " [\(reason)]" }
            return line
        }
    }

    /// A Stripe object reconciliation left alone (skipped) or could not reconcile (failed).
    package struct Problem: Sendable, Codable, Equatable {
        package var stripeID: String
        package var message: String

        enum CodingKeys: String, CodingKey {
            case stripeID = "stripeId", message
        }

        package init(stripeID: String, message: String) {
            self.stripeID = stripeID
            self.message = message
        }
    }

    /// What one run did.
    package struct Report: Sendable, Codable, Equatable {
        /// Nothing was written: the changes are what a real run would make.
        package var dryRun: Bool
        package var customersScanned = 0
        package var subscriptionsScanned = 0
        package var changes: [Change] = []
        /// Left alone on purpose (a Stripe object of no Tollgate customer, a newer webhook already
        /// applied).
        package var skipped: [Problem] = []
        /// Objects whose repair failed (each rolled back on its own; the others went on).
        package var failed: [Problem] = []
        /// Why the run stopped early (a Stripe or store error); nil when it went through.
        package var error: String?
        /// Every page was read and the absent-subscription pass ran.
        package var complete = false

        package init(dryRun: Bool) {
            self.dryRun = dryRun
        }

        /// Complete, and no object failed: the exit status of `tollgate stripe sync` is 0.
        package var succeeded: Bool { complete && error == nil && failed.isEmpty }
    }
}

package import Foundation
package import TollgateBase

/// A JSON value from the Stripe API, readable at any depth without a model type per object: the
/// base's exact ``JSONValue`` (integers stay exact, as Stripe's amounts and timestamps need), with
/// what Stripe's objects say in common.
package typealias StripeObject = JSONValue

extension JSONValue {
    /// The object's `id` (`cus_…`, `sub_…`), or the id itself where Stripe sends an unexpanded reference.
    package var id: String? { string ?? self["id"]?.string }

    /// A Unix time in seconds (`created`, `current_period_end`, …) as a date.
    package var date: Date? { int.map { Date(timeIntervalSince1970: TimeInterval($0)) } }

    /// The object's `object` type name (`customer`, `list`, `subscription`).
    package var objectType: String? { self["object"]?.string }
}

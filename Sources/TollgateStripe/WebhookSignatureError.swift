/// Why a `Stripe-Signature` header was refused.
///
/// `description` is safe to log and to send back to the caller: it names the reason only, never a
/// secret, an expected signature or the header's value.
package struct WebhookSignatureError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An open set of reasons: new ones can be added without breaking callers.
    package struct Reason: Hashable, Sendable, CustomStringConvertible {
        package let description: String
        init(_ name: String) { description = name }

        /// The request carried no `Stripe-Signature` header.
        package static let missingHeader = Reason("missing_header")
        /// The header is not a list of `key=value` pairs with exactly one numeric `t`.
        package static let malformedHeader = Reason("malformed_header")
        /// The header has no `v1` signature (a `v0`-only header is refused: only `v1` counts).
        package static let noV1Signature = Reason("no_v1_signature")
        /// `t` is further than the tolerance from now, in either direction.
        package static let timestampOutsideTolerance = Reason("timestamp_outside_tolerance")
        /// No `v1` signature matches the payload under any configured secret.
        package static let noMatchingSignature = Reason("no_matching_signature")
    }

    package var reason: Reason

    package init(_ reason: Reason) { self.reason = reason }

    package var description: String {
        switch reason {
        case .missingHeader: "missing Stripe-Signature header"
        case .malformedHeader: "malformed Stripe-Signature header"
        case .noV1Signature: "Stripe-Signature has no v1 signature"
        case .timestampOutsideTolerance: "Stripe-Signature timestamp is outside the tolerance"
        case .noMatchingSignature: "no v1 signature matches the payload"
        default: "invalid Stripe-Signature (\(reason))"
        }
    }
}

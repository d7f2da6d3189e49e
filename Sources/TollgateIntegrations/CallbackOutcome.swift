import Foundation
import TollgateOAuth

/// How an authorization ended, as the callback reports it: a redirect to the return URL with
/// `?outcome=…` when the state named one, or a JSON body.
package struct CallbackOutcome: Sendable, Equatable {
    package enum Result: String, Sendable, CaseIterable {
        case connected
        /// The person (or the provider) refused: `error=access_denied`.
        case accessDenied = "access_denied"
        /// The provider refused the code (`invalid_grant`: used, expired, wrong verifier).
        case invalidGrant = "invalid_grant"
        /// Another provider error (its code in the message).
        case providerError = "provider_error"
        /// The provider could not be reached or failed; try connecting again later.
        case providerUnavailable = "provider_unavailable"
        /// No such state: never issued, or purged long after it expired.
        case stateUnknown = "state_unknown"
        /// The state was issued but the callback came after it expired.
        case stateExpired = "state_expired"
        /// The state was already used.
        case stateReplayed = "state_replayed"
        /// No `state`, or no `code` and no `error`.
        case invalidCallback = "invalid_callback"
        /// The customer's entitlements changed between start and callback.
        case notEntitled = "not_entitled"
        /// Tollgate failed (the store, the encryption key); logged with the request id.
        case serverError = "server_error"
    }

    package var result: Result
    /// Safe to show: never a code, token or secret.
    package var message: String
    package var provider: String?
    /// The customer's external id.
    package var customer: String?
    package var connectionID: String?
    /// The return URL bound to the state, when there is one.
    package var returnURL: String?

    package init(
        _ result: Result, _ message: String, provider: String? = nil, customer: String? = nil, connectionID: String? = nil,
        returnURL: String? = nil
    ) {
        self.result = result
        self.message = message
        self.provider = provider
        self.customer = customer
        self.connectionID = connectionID
        self.returnURL = returnURL
    }

    /// The return URL with `outcome`, `provider` and (when connected) `connection_id` added to its
    /// query; nil without a return URL.
    package var redirectLocation: String? {
        guard let returnURL else { return nil }
        var pairs = [("outcome", result.rawValue)]
        if let provider { pairs.append(("provider", provider)) }
        if let connectionID { pairs.append(("connection_id", connectionID)) }
        return FormURLEncoding.appendingQuery(pairs, to: returnURL)
    }
}

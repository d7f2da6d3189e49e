import Foundation

/// One operation of a scenario, as the replay file shows it.
struct ScenarioOperation {
    enum Kind: String, CaseIterable {
        /// A Stripe customer (email, card) and a subscription, metadata placed as ``ScenarioAccount/MetadataPlacement`` says.
        case signUp = "sign-up"
        /// A new subscription for a Stripe customer whose subscription ended.
        case subscribe
        case changePlan = "change-plan"
        case changeQuantity = "change-quantity"
        case cancelAtPeriodEnd = "cancel-at-period-end"
        case resume
        /// `DELETE /v1/subscriptions/ID`.
        case cancelNow = "cancel-now"
        case changeEmail = "change-email"
        /// As Stripe deletes a customer: its live subscriptions are canceled first, then it is deleted.
        case deleteCustomer = "delete-customer"
        /// The customer's default card becomes one that localstripe declines.
        case declineCard = "decline-card"
        /// A good card becomes the default, and the open invoice of an incomplete or past-due subscription is paid.
        case fixCardAndPay = "fix-card-and-pay"
        /// The open first invoice of an incomplete subscription is voided: the subscription expires.
        case expireIncomplete = "expire-incomplete"
        /// Through Tollgate's API (`POST /v1/customers/{id}/subscription/change|cancel|resume`), which
        /// calls Stripe: what a SaaS does when its customer changes their plan in its own UI.
        case tollgateChangeQuantity = "tollgate-change-quantity"
        case tollgateCancelAtPeriodEnd = "tollgate-cancel-at-period-end"
        case tollgateResume = "tollgate-resume"
        case tollgateCancelNow = "tollgate-cancel-now"
    }

    let index: Int
    /// Virtual seconds since the scenario's start.
    let at: TimeInterval
    let kind: Kind
    /// The Tollgate customer's external id.
    let owner: String
    var detail = ""
    var stripeIDs: [String] = []
    /// Ids of the events the operation caused, oldest first.
    var events: [String] = []
}

import Foundation
import TollgateBilling

/// The Stripe variables.
extension Settings {
    static let stripe: [any SettingDescription] = [
        stripeAPIKey, stripeAPIBase, stripeWebhookSecret, stripeRefetchTypes, stripeWebhookMaxAttempts, creditTopUpIntervalSeconds,
        usageExportIntervalSeconds, meterEventsPerSecond, usageExportSettleSeconds, usageExportLookBackSeconds, invoiceGraceSeconds,
        seatSyncIntervalSeconds,
    ]

    static let stripeAPIKey = Setting(
        "TOLLGATE_STRIPE_API_KEY", SettingFormat.text(accepts: "`sk_…`").optional, default: nil, secrecy: .secret,
        summary: "Stripe secret key. Unset: catalog push, checkout, portal and subscription changes answer 409 `stripe_not_configured`")

    static let stripeAPIBase = Setting(
        "TOLLGATE_STRIPE_API_BASE",
        SettingFormat<String>(
            accepts: "`http(s)://host[:port]`",
            parse: { text throws(SettingProblem) in
                guard Configuration.isValidStripeBase(text) else {
                    throw SettingProblem("must be http(s)://host[:port] without a path or a trailing slash")
                }
                return text
            },
            text: { $0 }),
        default: "https://api.stripe.com",
        summary: "Stripe API base, without a path or trailing slash (tests point it at localstripe or a fake)")

    static let stripeWebhookSecret = Setting(
        "TOLLGATE_STRIPE_WEBHOOK_SECRET", .list(accepts: "`whsec_…`, comma-separated"), default: [], secrecy: .secret,
        summary: "webhook signing secrets; during a roll the old and the new secret both verify. "
            + "Unset: `POST /webhooks/stripe` answers 409 `webhooks_not_configured`")

    static let stripeRefetchTypes = Setting(
        "TOLLGATE_STRIPE_REFETCH_TYPES",
        .list(accepts: "`customer.subscription.*`, `customer.created`, `customer.updated`, `customer.deleted`; comma-separated") { type throws(SettingProblem) in
            guard StripeEventHandlers.refetchable[type] != nil else {
                throw SettingProblem("\(type) cannot be re-fetched; use customer.subscription.* or customer.updated")
            }
        },
        default: [], unset: "none",
        summary: "event types whose object the applier re-fetches from Stripe before applying, so it applies Stripe's current state "
            + "rather than the payload")

    static let stripeWebhookMaxAttempts = Setting(
        "TOLLGATE_STRIPE_WEBHOOK_MAX_ATTEMPTS", .integer(1...100), default: 8, summary: "attempts before a stored Stripe event is marked `failed`")

    static let creditTopUpIntervalSeconds = Setting(
        "TOLLGATE_CREDIT_TOP_UP_INTERVAL_SECONDS", .integer(1...3600), default: 30,
        summary: "seconds between `serve`'s passes over automatic credit top-ups (balances below their threshold are charged once per crossing)")

    static let usageExportIntervalSeconds = Setting(
        "TOLLGATE_STRIPE_USAGE_EXPORT_INTERVAL_SECONDS", .integer(1...3600), default: 30,
        summary: "seconds between `serve`'s meter-event export passes (usage of features billed per unit, docs/usage-billing.md); "
            + "after a failed pass the pause doubles, up to 10 minutes")

    static let meterEventsPerSecond = Setting(
        "TOLLGATE_STRIPE_METER_EVENTS_PER_SECOND", .integer(1...1000), default: 200,
        summary: "the export's pace: meter events sent per second, across instances (Stripe allows 1,000 in live mode)")

    static let usageExportSettleSeconds = Setting(
        "TOLLGATE_STRIPE_USAGE_SETTLE_SECONDS", .integer(0...3600), default: 60,
        summary: "a one-minute usage bucket is exported this long after it ends")

    static let usageExportLookBackSeconds = Setting(
        "TOLLGATE_STRIPE_USAGE_LOOKBACK_SECONDS", .integer(0...604_800), default: 3600,
        summary: "each export pass re-reads this far back for usage committed after its bucket was exported (sent as the bucket's next event)")

    static let invoiceGraceSeconds = Setting(
        "TOLLGATE_STRIPE_INVOICE_GRACE_SECONDS", .integer(0...259_200), default: 3600,
        summary: "how long after a billing period ends its invoice still takes usage; usage of that period found later is reported `late`, not sent")

    static let seatSyncIntervalSeconds = Setting(
        "TOLLGATE_SEAT_SYNC_INTERVAL_SECONDS", .integer(1...3600), default: 60,
        summary: "for plans with `seat_billing`: at most one quantity update per Stripe subscription per this many seconds "
            + "(changes in between are coalesced into the next; Stripe allows about 200 per hour; docs/seats.md)")
}

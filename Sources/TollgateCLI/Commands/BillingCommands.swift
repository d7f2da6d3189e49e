import Foundation
import Tollgate
import TollgateCore

/// `tollgate subscriptions checkout|portal|change|cancel|resume`: the customer's Stripe
/// subscription. Nothing is written locally; the local subscription follows Stripe's webhook.
/// `--idempotency-key` makes a repeat of one command (after a timeout, say) one Stripe operation;
/// without it every run is a new one.
enum BillingCommands {
    static let all = [checkout, portal, change, cancel, resume]

    static let idempotencyKey = Option.value(
        "--idempotency-key", "KEY", "Repeats with this key are one Stripe operation (Stripe keeps keys 24 hours); default: a new one each run")

    /// The caller's key for ``StripeBilling``, scoped to the CLI (the API scopes its own per API key).
    private static func callerKey(_ invocation: Invocation) throws -> String? {
        guard let key = invocation.value("--idempotency-key") else { return nil }
        guard !key.isEmpty, key.count <= 255 else { throw UsageError("--idempotency-key must be 1 to 255 characters", command: invocation.path) }
        return "cli:" + key
    }

    static let checkout = Command(
        "checkout", summary: "Create a Stripe Checkout Session for a plan and print its URL",
        options: [
            .value("--plan", "KEY", "Plan key (active, pushed with `plans push`)", required: true),
            .value("--interval", "INTERVAL", "month or year (default: monthly if the plan has it)", choices: BillingInterval.allCases.map(\.rawValue)),
            .value("--currency", "CODE", "Needed when the plan has prices in several currencies"),
            .value("--quantity", "N", "Seats (default 1)"),
            .value("--success-url", "URL", "Where Stripe sends the customer after paying", required: true),
            .value("--cancel-url", "URL", "Where Stripe sends the customer on cancel", required: true),
            idempotencyKey,
        ],
        arguments: ["CUSTOMER"]
    ) { invocation in
        let request = CheckoutRequest(
            plan: try invocation.required("--plan"), interval: invocation.value("--interval").flatMap(BillingInterval.init(rawValue:)),
            currency: invocation.value("--currency"), quantity: try quantity(invocation), successURL: try invocation.required("--success-url"),
            cancelURL: try invocation.required("--cancel-url"))
        let key = try callerKey(invocation)
        let session = try withServices(invocation) { try $0.billing.checkout(customer: invocation.arguments[0], request, idempotencyKey: key) }
        if invocation.json {
            try invocation.output.printJSON(session)
        } else {
            invocation.output.print(session.url)
        }
    }

    static let portal = Command(
        "portal", summary: "Create a Stripe billing-portal session and print its URL (the customer must be linked to Stripe)",
        options: [.value("--return-url", "URL", "Where the portal sends the customer back", required: true), idempotencyKey],
        arguments: ["CUSTOMER"]
    ) { invocation in
        let returnURL = try invocation.required("--return-url")
        let key = try callerKey(invocation)
        let session = try withServices(invocation) { try $0.billing.portal(customer: invocation.arguments[0], returnURL: returnURL, idempotencyKey: key) }
        if invocation.json {
            try invocation.output.printJSON(session)
        } else {
            invocation.output.print(session.url)
        }
    }

    static let change = Command(
        "change", summary: "Change the Stripe subscription's plan and/or quantity",
        options: [
            .value("--plan", "KEY", "New plan key"),
            .value("--interval", "INTERVAL", "month or year (default: the current one)", choices: BillingInterval.allCases.map(\.rawValue)),
            .value("--quantity", "N", "New quantity (seats)"),
            .value("--proration", "BEHAVIOR", "How Stripe bills the change (omitted: Stripe's default, create_prorations)",
                   choices: ProrationBehavior.allCases.map(\.rawValue)),
            idempotencyKey,
        ],
        arguments: ["CUSTOMER"]
    ) { invocation in
        let request = PlanChangeRequest(
            plan: invocation.value("--plan"), interval: invocation.value("--interval").flatMap(BillingInterval.init(rawValue:)),
            quantity: try quantity(invocation), prorationBehavior: invocation.value("--proration").flatMap(ProrationBehavior.init(rawValue:)))
        let key = try callerKey(invocation)
        let update = try withServices(invocation) { try $0.billing.change(customer: invocation.arguments[0], request, idempotencyKey: key) }
        try report(update, invocation)
    }

    static let cancel = Command(
        "cancel", summary: "Cancel the Stripe subscription now, or at the end of the period",
        options: [.flag("--at-period-end", "Keep access until the period ends (cancel_at_period_end)"), idempotencyKey],
        arguments: ["CUSTOMER"]
    ) { invocation in
        let atPeriodEnd = invocation.flag("--at-period-end")
        let key = try callerKey(invocation)
        let update = try withServices(invocation) {
            try $0.billing.cancel(customer: invocation.arguments[0], atPeriodEnd: atPeriodEnd, idempotencyKey: key)
        }
        try report(update, invocation)
    }

    static let resume = Command(
        "resume", summary: "Undo a cancellation at period end", options: [idempotencyKey], arguments: ["CUSTOMER"]
    ) { invocation in
        let key = try callerKey(invocation)
        let update = try withServices(invocation) { try $0.billing.resume(customer: invocation.arguments[0], idempotencyKey: key) }
        try report(update, invocation)
    }

    private static func withServices<T>(_ invocation: Invocation, _ body: (Services) throws -> T) throws -> T {
        let services = try CommandEnvironment(invocation).openServices()
        defer { services.database.close() }
        return try body(services)
    }

    private static func quantity(_ invocation: Invocation) throws -> Int? {
        guard let text = invocation.value("--quantity") else { return nil }
        guard let quantity = Int(text) else { throw UsageError("--quantity must be a whole number", command: invocation.path) }
        return quantity
    }

    private static func report(_ update: SubscriptionUpdate, _ invocation: Invocation) throws {
        if invocation.json {
            try invocation.output.printJSON(update)
            return
        }
        var line = "Stripe accepted: \(update.stripeSubscriptionID) is \(update.status)"
        if let key = update.lookupKey { line += ", price \(key)" }
        if let quantity = update.quantity { line += ", quantity \(quantity)" }
        if update.cancelAtPeriodEnd { line += ", cancels at period end" }
        invocation.output.print(line + ".")
        invocation.output.print("The local subscription changes when Stripe's webhook arrives.")
    }
}

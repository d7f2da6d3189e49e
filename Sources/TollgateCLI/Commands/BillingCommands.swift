import Foundation
import Tollgate
import TollgateBilling
import TollgateCore

/// `tollgate subscriptions checkout|portal|change|cancel|resume`: the customer's Stripe
/// subscription. Nothing is written locally; the local subscription follows Stripe's webhook.
/// `--idempotency-key` makes a repeat of one command (after a timeout, say) one Stripe operation;
/// without it every run is a new one.
enum BillingCommands {
    static let all = [Command(Checkout.self), Command(Portal.self), Command(Change.self), Command(Cancel.self), Command(Resume.self)]

    /// `--idempotency-key`: the caller's key for ``StripeBilling``, scoped to the CLI (the API
    /// scopes its own per API key).
    struct CallerKey: ParameterGroup {
        @Option("--idempotency-key", "KEY", "Repeats with this key are one Stripe operation (Stripe keeps keys 24 hours); default: a new one each run")
        var key: Key?

        /// 1 to 255 characters.
        struct Key: ArgumentValue {
            var text: String

            init?(argument: String) {
                guard !argument.isEmpty, argument.count <= 255 else { return nil }
                text = argument
            }

            static var expectation: String { "1 to 255 characters" }
        }

        var scoped: String? { key.map { "cli:" + $0.text } }
        /// As sent to the API in remote mode (which scopes it to the API key itself).
        var given: String? { key?.text }
    }

    struct Checkout: ParsableCommand {
        static let name = "checkout"
        static let summary = "Create a Stripe Checkout Session for a plan and print its URL"

        @Argument("CUSTOMER") var customer: String
        @Option("--plan", "KEY", "Plan key (active, pushed with `plans push`)") var plan: String
        @Option("--interval", "INTERVAL", "month or year (default: monthly if the plan has it)") var interval: BillingInterval?
        @Option("--currency", "CODE", "Needed when the plan has prices in several currencies") var currency: String?
        @Option("--quantity", "N", "Seats (default 1)") var quantity: Int?
        @Option("--success-url", "URL", "Where Stripe sends the customer after paying") var successURL: String
        @Option("--cancel-url", "URL", "Where Stripe sends the customer on cancel") var cancelURL: String
        var idempotency = CallerKey()

        func run(_ context: CommandContext) throws {
            let request = CheckoutRequest(
                plan: plan, interval: interval, currency: currency, quantity: quantity, successURL: successURL, cancelURL: cancelURL)
            let remote = try APIRequest(.POST, "/v1/customers/\(customer)/checkout", body: request).idempotent(idempotency.given)
            let session = try context.perform(remote) { try $0.billing.checkout(customer: customer, request, idempotencyKey: idempotency.scoped) }
            try context.emit(session) { $0.print(session.url) }
        }
    }

    struct Portal: ParsableCommand {
        static let name = "portal"
        static let summary = "Create a Stripe billing-portal session and print its URL (the customer must be linked to Stripe)"

        @Argument("CUSTOMER") var customer: String
        @Option("--return-url", "URL", "Where the portal sends the customer back") var returnURL: String
        var idempotency = CallerKey()

        func run(_ context: CommandContext) throws {
            let remote = try APIRequest(.POST, "/v1/customers/\(customer)/portal", body: ["return_url": returnURL]).idempotent(idempotency.given)
            let session = try context.perform(remote) {
                try $0.billing.portal(customer: customer, returnURL: returnURL, idempotencyKey: idempotency.scoped)
            }
            try context.emit(session) { $0.print(session.url) }
        }
    }

    struct Change: ParsableCommand {
        static let name = "change"
        static let summary = "Change the Stripe subscription's plan and/or quantity"

        @Argument("CUSTOMER") var customer: String
        @Option("--plan", "KEY", "New plan key") var plan: String?
        @Option("--interval", "INTERVAL", "month or year (default: the current one)") var interval: BillingInterval?
        @Option("--quantity", "N", "New quantity (seats)") var quantity: Int?
        @Option("--proration", "BEHAVIOR", "How Stripe bills the change (omitted: Stripe's default, create_prorations)")
        var proration: ProrationBehavior?
        var idempotency = CallerKey()

        func run(_ context: CommandContext) throws {
            let request = PlanChangeRequest(plan: plan, interval: interval, quantity: quantity, prorationBehavior: proration)
            let remote = try APIRequest(.POST, "/v1/customers/\(customer)/subscription/change", body: request).idempotent(idempotency.given)
            let update = try context.perform(remote) { try $0.billing.change(customer: customer, request, idempotencyKey: idempotency.scoped) }
            try BillingCommands.report(update, context)
        }
    }

    struct Cancel: ParsableCommand {
        static let name = "cancel"
        static let summary = "Cancel the Stripe subscription now, or at the end of the period"

        @Argument("CUSTOMER") var customer: String
        @Flag("--at-period-end", "Keep access until the period ends (cancel_at_period_end)") var atPeriodEnd: Bool
        var idempotency = CallerKey()

        func run(_ context: CommandContext) throws {
            let remote = try APIRequest(.POST, "/v1/customers/\(customer)/subscription/cancel", body: ["at_period_end": atPeriodEnd])
                .idempotent(idempotency.given)
            let update = try context.perform(remote) {
                try $0.billing.cancel(customer: customer, atPeriodEnd: atPeriodEnd, idempotencyKey: idempotency.scoped)
            }
            try BillingCommands.report(update, context)
        }
    }

    struct Resume: ParsableCommand {
        static let name = "resume"
        static let summary = "Undo a cancellation at period end"

        @Argument("CUSTOMER") var customer: String
        var idempotency = CallerKey()

        func run(_ context: CommandContext) throws {
            let remote = APIRequest(.POST, "/v1/customers/\(customer)/subscription/resume").idempotent(idempotency.given)
            let update = try context.perform(remote) { try $0.billing.resume(customer: customer, idempotencyKey: idempotency.scoped) }
            try BillingCommands.report(update, context)
        }
    }

    /// What Stripe accepted; the local subscription follows its webhook.
    private static func report(_ update: SubscriptionUpdate, _ context: CommandContext) throws {
        try context.emit(update) { output in
            var line = "Stripe accepted: \(update.stripeSubscriptionID) is \(update.status)"
            if let key = update.lookupKey { line += ", price \(key)" }
            if let quantity = update.quantity { line += ", quantity \(quantity)" }
            if update.cancelAtPeriodEnd { line += ", cancels at period end" }
            output.print(line + ".")
            output.print("The local subscription changes when Stripe's webhook arrives.")
        }
    }
}

package import TollgateMail
import TollgateBase

/// Every mail Tollgate sends, with the data its templates are given: the one list of mail names.
///
/// `serve` (with `TOLLGATE_MAIL_URL`), `tollgate config check` and `tollgate templates check`
/// load the templates folder and check it against this list (``problems(in:)``): every mail
/// has its three parts, and its templates (with the layouts and partials they include) look up
/// only names its data has. So a missing template or a misspelt name stops the start instead of
/// leaving mail dead or blank at run time.
///
/// To add a mail: a case here with its ``data``, its templates in `templates/`, and the code that
/// queues it (``OutboxMail/init(_:to:toName:customerID:data:dedupeKey:)``) in the change's transaction.
package enum MailTemplate: String, CaseIterable, Sendable {
    /// A subscription became active or trialing (``BillingMail/subscriptionChanged``).
    case subscriptionStarted = "subscription_started"
    /// A subscription was canceled.
    case subscriptionCanceled = "subscription_canceled"
    /// Stripe's `customer.subscription.trial_will_end` (``BillingMail/trialEnding``).
    case trialEnding = "trial_ending"
    /// Stripe's `invoice.payment_failed` (``BillingMail/paymentFailed``).
    case paymentFailed = "payment_failed"
    /// An OAuth connection was disconnected or its refresh failed for good (``DisconnectionMail``).
    case integrationDisconnected = "integration_disconnected"
    /// Usage reached one of a metered feature's alert percentages (``UsageAlertMail``).
    case usageThreshold = "usage_threshold"
    /// A customer's credits fell below the pool's `low_balance`, or ran out (``CreditAlertMail``).
    case creditsLow = "credits_low"
    /// A limit fell below the members holding seats (``SeatOverLimitMail``, docs/seats.md).
    case seatsOverLimit = "seats_over_limit"
    /// To the operator (`TOLLGATE_OPERATOR_EMAIL`): the delivery worker disabled a webhook endpoint
    /// whose deliveries all failed for days (`TollgateWebhookEndpoints`).
    case webhookEndpointDisabled = "webhook_endpoint_disabled"

    /// The template's file name stem in `templates/`.
    package var name: String { rawValue }

    /// The names the sender puts in the mail's data, as dotted paths (`plan.name`). Some are null
    /// or absent for some mails (a trial's end, a plan without a price); templates test those with
    /// sections. The worker adds ``commonData`` to every mail.
    package var data: Set<String> {
        switch self {
        case .subscriptionStarted: Self.customerAndPlan.union(["trial_end", "current_period_end"])
        case .subscriptionCanceled: Self.customerAndPlan.union(["ends_at"])
        case .trialEnding: Self.customerAndPlan.union(["trial_end", "days_left", "has_payment_method"])
        case .paymentFailed: Self.customerAndPlan.union(["invoice.number", "invoice.amount", "failure_reason", "next_attempt"])
        case .integrationDisconnected:
            ["customer.name", "customer.email", "integration.name", "integration.account", "disconnected_at", "reason", "reconnect.url"]
        case .usageThreshold:
            ["customer.name", "customer.email", "customer.id", "feature.key", "feature.name", "threshold", "used", "allowance", "resets_at"]
        case .creditsLow: ["customer.name", "customer.email", "customer.id", "pool.key", "pool.name", "balance", "available", "exhausted"]
        case .seatsOverLimit: ["customer.name", "customer.email", "customer.id", "feature.key", "feature.name", "assigned", "limit", "over_limit"]
        case .webhookEndpointDisabled: ["endpoint.id", "endpoint.url", "failing_since", "last_error", "disabled_at"]
        }
    }

    /// What ``BillingMail`` gives every billing mail: the customer and the plan (its price when
    /// the catalog has one).
    static let customerAndPlan: Set<String> = Set(["customer.name", "customer.email", "customer.id", "plan.key", "plan.name"]).union(planPrice)
    static let planPrice: Set<String> = ["plan.amount", "plan.interval"]

    /// What every mail has at render time: the brand and the default links (``OutboxWorker``, from
    /// the configuration, where the data has none) and the rendered subject (``TemplateSet``).
    package static let commonData: Set<String> = [
        "brand.name", "brand.url", "brand.support_email", "manage.url", "update_payment.url", "resubscribe.url", "reconnect.url", "subject",
    ]

    /// Everything this mail's templates may look up: its data, the common data, and every object
    /// on the way to them (`plan` for `plan.name`).
    var knownNames: Set<String> {
        var names: Set<String> = []
        for path in data.union(Self.commonData) {
            let parts = path.split(separator: ".")
            for end in 1...parts.count { names.insert(parts[..<end].joined(separator: ".")) }
        }
        return names
    }
}

extension MailTemplate {
    /// The leaf paths of `data` (an object) that ``data`` does not declare; a null or an array
    /// counts as a leaf.
    package func undeclaredPaths(in data: MustacheValue) -> [String] {
        var paths: [String] = []
        func collect(_ value: MustacheValue, _ path: String) {
            if case .object(let members) = value, path.isEmpty || !members.isEmpty {
                for (key, member) in members { collect(member, path.isEmpty ? key : path + "." + key) }
            } else {
                paths.append(path)
            }
        }
        collect(data, "")
        let declared = self.data
        return paths.filter { !declared.contains($0) }.sorted()
    }

    /// What is wrong with `templates` for the mails the code sends, one line each (empty when
    /// nothing is): a mail without templates, a name a template looks up that its data never has.
    package static func problems(in templates: TemplateSet, directory: String) -> [MustacheError] {
        var problems: [MustacheError] = []
        for mail in allCases {
            guard let uses = templates.nameUses(ofMail: mail.name) else {
                problems.append(MustacheError(
                    .missingTemplate, template: nil, line: 0, column: 0,
                    reason: "mail `\(mail.name)` is sent by Tollgate but \(directory) has no \(mail.name).subject.mustache, "
                        + "\(mail.name).html.mustache and \(mail.name).text.mustache"))
                continue
            }
            let known = mail.knownNames
            let roots = Set(mail.data.union(commonData).compactMap { $0.split(separator: ".").first.map(String.init) }).sorted()
            var reported: Set<String> = []
            for use in uses where use.name != "." && !mail.resolves(use, in: known) {
                // Once per name and template: `{{#reason}}{{reason}}{{/reason}}` is one mistake.
                guard reported.insert("\(use.template ?? "")\u{0}\(use.name)").inserted else { continue }
                problems.append(MustacheError(
                    .undeclaredName, template: use.template, line: use.line, column: use.column,
                    reason: "`\(use.name)` is not in the data of mail `\(mail.name)` (its data: \(roots.joined(separator: ", ")); see MailTemplate.data)"))
            }
        }
        return problems
    }

    /// Mustache looks a name up in the sections around it, innermost first, then at the root.
    private func resolves(_ use: MustacheTemplate.NameUse, in known: Set<String>) -> Bool {
        (0...use.sections.count).contains { depth in
            known.contains((use.sections.prefix(depth) + [use.name]).joined(separator: "."))
        }
    }
}

import Foundation
import TollgateCore
import TollgateStore

/// `tollgate customers upsert|show|list`.
enum CustomersCommands {
    static let command = Command("customers", summary: "Create, show and list customers", subcommands: [upsert, show, list])

    static let upsert = Command(
        "upsert", summary: "Create a customer, or update the fields given",
        options: [
            .value("--external-id", "ID", "The SaaS's own id for the customer", required: true),
            .value("--email", "EMAIL", "Billing email"),
            .value("--name", "NAME", "Display name"),
            .value("--metadata", "JSON", #"Metadata as a JSON object of strings, e.g. '{"region":"eu"}'"#),
        ]
    ) { invocation in
        var metadata: [String: String]?
        if let text = invocation.value("--metadata") {
            guard let parsed = try? JSONDecoder().decode([String: String].self, from: Data(text.utf8)) else {
                throw UsageError("--metadata must be a JSON object of strings", command: invocation.path)
            }
            metadata = parsed
        }
        let services = try CommandEnvironment(invocation).openServices()
        defer { services.database.close() }
        let (customer, created) = try services.customers.upsert(CustomerChanges(
            externalID: try invocation.required("--external-id"), email: invocation.value("--email"),
            name: invocation.value("--name"), metadata: metadata))
        if invocation.json {
            try invocation.output.printJSON(customer)
        } else {
            invocation.output.print("\(created ? "Created" : "Updated") customer \(customer.externalID) (\(customer.id)).")
        }
    }

    static let show = Command("show", summary: "Show one customer", arguments: ["EXTERNAL_ID"]) { invocation in
        let services = try CommandEnvironment(invocation).openServices()
        defer { services.database.close() }
        let customer = try services.customers.get(externalID: invocation.arguments[0])
        if invocation.json {
            try invocation.output.printJSON(customer)
        } else {
            invocation.output.printTable(["FIELD", "VALUE"], [
                ["external_id", customer.externalID], ["id", customer.id], ["email", customer.email ?? ""],
                ["name", customer.name ?? ""], ["stripe_customer_id", customer.stripeCustomerID ?? ""],
                ["metadata", (try? CustomerRepository.encodeMetadata(customer.metadata)) ?? "{}"],
                ["created_at", SQLTimestamp.format(customer.createdAt)], ["updated_at", SQLTimestamp.format(customer.updatedAt)],
            ])
        }
    }

    static let list = Command(
        "list", summary: "List customers, oldest first",
        options: [
            .value("--limit", "N", "At most N customers (1–100, default 20)"),
            .value("--starting-after", "EXTERNAL_ID", "Continue after this customer"),
        ]
    ) { invocation in
        let page = try invocation.pageRequest()
        let services = try CommandEnvironment(invocation).openServices()
        defer { services.database.close() }
        let result = try services.customers.list(page: page)
        if invocation.json {
            struct Listing: Encodable { var data: [Customer]; var hasMore: Bool }
            try invocation.output.printJSON(Listing(data: result.items, hasMore: result.hasMore))
        } else {
            invocation.output.printTable(["EXTERNAL_ID", "NAME", "EMAIL", "CREATED"], result.items.map { customer in
                [customer.externalID, customer.name ?? "", customer.email ?? "", SQLTimestamp.format(customer.createdAt)]
            })
            if result.hasMore, let last = result.items.last {
                invocation.output.print("(more: --starting-after \(last.externalID))")
            }
        }
    }
}

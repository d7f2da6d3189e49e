import Foundation
import TollgateCore
import TollgateEntitlements
import TollgateStore

/// `tollgate customers upsert|show|list`.
enum CustomersCommands {
    static let group = Command.group("customers", summary: "Create, show and list customers", [Command(Upsert.self), Command(Show.self), Command(List.self)])

    struct Upsert: ParsableCommand {
        static let name = "upsert"
        static let summary = "Create a customer, or update the fields given"

        @Option("--external-id", "ID", "The SaaS's own id for the customer") var externalID: String
        @Option("--email", "EMAIL", "Billing email") var email: String?
        @Option("--name", "NAME", "Display name") var displayName: String?
        @Option("--metadata", "JSON", #"Metadata as a JSON object of strings, e.g. '{"region":"eu"}'"#) var metadata: Metadata?

        func run(_ context: CommandContext) throws {
            let changes = CustomerChanges(externalID: externalID, email: email, name: displayName, metadata: metadata?.values)
            let (customer, created) = try context.perform(try APIRequest(.POST, "/v1/customers", body: changes)) {
                try $0.customers.upsert(changes)
            } remote: { (try $0.decode(Customer.self), $0.status == 201) }
            try context.emit(customer) { $0.print("\(created ? "Created" : "Updated") customer \(customer.externalID) (\(customer.id)).") }
        }
    }

    /// `--metadata`: a JSON object of strings.
    struct Metadata: ArgumentValue {
        var values: [String: String]

        init?(argument: String) {
            guard let values = try? JSONDecoder().decode([String: String].self, from: Data(argument.utf8)) else { return nil }
            self.values = values
        }

        static var expectation: String { "a JSON object of strings" }
    }

    struct Show: ParsableCommand {
        static let name = "show"
        static let summary = "Show one customer"

        @Argument("EXTERNAL_ID") var externalID: String

        func run(_ context: CommandContext) throws {
            let customer = try context.perform(APIRequest(.GET, "/v1/customers/\(externalID)")) { try $0.customers.get(externalID: externalID) }
            try context.emit(customer) { output in
                output.printTable(["FIELD", "VALUE"], [
                    ["external_id", customer.externalID], ["id", customer.id], ["email", customer.email ?? ""],
                    ["name", customer.name ?? ""], ["stripe_customer_id", customer.stripeCustomerID ?? ""],
                    ["metadata", (try? CustomerRepository.encodeMetadata(customer.metadata)) ?? "{}"],
                    ["created_at", HumanTime.text(customer.createdAt)], ["updated_at", HumanTime.text(customer.updatedAt)],
                ])
            }
        }
    }

    struct List: ParsableCommand {
        static let name = "list"
        static let summary = "List customers, oldest first"

        var page = PageOptions(cursor: "EXTERNAL_ID", "Continue after this customer")

        func run(_ context: CommandContext) throws {
            let request = try page.request()
            let customers = try context.perform(APIRequest(.GET, "/v1/customers", query: page.query())) { try $0.customers.list(page: request) }
            try context.emit(customers, columns: [
                Column("EXTERNAL_ID") { $0.externalID }, Column("NAME") { $0.name ?? "" }, Column("EMAIL") { $0.email ?? "" },
                Column("CREATED") { HumanTime.text($0.createdAt) },
            ], cursor: \.externalID)
        }
    }
}

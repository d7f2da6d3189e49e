import TollgateCore
import TollgateEntitlements
import TollgateHTTPServer

/// Customers, addressed by the SaaS's own external id.
enum CustomerRoutes {
    static func endpoints(repository: CustomerRepository) -> [Endpoint] {
        [
            Endpoint(.POST, "/v1/customers", scope: .write, documentation: .init(
                "upsertCustomer", summary: "Create a customer, or update the fields given (by external_id)", tag: "Customers",
                requestSchema: "CustomerUpsert", successStatus: 201, responseSchema: "Customer",
                otherResponses: [200: "Customer"])
            ) { request, _ in
                let changes = try request.decodeJSON(CustomerChanges.self)
                let (customer, created) = try repository.upsert(changes)
                return try .json(customer, status: created ? 201 : 200)
            },
            Endpoint(.GET, "/v1/customers", scope: .read, documentation: .init(
                "listCustomers", summary: "List customers, oldest first", tag: "Customers",
                query: Pagination.parameters(cursor: "Return customers after this external id"), responseSchema: "CustomerList")
            ) { request, _ in
                try .json(try repository.list(page: try request.pageRequest()))
            },
            Endpoint(.GET, "/v1/customers/{external_id}", scope: .read, documentation: .init(
                "getCustomer", summary: "Show one customer", tag: "Customers", responseSchema: "Customer")
            ) { request, _ in
                try .json(try repository.get(externalID: try request.pathParameter("external_id")))
            },
        ]
    }
}

import Foundation
import Testing
import Tollgate
import TollgateBase
import TollgateBilling
import TollgateCore
import TollgateEntitlements
import TollgateOutbox
import TollgateStore
import TollgateStripe
import TollgateTestSupport

/// A browser's view of the admin console for the Swift tests: raw HTTP to the harness's server
/// with the console's cookies carried by hand (the console's pages are not API operations, so
/// they skip the OpenAPI response check).
struct ConsoleBrowser {
    let port: Int
    var cookies: [String: String] = [:]

    init(_ harness: APIHarness) { port = harness.port }

    mutating func request(_ method: String, _ path: String, form: [(String, String)]? = nil, headers: [(String, String)] = []) throws -> TestResponse {
        var headers = headers
        if !cookies.isEmpty { headers.append(("Cookie", cookies.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; "))) }
        var body: [UInt8]?
        if let form {
            headers.append(("Content-Type", "application/x-www-form-urlencoded"))
            body = Array(form.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&").utf8)
        }
        let response = try HTTPTestClient.request(port: port, method: method, path: path, headers: headers, body: body)
        for header in response.headers where header.name.lowercased() == "set-cookie" {
            let pair = header.value.split(separator: ";")[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(pair[0]), value = pair.count > 1 ? String(pair[1]) : ""
            if value.isEmpty || header.value.contains("Max-Age=0") { cookies[name] = nil } else { cookies[name] = value }
        }
        return response
    }

    mutating func get(_ path: String) throws -> TestResponse { try request("GET", path) }

    /// Signs in with `key` through the form, as a browser does; returns the final response.
    @discardableResult
    mutating func signIn(_ key: String, headers: [(String, String)] = []) throws -> TestResponse {
        let page = try request("GET", "/admin/sign-in", headers: headers)
        let token = try #require(Self.hiddenToken(page.text), "the sign-in form carries a token")
        return try request("POST", "/admin/sign-in", form: [("csrf_token", token), ("api_key", key)], headers: headers)
    }

    /// The value of the first `csrf_token` hidden field of a page.
    static func hiddenToken(_ html: String) -> String? {
        guard let match = html.firstMatch(of: /name="csrf_token" value="([A-Za-z0-9]+)"/) else { return nil }
        return String(match.1)
    }

    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
    }
}

/// What the console's tests (Swift and browser) look at: the example catalog, customers (one of them
/// named with markup), a Pro subscription and some usage.
enum ConsoleSeed {
    static let customer = "org_acme"
    static let markupName = "<script>alert(1)</script>"

    static func seed(_ services: Services) throws {
        _ = try services.catalog.apply(try Catalog.parse(Data(contentsOf: URL(fileURLWithPath: TestDatabase.repositoryRoot + "/examples/catalog.json"))))
        _ = try services.customers.upsert(.init(externalID: customer, email: "billing@acme.example", name: "Acme Corp"))
        _ = try services.customers.upsert(.init(externalID: "org_markup", email: "x@markup.example", name: markupName))
        for index in 0..<30 { _ = try services.customers.upsert(.init(externalID: "org_filler_\(index)", email: "filler\(index)@example.com")) }
        _ = try services.subscriptions.set(customer: customer, SubscriptionChange(plan: "pro", status: .active), source: "test")
        _ = try services.entitlements.record(UsageRequest(customer: customer, feature: FeatureKey(rawValue: "exports.daily")!, quantity: 40))
    }

    static let failedEvent = "evt_console_failed"
    static let deadMail = "dead@acme.example"

    /// A stored Stripe event that failed (its payload names the customer with markup) and a dead mail,
    /// for the admin pages.
    static func seedOperations(_ services: Services) throws {
        let payload = Array("""
            {"id":"\(failedEvent)","object":"event","type":"customer.updated","created":1765000000,"api_version":"2025-03-31.basil",
             "data":{"object":{"id":"cus_console","object":"customer","name":"<b>bold</b>"}}}
            """.utf8)
        _ = try services.stripeEvents.insert(try WebhookEvent.Envelope(json: payload), payload: payload)
        let mail = OutboxMail(.paymentFailed, to: deadMail, toName: "Ada", data: [
            "customer": ["name": "Ada"], "invoice": ["amount": "$49.00", "number": "INV-0042"], "plan": ["name": "Pro"],
            "failure_reason": "Your card was declined.",
        ], dedupeKey: "console:dead")
        try services.database.transaction { connection in
            _ = try Outbox.enqueue(mail, on: connection)
            try connection.execute("UPDATE stripe_events SET status = 'failed', attempts = 8, last_error = 'gave up' WHERE id = \(failedEvent)")
            try connection.execute("UPDATE outbox_messages SET status = 'dead', attempts = 5, last_error = '550 mailbox unavailable' WHERE recipient = \(deadMail)")
        }
    }
}

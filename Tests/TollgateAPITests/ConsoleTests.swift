import Foundation
import Testing
import Tollgate
import TollgateBase
import TollgateBilling
import TollgateCore
import TollgateCrypto
import TollgateEntitlements
import TollgateMail
import TollgateEvents
import TollgateOutbox
import TollgateStore
import TollgateStripe
import TollgateTestSupport

/// The admin console's rules over HTTP (docs/console.md): sessions, cookies, CSRF, scopes, headers,
/// escaping, on both backends. The browser test (ConsoleBrowserTests) drives the same pages in Chromium.
@Suite struct ConsoleTests {
    static let securityHeaders = [
        "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; frame-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store",
    ]

    static func expectSecured(_ response: TestResponse, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for (name, value) in securityHeaders {
            #expect(response.header(name) == value, "\(what): \(name)", sourceLocation: sourceLocation)
        }
    }

    static func harness(_ backend: Backend) throws -> APIHarness {
        let harness = try APIHarness(backend)
        try ConsoleSeed.seed(harness.services)
        return harness
    }

    @Test(arguments: Backend.allCases)
    func signingInStartsAStrictSessionStoredHashed(backend: Backend) throws {
        let harness = try Self.harness(backend)
        var browser = ConsoleBrowser(harness)
        let anonymous = try browser.get("/admin")
        #expect(anonymous.status == 303)
        #expect(anonymous.header("Location") == "/admin/sign-in")
        Self.expectSecured(anonymous, "redirect")

        let signIn = try browser.signIn(try harness.token(.write))
        #expect(signIn.status == 303)
        #expect(signIn.header("Location") == "/admin")
        let cookie = try #require(signIn.headers.first { $0.name.lowercased() == "set-cookie" && $0.value.hasPrefix("tollgate_console=") }?.value)
        for attribute in ["HttpOnly", "SameSite=Strict", "Path=/admin", "Max-Age=43200"] { #expect(cookie.contains(attribute), "\(cookie)") }
        #expect(!cookie.contains("Secure"), "plain HTTP: no Secure")
        let id = try #require(browser.cookies["tollgate_console"])

        // Only the id's hash is stored, with a 12 h expiry.
        let rows = try harness.services.database.withConnection { try $0.query("SELECT id_hash, created_at, expires_at FROM console_sessions") }
        #expect(rows.count == 1)
        #expect(try rows[0].get("id_hash") as String == SHA256.hex(id))
        let created: Date = try rows[0].get("created_at"), expires: Date = try rows[0].get("expires_at")
        #expect(abs(expires.timeIntervalSince(created) - 12 * 3600) < 1)

        let overview = try browser.get("/admin")
        #expect(overview.status == 200)
        #expect(overview.header("Content-Type") == "text/html; charset=utf-8")
        #expect(overview.text.contains("id=\"customer-count\">32<"))
        Self.expectSecured(overview, "overview")

        // Signing in again (a signed-in browser's sign-in page sends it to the overview; a form
        // posted from another tab still may) ends the browser's previous session.
        #expect(try browser.get("/admin/sign-in").status == 303)
        var again = ConsoleBrowser(harness)
        let form = try #require(ConsoleBrowser.hiddenToken(try again.get("/admin/sign-in").text))
        again.cookies["tollgate_console"] = id
        #expect(try again.request("POST", "/admin/sign-in", form: [("csrf_token", form), ("api_key", try harness.token(.admin))]).status == 303)
        #expect(again.cookies["tollgate_console"] != id)
        let left: Int = try harness.services.database.withConnection { try $0.queryFirst("SELECT COUNT(*) AS n FROM console_sessions")?.get("n") ?? -1 }
        #expect(left == 1)
        #expect(try browser.get("/admin").status == 303, "the previous session id works no more")

        // Behind a TLS-terminating proxy the cookie is Secure.
        var proxied = ConsoleBrowser(harness)
        let secure = try proxied.signIn(try harness.token(.read), headers: [("X-Forwarded-Proto", "https")])
        #expect(secure.headers.contains { $0.name.lowercased() == "set-cookie" && $0.value.hasPrefix("tollgate_console=") && $0.value.contains("; Secure") })
    }

    @Test(arguments: Backend.allCases)
    func everyAnswerCarriesTheHeaders(backend: Backend) throws {
        let harness = try Self.harness(backend)
        var browser = ConsoleBrowser(harness)
        let css = try browser.get("/admin/console.css")
        #expect(css.status == 200)
        #expect(css.header("Content-Type") == "text/css; charset=utf-8")
        Self.expectSecured(css, "stylesheet")
        Self.expectSecured(try browser.get("/admin/sign-in"), "sign-in")
        try browser.signIn(try harness.token(.read))
        for path in ["/admin", "/admin/customers", "/admin/customers?q=acme", "/admin/customers/org_acme", "/admin/catalog"] {
            let page = try browser.get(path)
            #expect(page.status == 200, "\(path)")
            Self.expectSecured(page, path)
        }
        let missing = try browser.get("/admin/customers/org_nobody")
        #expect(missing.status == 404)
        Self.expectSecured(missing, "404")
        let bad = try browser.get("/admin/customers?starting_after=org_nobody")
        #expect(bad.status == 400)
        Self.expectSecured(bad, "400")
    }

    @Test(arguments: Backend.allCases)
    func formsWithoutTheirTokenChangeNothing(backend: Backend) throws {
        let harness = try Self.harness(backend)
        var browser = ConsoleBrowser(harness)
        try browser.signIn(try harness.token(.write, name: "support"))
        let page = try browser.get("/admin/customers/org_acme")
        let token = try #require(ConsoleBrowser.hiddenToken(page.text))
        #expect(page.text.contains("id=\"grant-form\""))
        let grant = [("feature", "sso"), ("value", "true"), ("reason", "pilot")]

        let missing = try browser.request("POST", "/admin/customers/org_acme/grants", form: grant)
        #expect(missing.status == 403)
        Self.expectSecured(missing, "refused form")
        let wrong = try browser.request("POST", "/admin/customers/org_acme/grants", form: grant + [("csrf_token", String(token.reversed()))])
        #expect(wrong.status == 403)
        #expect(try harness.services.grants.list(customer: "org_acme").isEmpty)

        let created = try browser.request("POST", "/admin/customers/org_acme/grants", form: grant + [("csrf_token", token)])
        #expect(created.status == 303)
        #expect(created.header("Location") == "/admin/customers/org_acme")
        let grants = try harness.services.grants.list(customer: "org_acme")
        #expect(grants.count == 1)
        #expect(grants.first?.grantedBy == "console: api key support")
        let id = try #require(grants.first?.id)

        #expect(try browser.request("POST", "/admin/customers/org_acme/grants/\(id)/revoke", form: []).status == 403)
        #expect(try harness.services.grants.list(customer: "org_acme").first?.revokedAt == nil)
        let revoked = try browser.request("POST", "/admin/customers/org_acme/grants/\(id)/revoke", form: [("csrf_token", token)])
        #expect(revoked.status == 303)
        #expect(try harness.services.grants.list(customer: "org_acme").first?.revokedAt != nil)

        // U+0000 in a field or a parameter is a 400 on both backends, nothing written.
        let nul = try browser.request("POST", "/admin/customers/org_acme/grants", form: [("feature", "sso"), ("value", "true"), ("reason", "a\u{0}b"), ("csrf_token", token)])
        #expect(nul.status == 400)
        #expect(try browser.get("/admin/customers?q=%00").status == 400)

        // Bad input is a 400 page naming the problem; nothing is created.
        let invalid = try browser.request("POST", "/admin/customers/org_acme/grants", form: [("feature", "sso"), ("value", "lots"), ("reason", "x"), ("csrf_token", token)])
        #expect(invalid.status == 400)
        #expect(invalid.text.contains("write true, a whole number or unlimited"))
        #expect(try harness.services.grants.list(customer: "org_acme").count == 1)
    }

    @Test(arguments: Backend.allCases)
    func aReadSessionSeesNoActionsAndIsRefused(backend: Backend) throws {
        let harness = try Self.harness(backend)
        _ = try harness.services.grants.create(customer: "org_acme", .init(feature: .init(rawValue: "sso")!, value: .enabled, reason: "pilot"), grantedBy: "test")
        var browser = ConsoleBrowser(harness)
        try browser.signIn(try harness.token(.read))
        let page = try browser.get("/admin/customers/org_acme")
        #expect(page.status == 200)
        #expect(page.text.contains("pilot"))
        #expect(!page.text.contains("grant-form"))
        #expect(!page.text.contains("/revoke\""))
        #expect(!page.text.contains("<button class=\"danger\""))
        let token = try #require(ConsoleBrowser.hiddenToken(page.text), "the sign-out form still carries the token")
        let id = try #require(try harness.services.grants.list(customer: "org_acme").first?.id)
        let create = try browser.request("POST", "/admin/customers/org_acme/grants", form: [("feature", "sso"), ("value", "true"), ("reason", "x"), ("csrf_token", token)])
        #expect(create.status == 403)
        let revoke = try browser.request("POST", "/admin/customers/org_acme/grants/\(id)/revoke", form: [("csrf_token", token)])
        #expect(revoke.status == 403)
        let grants = try harness.services.grants.list(customer: "org_acme")
        #expect(grants.count == 1 && grants[0].revokedAt == nil)
    }

    @Test(arguments: Backend.allCases)
    func sessionsEndAtSignOutRevocationAndExpiry(backend: Backend) throws {
        let harness = try Self.harness(backend)
        // Sign-out: the cookie is cleared and the old session id works no more.
        var browser = ConsoleBrowser(harness)
        try browser.signIn(try harness.token(.write))
        let id = try #require(browser.cookies["tollgate_console"])
        let token = try #require(ConsoleBrowser.hiddenToken(try browser.get("/admin").text))
        #expect(try browser.request("POST", "/admin/sign-out", form: []).status == 403, "sign-out needs the token too")
        let out = try browser.request("POST", "/admin/sign-out", form: [("csrf_token", token)])
        #expect(out.status == 303)
        #expect(out.header("Location") == "/admin/sign-in")
        #expect(browser.cookies["tollgate_console"] == nil)
        browser.cookies["tollgate_console"] = id
        #expect(try browser.get("/admin").status == 303)
        let after = try browser.request("POST", "/admin/customers/org_acme/grants", form: [("feature", "sso"), ("value", "true"), ("reason", "x"), ("csrf_token", token)])
        #expect(after.status == 401)
        #expect(try harness.services.grants.list(customer: "org_acme").isEmpty)

        // Revoking the key ends its session at the next request.
        let created = try harness.services.apiKeys.create(name: "soon revoked", scope: .admin)
        var revoked = ConsoleBrowser(harness)
        try revoked.signIn(created.token.value)
        #expect(try revoked.get("/admin").status == 200)
        _ = try harness.services.apiKeys.revoke(id: created.key.id)
        #expect(try revoked.get("/admin").status == 303)
        let left: Int = try harness.services.database.withConnection {
            try $0.queryFirst("SELECT COUNT(*) AS n FROM console_sessions WHERE api_key_id = \(created.key.id)")?.get("n") ?? -1
        }
        #expect(left == 0)
        var again = ConsoleBrowser(harness)
        #expect(try again.signIn(created.token.value).status == 401, "a revoked key cannot sign in")

        // Past its expiry a session is refused.
        var expiring = ConsoleBrowser(harness)
        try expiring.signIn(try harness.token(.read))
        #expect(try expiring.get("/admin").status == 200)
        let past = Date().addingTimeInterval(-60)
        try harness.services.database.withConnection { _ = try $0.execute("UPDATE console_sessions SET expires_at = \(past)") }
        #expect(try expiring.get("/admin").status == 303)
    }

    @Test(arguments: Backend.allCases)
    func failedSignInsAreLimitedAndForeignFormsRefused(backend: Backend) throws {
        let harness = try Self.harness(backend)
        var browser = ConsoleBrowser(harness)
        // A sign-in posted without the form's own token (another site's form) is refused.
        let foreign = try browser.request("POST", "/admin/sign-in", form: [("api_key", try harness.token(.admin))])
        #expect(foreign.status == 403)
        #expect(browser.cookies["tollgate_console"] == nil)
        for attempt in 1...10 {
            #expect(try browser.signIn("tg_000000000000_0000000000000000000000000000000000000000").status == 401, "attempt \(attempt)")
        }
        let limited = try browser.signIn(try harness.token(.admin))
        #expect(limited.status == 429)
        #expect(limited.header("Retry-After") != nil)
        Self.expectSecured(limited, "429")
        #expect(browser.cookies["tollgate_console"] == nil)
    }

    @Test(arguments: Backend.allCases)
    func dataIsEscapedAndListsAreSearchedAndPaged(backend: Backend) throws {
        let harness = try Self.harness(backend)
        var browser = ConsoleBrowser(harness)
        try browser.signIn(try harness.token(.read))
        let customer = try browser.get("/admin/customers/org_markup")
        #expect(customer.status == 200)
        #expect(customer.text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(!customer.text.contains("<script"))
        let list = try browser.get("/admin/customers?q=markup")
        #expect(list.text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(!list.text.contains("<script"))
        let reflected = try browser.get("/admin/customers?q=%22%3E%3Cscript%3E")
        #expect(!reflected.text.contains("<script"))
        #expect(reflected.text.contains("&quot;&gt;&lt;script&gt;"))

        // Search by external id, email (any case) or Stripe id; LIKE's wildcards are literal.
        #expect(try browser.get("/admin/customers?q=ACME.EXAMPLE").text.contains("href=\"/admin/customers/org_acme\""))
        #expect(!(try browser.get("/admin/customers?q=%25").text.contains("<tbody>")))
        #expect(try browser.get("/admin/customers?q=org_filler_1").text.contains("org_filler_19"))

        // 32 customers, 25 a page: the next page holds the rest.
        let first = try browser.get("/admin/customers")
        let next = try #require(first.text.firstMatch(of: /id="next-page" href="([^"]+)"/).map { String($0.1) })
        let second = try browser.get(next.replacingOccurrences(of: "&amp;", with: "&"))
        #expect(second.status == 200)
        #expect(second.text.contains("org_filler_29"))
        #expect(!second.text.contains("org_acme"))
        #expect(!second.text.contains("next-page"))

        // The catalog: plans with their prices and entitlements, features.
        let catalog = try browser.get("/admin/catalog")
        #expect(catalog.text.contains("data-plan=\"pro\""))
        #expect(catalog.text.contains("$49.00 / month"))
        #expect(catalog.text.contains("<code>exports.daily</code>"))

        // The customer page: subscription, entitlements with the usage bar, reset time.
        let acme = try browser.get("/admin/customers/org_acme")
        #expect(acme.text.contains("<span class=\"status active\">active</span>"))
        #expect(acme.text.contains("aria-label=\"40 of 100\""))
        #expect(acme.text.contains("width=\"40\""))
        // … and the mail queued for the customer (the subscription's mail), newest first.
        let queued = try #require(try harness.services.outbox.list(page: PageRequest(limit: 100)).items.first { $0.customerID != nil })
        #expect(acme.text.contains("id=\"customer-mail\"") && acme.text.contains(queued.template))
        #expect(!(try browser.get("/admin/customers/org_markup").text.contains("id=\"customer-mail\"")))
    }

    @Test(arguments: Backend.allCases)
    func adminPagesShowEventsAndMailAndActOnThem(backend: Backend) throws {
        let harness = try Self.harness(backend)
        try ConsoleSeed.seedOperations(harness.services)
        var writer = ConsoleBrowser(harness)
        try writer.signIn(try harness.token(.write))
        let writerOverview = try writer.get("/admin").text
        #expect(!writerOverview.contains("href=\"/admin/webhooks") && !writerOverview.contains("href=\"/admin/outbox"), "no admin links for a write session")
        for path in ["/admin/webhooks", "/admin/outbox", "/admin/webhooks/\(ConsoleSeed.failedEvent)", "/admin/keys"] {
            #expect(try writer.get(path).status == 403, "\(path)")
        }

        var admin = ConsoleBrowser(harness)
        try admin.signIn(try harness.token(.admin))
        let overview = try admin.get("/admin")
        #expect(overview.text.contains("href=\"/admin/webhooks?status=failed\"") && overview.text.contains("href=\"/admin/outbox?status=dead\""))
        #expect(overview.text.contains("id=\"stripe-failed\">1<"))
        #expect(overview.text.contains("id=\"outbox-dead\">1<"))
        let failed = try admin.get("/admin/webhooks?status=failed")
        #expect(failed.status == 200)
        #expect(failed.text.contains(ConsoleSeed.failedEvent))
        #expect(!(try admin.get("/admin/webhooks?status=applied").text.contains(ConsoleSeed.failedEvent)))
        #expect(try admin.get("/admin/webhooks?status=bogus").status == 400)
        let event = try admin.get("/admin/webhooks/\(ConsoleSeed.failedEvent)")
        #expect(event.status == 200)
        #expect(event.text.contains("&lt;b&gt;bold&lt;/b&gt;") && !event.text.contains("<b>bold"))
        let token = try #require(ConsoleBrowser.hiddenToken(event.text))
        #expect(try admin.request("POST", "/admin/webhooks/\(ConsoleSeed.failedEvent)/replay", form: []).status == 403)
        #expect(try harness.services.stripeEvents.find(id: ConsoleSeed.failedEvent)?.record.status == .failed)
        let replayed = try admin.request("POST", "/admin/webhooks/\(ConsoleSeed.failedEvent)/replay", form: [("csrf_token", token)])
        #expect(replayed.status == 303)
        let record = try #require(try harness.services.stripeEvents.find(id: ConsoleSeed.failedEvent)?.record)
        #expect(record.status != .failed && record.attempts <= 1, "\(record.status) \(record.attempts)")

        let dead = try admin.get("/admin/outbox?status=dead")
        #expect(dead.text.contains(ConsoleSeed.deadMail))
        let id = try #require(try harness.services.outbox.list(status: .dead, page: PageRequest()).items.first?.id)
        let mail = try admin.get("/admin/outbox/\(id)")
        #expect(mail.status == 200 && mail.text.contains("id=\"retry-form\""))
        #expect(try admin.request("POST", "/admin/outbox/\(id)/retry", form: [("csrf_token", "wrong")]).status == 403)
        #expect(try harness.services.outbox.find(id: id)?.message.status == .dead)
        #expect(try admin.request("POST", "/admin/outbox/\(id)/retry", form: [("csrf_token", token)]).status == 303)
        #expect(try harness.services.outbox.find(id: id)?.message.status == .pending)
        // Retrying a mail that is not dead is the repository's conflict, shown as a 409 page.
        #expect(try admin.request("POST", "/admin/outbox/\(id)/retry", form: [("csrf_token", token)]).status == 409)
        #expect(try admin.get("/admin/outbox/msg_nothing").status == 404)

        // API keys: listed without secrets, revoked by an admin (a write session is refused).
        let other = try harness.services.apiKeys.create(name: "ci <robot>", scope: .read)
        #expect(try writer.get("/admin/keys").status == 403)
        let writerToken = try #require(ConsoleBrowser.hiddenToken(writerOverview))
        #expect(try writer.request("POST", "/admin/keys/\(other.key.id)/revoke", form: [("csrf_token", writerToken)]).status == 403)
        #expect(try writer.request("POST", "/admin/webhooks/\(ConsoleSeed.failedEvent)/replay", form: [("csrf_token", writerToken)]).status == 403)
        let keys = try admin.get("/admin/keys")
        #expect(keys.status == 200)
        #expect(keys.text.contains("data-key=\"\(other.key.id)\"") && keys.text.contains("ci &lt;robot&gt;"))
        #expect(!keys.text.contains(other.token.value))
        #expect(try admin.request("POST", "/admin/keys/\(other.key.id)/revoke", form: []).status == 403)
        #expect(try harness.services.apiKeys.find(id: other.key.id)?.isRevoked == false)
        #expect(try admin.request("POST", "/admin/keys/\(other.key.id)/revoke", form: [("csrf_token", token)]).status == 303)
        #expect(try harness.services.apiKeys.find(id: other.key.id)?.isRevoked == true)

        // Creating a key: an admin session, with the token; the secret is in that one answer,
        // works as a key, and the list never shows it again.
        let before = try harness.services.apiKeys.list(page: PageRequest(limit: 100, startingAfter: nil)).items.count
        #expect(try writer.request("POST", "/admin/keys", form: [("csrf_token", writerToken), ("name", "w"), ("scope", "read")]).status == 403)
        #expect(try admin.request("POST", "/admin/keys", form: [("name", "no token"), ("scope", "read")]).status == 403)
        #expect(try admin.request("POST", "/admin/keys", form: [("csrf_token", token), ("name", "x"), ("scope", "root")]).status == 400)
        #expect(try admin.request("POST", "/admin/keys", form: [("csrf_token", token), ("name", " "), ("scope", "read")]).status == 400)
        #expect(try harness.services.apiKeys.list(page: PageRequest(limit: 100, startingAfter: nil)).items.count == before)
        let made = try admin.request("POST", "/admin/keys", form: [("csrf_token", token), ("name", "reporting <job>"), ("scope", "write")])
        #expect(made.status == 200 && made.header("Cache-Control") == "no-store")
        let secret = try #require(made.text.firstMatch(of: /id="created-secret">(tg_[A-Za-z0-9_]+)</).map { String($0.1) })
        #expect(made.text.contains("reporting &lt;job&gt;"))
        let verified = try #require(try harness.services.keyVerifier.verify(secret))
        #expect(verified.scope == .write && verified.name == "reporting <job>")
        #expect(!(try admin.get("/admin/keys").text.contains(secret)))
    }

    // MARK: catalog preview, mail preview, purge, 404/405

    /// The example catalog's file with the Pro plan renamed: one change.
    static func renamedProCatalog(_ name: String = "Pro Plus") throws -> String {
        let url = URL(fileURLWithPath: TestDatabase.repositoryRoot + "/examples/catalog.json")
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        var plans = try #require(object["plans"] as? [[String: Any]])
        let index = try #require(plans.firstIndex { $0["key"] as? String == "pro" })
        plans[index]["name"] = name
        object["plans"] = plans
        return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    /// The value of the hidden field `name` on `html`, unescaped as a browser reads it.
    static func hiddenField(_ name: String, _ html: String) throws -> String {
        let pattern = try Regex("name=\"\(name)\" value=\"([^\"]*)\"")
        let match = try #require(html.firstMatch(of: pattern))
        let value = try #require(match.output[1].substring).description
        return value.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&lt;", with: "<")
            .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
    }

    @Test(arguments: Backend.allCases)
    func aCatalogFileIsPreviewedThenAppliedExactly(backend: Backend) throws {
        let harness = try Self.harness(backend)
        let catalog = harness.services.catalog
        let before = try catalog.load()
        let revision = try catalog.revision()
        var admin = ConsoleBrowser(harness)
        try admin.signIn(try harness.token(.admin))
        let page = try admin.get("/admin/catalog")
        #expect(page.text.contains("id=\"catalog-form\""))
        let token = try #require(ConsoleBrowser.hiddenToken(page.text))
        let file = try Self.renamedProCatalog("Pro <b>Plus</b>")

        // The preview shows the diff as `plans apply` computes it, and changes nothing.
        let preview = try admin.request("POST", "/admin/catalog/preview", form: [("csrf_token", token), ("catalog", file)])
        #expect(preview.status == 200)
        Self.expectSecured(preview, "preview")
        let expected = try catalog.apply(try Catalog.parse(Data(file.utf8)), dryRun: true)
        #expect(expected.changes.count == 1)
        #expect(preview.text.contains("id=\"catalog-diff\"") && preview.text.contains("plan pro"))
        #expect(preview.text.contains("name: &quot;Pro&quot; → &quot;Pro &lt;b&gt;Plus&lt;/b&gt;&quot;"), "the detail line, escaped")
        #expect(!preview.text.contains("<b>Plus"))
        #expect(try catalog.load() == before && catalog.revision() == revision)
        #expect(try Self.hiddenField("catalog", preview.text) == file, "the form carries exactly the previewed text")
        #expect(try Self.hiddenField("revision", preview.text) == String(revision))

        // Nothing to change: no Apply button.
        let same = try admin.request("POST", "/admin/catalog/preview", form: [
            ("csrf_token", token), ("catalog", String(decoding: try Data(contentsOf: URL(fileURLWithPath: TestDatabase.repositoryRoot + "/examples/catalog.json")), as: UTF8.self)),
        ])
        #expect(same.status == 200 && same.text.contains("id=\"catalog-same\"") && !same.text.contains("id=\"catalog-apply\""))

        // Apply: the previewed text at the previewed revision, through the repository's apply.
        let applied = try admin.request("POST", "/admin/catalog/apply", form: [("csrf_token", token), ("catalog", file), ("revision", String(revision))])
        #expect(applied.status == 200 && applied.text.contains("id=\"catalog-applied\""))
        #expect(try catalog.load().plan("pro")?.name == "Pro <b>Plus</b>")
        #expect(try catalog.revision() == revision + 1)
        #expect(try catalog.apply(try Catalog.parse(Data(file.utf8)), dryRun: true).isEmpty, "the store now matches the previewed file")
    }

    @Test(arguments: Backend.allCases)
    func aBadOrStaleCatalogFileChangesNothing(backend: Backend) throws {
        let harness = try Self.harness(backend)
        let catalog = harness.services.catalog
        let before = try catalog.load()
        let revision = try catalog.revision()
        var admin = ConsoleBrowser(harness)
        try admin.signIn(try harness.token(.admin))
        let token = try #require(ConsoleBrowser.hiddenToken(try admin.get("/admin/catalog").text))

        // Not JSON, a broken rule, nothing at all: 400 pages naming the problems, nothing changed.
        for (file, problem) in [("{\"features\": [", "not a valid JSON document"), ("", "paste a catalog file"),
                                ("{\"features\": [], \"plans\": [{\"key\": \"<x>\"}]}", "plans[0]"),
                                // Valid alone, refused against the store: features removed that the archived plans still use.
                                ("{\"features\": [], \"plans\": []}", "still uses it")] {
            for path in ["/admin/catalog/preview", "/admin/catalog/apply"] {
                let answer = try admin.request("POST", path, form: [("csrf_token", token), ("catalog", file), ("revision", String(revision))])
                #expect(answer.status == 400, "\(path) \(file)")
                #expect(answer.text.contains("id=\"catalog-problems\"") && answer.text.contains(problem), "\(path): \(answer.text.suffix(800))")
                #expect(!answer.text.contains("<x>"))
                Self.expectSecured(answer, "400")
            }
        }
        #expect(try admin.request("POST", "/admin/catalog/apply", form: [("csrf_token", token), ("catalog", try Self.renamedProCatalog())]).status == 400,
                "an apply without the previewed revision")
        #expect(try catalog.load() == before && catalog.revision() == revision)

        // Someone else applies in between: the stale Apply applies nothing and shows a fresh preview.
        let mine = try Self.renamedProCatalog("Mine")
        _ = try catalog.apply(try Catalog.parse(Data(try Self.renamedProCatalog("Theirs").utf8)))
        let stale = try admin.request("POST", "/admin/catalog/apply", form: [("csrf_token", token), ("catalog", mine), ("revision", String(revision))])
        #expect(stale.status == 409)
        #expect(stale.text.contains("id=\"catalog-notice\"") && stale.text.contains("&quot;Theirs&quot; → &quot;Mine&quot;"), "the fresh diff")
        #expect(try catalog.load().plan("pro")?.name == "Theirs")
        #expect(try Self.hiddenField("revision", stale.text) == String(revision + 1))
        // The repository refuses a stale revision by itself too (the race after the console's check).
        #expect(throws: DomainError.catalogChanged(previewed: revision, now: revision + 1)) {
            try catalog.apply(try Catalog.parse(Data(mine.utf8)), expectedRevision: revision)
        }
        #expect(try catalog.load().plan("pro")?.name == "Theirs")
    }

    @Test(arguments: Backend.allCases)
    func catalogChangesNeedAnAdminSessionAndItsToken(backend: Backend) throws {
        let harness = try Self.harness(backend)
        let catalog = harness.services.catalog
        let revision = try catalog.revision()
        let file = try Self.renamedProCatalog()
        for scope in [APIKeyScope.read, .write] {
            var browser = ConsoleBrowser(harness)
            try browser.signIn(try harness.token(scope))
            let page = try browser.get("/admin/catalog")
            #expect(page.status == 200 && !page.text.contains("catalog-form"), "\(scope) sees no preview form")
            let token = try #require(ConsoleBrowser.hiddenToken(page.text))
            #expect(try browser.request("POST", "/admin/catalog/preview", form: [("csrf_token", token), ("catalog", file)]).status == 403)
            #expect(try browser.request("POST", "/admin/catalog/apply", form: [("csrf_token", token), ("catalog", file), ("revision", String(revision))]).status == 403)
        }
        var admin = ConsoleBrowser(harness)
        try admin.signIn(try harness.token(.admin))
        #expect(try admin.request("POST", "/admin/catalog/preview", form: [("catalog", file)]).status == 403)
        #expect(try admin.request("POST", "/admin/catalog/apply", form: [("csrf_token", "x"), ("catalog", file), ("revision", String(revision))]).status == 403)
        #expect(try catalog.revision() == revision && catalog.load().plan("pro")?.name == "Pro")
    }

    @Test(arguments: Backend.allCases)
    func aMailIsPreviewedSafely(backend: Backend) throws {
        let harness = try Self.harness(backend)
        let hostile = "<script>alert(1)</script>"
        let mail = OutboxMail(.paymentFailed, to: "x@acme.example", toName: "X", data: ["customer": ["name": .string(hostile)]], dedupeKey: "console:hostile")
        try harness.services.database.transaction { connection in _ = try Outbox.enqueue(mail, on: connection) }
        let id = try #require(try harness.services.outbox.list(status: nil, page: PageRequest()).items.first { $0.recipient == "x@acme.example" }?.id)
        var admin = ConsoleBrowser(harness)
        try admin.signIn(try harness.token(.admin))

        // The page: subject and text as the worker's renderer makes them, escaped; the HTML in a sandboxed iframe.
        let renderer = MailRenderer(templates: try harness.services.configuration.mailTemplates(), settings: harness.services.configuration.mail)
        let detail = try #require(try harness.services.outbox.find(id: id))
        let rendered = try renderer.render(template: detail.message.template, data: detail.data)
        #expect(rendered.text.contains(hostile), "the text part carries the name as it is")
        let page = try admin.get("/admin/outbox/\(id)")
        #expect(page.status == 200)
        Self.expectSecured(page, "mail page")
        #expect(page.text.contains("id=\"rendered-subject\">\(Self.escaped(rendered.subject))<"))
        #expect(page.text.contains(Self.escaped(rendered.text)))
        #expect(!page.text.contains(hostile))
        #expect(page.text.contains("<iframe id=\"rendered-html\" class=\"mail-html\" sandbox src=\"/admin/outbox/\(id)/html\""))

        // The iframe's document: the rendered HTML (escaped by the mail template), with its own strict policy.
        let html = try admin.get("/admin/outbox/\(id)/html")
        #expect(html.status == 200 && html.text == rendered.html)
        #expect(!html.text.contains(hostile) && html.text.contains("&lt;script&gt;"))
        #expect(html.header("Content-Security-Policy") == "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'; frame-ancestors 'self'; base-uri 'none'; sandbox")
        #expect(html.header("X-Frame-Options") == "SAMEORIGIN" && html.header("Cache-Control") == "no-store" && html.header("X-Content-Type-Options") == "nosniff")
        #expect(try admin.get("/admin/outbox/msg_nothing/html").status == 404)

        // Admin only, like the rest of the outbox; signed out, the browser is sent to sign in.
        var writer = ConsoleBrowser(harness)
        try writer.signIn(try harness.token(.write))
        #expect(try writer.get("/admin/outbox/\(id)/html").status == 403)
        var stranger = ConsoleBrowser(harness)
        #expect(try stranger.get("/admin/outbox/\(id)/html").status == 303)
    }

    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }

    @Test(arguments: Backend.allCases)
    func purgingRemovesOnlyDeadMail(backend: Backend) throws {
        let harness = try Self.harness(backend)
        try ConsoleSeed.seedOperations(harness.services)
        let pending = OutboxMail(.paymentFailed, to: "pending@acme.example", toName: "P", data: ["customer": ["name": "P"]], dedupeKey: "console:pending")
        try harness.services.database.transaction { connection in _ = try Outbox.enqueue(pending, on: connection) }
        let outbox = harness.services.outbox
        #expect(try outbox.counts()[.dead] == 1)

        var writer = ConsoleBrowser(harness)
        try writer.signIn(try harness.token(.write))
        let writerToken = try #require(ConsoleBrowser.hiddenToken(try writer.get("/admin").text))
        #expect(try writer.get("/admin/outbox/purge").status == 403)
        #expect(try writer.request("POST", "/admin/outbox/purge", form: [("csrf_token", writerToken), ("before", "99999999999999")]).status == 403)

        var admin = ConsoleBrowser(harness)
        try admin.signIn(try harness.token(.admin))
        #expect(try admin.get("/admin/outbox").text.contains("href=\"/admin/outbox/purge\""))
        let confirm = try admin.get("/admin/outbox/purge")
        #expect(confirm.status == 200 && confirm.text.contains("id=\"purge-count\">1<"))
        Self.expectSecured(confirm, "confirm")
        let token = try #require(ConsoleBrowser.hiddenToken(confirm.text))
        let before = try Self.hiddenField("before", confirm.text)
        #expect(try outbox.counts()[.dead] == 1, "the confirm page changes nothing")
        #expect(try admin.request("POST", "/admin/outbox/purge", form: [("before", before)]).status == 403)
        #expect(try admin.request("POST", "/admin/outbox/purge", form: [("csrf_token", token)]).status == 400)
        #expect(try admin.request("POST", "/admin/outbox/purge", form: [("csrf_token", token), ("before", "soon")]).status == 400)
        #expect(try outbox.counts()[.dead] == 1)

        // Mail that died after the confirm page was shown stays.
        let later = OutboxMail(.paymentFailed, to: "later@acme.example", toName: "L", data: ["customer": ["name": "L"]], dedupeKey: "console:later")
        try harness.services.database.transaction { connection in
            _ = try Outbox.enqueue(later, on: connection)
            try connection.execute("UPDATE outbox_messages SET status = 'dead', updated_at = \(Date().addingTimeInterval(60)) WHERE recipient = 'later@acme.example'")
        }
        let purged = try admin.request("POST", "/admin/outbox/purge", form: [("csrf_token", token), ("before", before)])
        #expect(purged.status == 200 && purged.text.contains("id=\"purge-done\">Purged 1 dead mail(s).<"))
        let left = try outbox.list(status: nil, page: PageRequest(limit: 100)).items
        #expect(!left.contains { $0.recipient == ConsoleSeed.deadMail })
        #expect(left.contains { $0.recipient == "pending@acme.example" && $0.status == .pending })
        #expect(left.contains { $0.recipient == "later@acme.example" && $0.status == .dead })
    }

    @Test(arguments: Backend.allCases)
    func missingPagesAndMethodsUnderAdminAreTheConsolesPages(backend: Backend) throws {
        let harness = try Self.harness(backend)
        var browser = ConsoleBrowser(harness)
        for path in ["/admin/nothing", "/admin/customers/org_acme/nothing", "/admin/"] {
            let missing = try browser.get(path)
            #expect(missing.status == 404, "\(path)")
            #expect(missing.header("Content-Type") == "text/html; charset=utf-8", "\(path)")
            #expect(missing.text.contains("data-status=\"404\""), "\(path)")
            Self.expectSecured(missing, path)
        }
        let hostile = try browser.get("/admin/%3Cscript%3E")
        #expect(hostile.status == 404 && !hostile.text.contains("<script>") && hostile.text.contains("&lt;script&gt;"))
        for (method, path, allow) in [("DELETE", "/admin/customers", "GET, HEAD"), ("PUT", "/admin/outbox/purge", "GET, HEAD, POST"), ("POST", "/admin", "GET, HEAD")] {
            let refused = try browser.request(method, path)
            #expect(refused.status == 405, "\(method) \(path)")
            #expect(refused.header("Allow") == allow, "\(method) \(path)")
            #expect(refused.header("Content-Type") == "text/html; charset=utf-8" && refused.text.contains("data-status=\"405\""))
            Self.expectSecured(refused, "\(method) \(path)")
        }
        // Elsewhere the API's JSON answers stay.
        for (method, path, status) in [("GET", "/v1/nothing", 404), ("GET", "/administrator", 404), ("DELETE", "/v1/plans", 405)] {
            let api = try browser.request(method, path)
            #expect(api.status == status, "\(path)")
            #expect(api.header("Content-Type")?.hasPrefix("application/json") == true, "\(path)")
            #expect(api.header("X-Frame-Options") == nil && api.text.contains("\"code\""), "\(path)")
        }
    }

    // MARK: overview revenue and chart, the customer page's sections (console-customer)

    /// A UTC day as the console's charts label it (`2026-12-07`), `daysAgo` before `now`.
    static func day(_ daysAgo: Int, from now: Date) -> String {
        now.addingTimeInterval(-Double(daysAgo) * 86_400).formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!).year().month().day())
    }

    /// The row of a chart's figures table for `day`: each series' value, in the chart's order.
    static func figures(_ html: String, day: String, _ values: [(series: String, value: Int)]) -> String {
        "<tr data-day=\"\(day)\"><td>\(day)</td>" + values.map { "<td class=\"num\" data-series=\"\($0.series)\">\($0.value)</td>" }.joined() + "</tr>"
    }

    /// Runs `body` with the time it started; once more when a UTC day ended meanwhile (the page's days
    /// and the test's would differ).
    static func onOneDay(_ body: (Date) throws -> Void) throws {
        for _ in 0..<2 {
            let start = Date()
            try body(start)
            if day(0, from: start) == day(0, from: Date()) { return }
        }
    }

    /// The example catalog with a plan priced in euros and a credit pool.
    static func applyTwoCurrencyCatalog(_ services: Services) throws {
        let url = URL(fileURLWithPath: TestDatabase.repositoryRoot + "/examples/catalog.json")
        var catalog = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        catalog["credit_pools"] = [["key": "ai_credits", "name": "AI credits", "overage_floor": 0, "packs": [] as [Any]]]
        var plans = try #require(catalog["plans"] as? [[String: Any]])
        plans.append([
            "key": "team_eur", "name": "Team (EUR)", "prices": [["interval": "month", "currency": "eur", "unit_amount": 2000]],
            "entitlements": ["seats": 5],
        ])
        catalog["plans"] = plans
        _ = try services.catalog.apply(try Catalog.parse(try JSONSerialization.data(withJSONObject: catalog)))
    }

    @Test(arguments: Backend.allCases)
    func overviewShowsMonthlyRevenuePerCurrencyAndSubscriptionsPerDay(backend: Backend) throws {
        let harness = try Self.harness(backend)
        let services = harness.services
        try Self.applyTwoCurrencyCatalog(services)
        let now = Date()
        func ago(_ days: Double) -> Date { now.addingTimeInterval(-days * 86_400) }
        for (customer, _) in [("org_year", 0), ("org_eur", 0), ("org_trial", 0), ("org_gone", 0), ("org_back", 0), ("org_late", 0)] {
            _ = try services.customers.upsert(.init(externalID: customer, email: "\(customer)@example.com"))
        }
        // Paying: org_acme on pro (month $49 first, of two prices), org_year on enterprise ($9,900 a year) × 2, org_eur on team_eur (€20) × 3, past due.
        _ = try services.subscriptions.set(customer: "org_year", SubscriptionChange(plan: "enterprise", status: .active, quantity: 2), source: "test")
        _ = try services.subscriptions.set(customer: "org_year", SubscriptionChange(plan: "enterprise", status: .active, quantity: 2), source: "test again")
        _ = try services.subscriptions.set(customer: "org_eur", SubscriptionChange(plan: "team_eur", status: .pastDue, quantity: 3), source: "test")
        // Paying on a plan without a price: counts nothing, named.
        _ = try services.customers.upsert(.init(externalID: "org_free", email: "free@example.com"))
        _ = try services.subscriptions.set(customer: "org_free", SubscriptionChange(plan: "free", status: .active), source: "test")
        // Not paying: a trial, a cancellation.
        _ = try services.subscriptions.set(customer: "org_trial", SubscriptionChange(plan: "pro", status: .trialing), source: "test")
        _ = try services.subscriptions.set(customer: "org_gone", SubscriptionChange(plan: "pro", status: .active), source: "test")
        _ = try services.subscriptions.set(customer: "org_gone", SubscriptionChange(plan: "pro", status: .canceled), source: "test")
        // Days ago: org_back started 5 days ago, canceled 4 days ago, started again 2 days ago; org_late started 3, canceled 1 day ago.
        _ = try services.subscriptions.set(customer: "org_back", SubscriptionChange(plan: "pro", status: .active), source: "test", now: ago(5))
        _ = try services.subscriptions.set(customer: "org_back", SubscriptionChange(plan: "pro", status: .canceled), source: "test", now: ago(4))
        _ = try services.subscriptions.set(customer: "org_back", SubscriptionChange(plan: "pro", status: .incomplete), source: "test", now: ago(2))
        _ = try services.subscriptions.set(customer: "org_back", SubscriptionChange(plan: "pro", status: .trialing), source: "test", now: ago(2))
        _ = try services.subscriptions.set(customer: "org_late", SubscriptionChange(plan: "pro", status: .trialing), source: "test", now: ago(3))
        _ = try services.subscriptions.set(customer: "org_late", SubscriptionChange(plan: "pro", status: .canceled), source: "test", now: ago(1))
        _ = try services.subscriptions.set(customer: "org_late", SubscriptionChange(plan: "pro", status: .canceled), source: "test", now: ago(1))
        // Older than the chart: not in it.
        _ = try services.customers.upsert(.init(externalID: "org_old", email: "old@example.com"))
        _ = try services.subscriptions.set(customer: "org_old", SubscriptionChange(plan: "pro", status: .trialing), source: "test", now: ago(40))

        var browser = ConsoleBrowser(harness)
        try browser.signIn(try harness.token(.read))
        try Self.onOneDay { start in
            let overview = try browser.get("/admin")
            #expect(overview.status == 200)
            let html = overview.text
            // USD: 4,900 + 2 × 990,000 / 12 = 169,900; EUR: 3 × 2,000.
            #expect(html.contains("data-currency=\"usd\"><span class=\"number\">\(MoneyFormat.text(169_900, currency: "usd"))</span>"), "\(html)")
            #expect(html.contains("data-currency=\"eur\"><span class=\"number\">\(MoneyFormat.text(6_000, currency: "eur"))</span>"))
            #expect(MoneyFormat.text(169_900, currency: "usd") == "$1,699.00")
            #expect(html.contains("(monthly before yearly, then by currency): <span class=\"plan\">pro</span>."), "pro is counted at its first of two prices, and the page says so")
            #expect(html.contains("count nothing: <span class=\"plan\">free</span>."))
            // The chart: today 6 started (org_acme, org_year, org_eur, org_free, org_trial, org_gone), 1 canceled (org_gone).
            #expect(html.contains("id=\"subscription-chart\""))
            let chart = { (days: Int, started: Int, canceled: Int) in
                Self.figures(html, day: Self.day(days, from: start), [("started", started), ("canceled", canceled)])
            }
            #expect(html.contains(chart(0, 6, 1)), "today")
            #expect(html.contains(chart(1, 0, 1)), "org_late canceled once, though written twice")
            #expect(html.contains(chart(2, 1, 0)), "org_back again, once: incomplete then trialing")
            #expect(html.contains(chart(3, 1, 0)))
            #expect(html.contains(chart(4, 0, 1)))
            #expect(html.contains(chart(5, 1, 0)))
            #expect(html.contains(chart(6, 0, 0)))
            #expect(!html.contains("data-day=\"\(Self.day(30, from: start))\""), "30 days, today included")
            #expect(html.contains("data-day=\"\(Self.day(29, from: start))\""))
            #expect(html.contains("<title id=\"subscription-chart-title\">Subscriptions started and canceled per day, \(Self.day(29, from: start)) to \(Self.day(0, from: start)) (UTC): 9 started, 3 canceled</title>"))
            #expect(!html.contains("style="), "no inline style: the CSP allows the stylesheet only")
        }
    }

    @Test(arguments: Backend.allCases)
    func customerPageShowsUsageConnectionsStripeEventsCreditsSeatsAndEvents(backend: Backend) throws {
        let harness = try Self.harness(backend)
        let services = harness.services
        try Self.applyTwoCurrencyCatalog(services)
        let now = Date()
        let acme = try services.customers.get(externalID: ConsoleSeed.customer)
        // Usage: 40 exports today (the seed), 7 + 5 API requests two days ago, 3 on another customer.
        let requests = try #require(FeatureKey(rawValue: "api.requests"))
        _ = try services.entitlements.record(UsageRequest(customer: ConsoleSeed.customer, feature: requests, quantity: 7), now: now.addingTimeInterval(-2 * 86_400))
        _ = try services.entitlements.record(UsageRequest(customer: ConsoleSeed.customer, feature: requests, quantity: 5), now: now.addingTimeInterval(-2 * 86_400))
        _ = try services.entitlements.record(UsageRequest(customer: "org_markup", feature: requests, quantity: 3), now: now.addingTimeInterval(-2 * 86_400))
        // A connection whose tokens are in the store (sealed in production; here plain, to prove they are never shown).
        try services.database.withConnection { connection in
            try connection.execute("""
                INSERT INTO oauth_connections (id, customer_id, provider, status, access_token, refresh_token, key_id, token_type, expires_at,
                    scopes, account, return_url, failure_count, last_error, refreshed_at, created_at, updated_at)
                VALUES ('con_console', \(acme.id), 'github', 'refresh_failed', 'k1:ACCESS-TOKEN-SECRET', 'k1:REFRESH-TOKEN-SECRET', 'k1', 'bearer',
                    \(now.addingTimeInterval(3600)), 'repo read:org', '<i>acme-gh</i>', NULL, 3, 'invalid_grant', NULL, \(now), \(now))
                """)
            try connection.execute("UPDATE customers SET stripe_customer_id = 'cus_acme' WHERE id = \(acme.id)")
        }
        // Stripe events: one naming acme's Stripe customer (an invoice), one naming another.
        for (id, customer) in [("evt_acme_invoice", "cus_acme"), ("evt_other_invoice", "cus_other")] {
            let payload = Array("""
                {"id":"\(id)","object":"event","type":"invoice.paid","created":1765000000,"api_version":"2025-03-31.basil",
                 "data":{"object":{"id":"in_\(id)","object":"invoice","customer":"\(customer)"}}}
                """.utf8)
            #expect(try services.stripeEvents.insert(try WebhookEvent.Envelope(json: payload), payload: payload))
        }
        // Credits: two grants; seats: two members (one named with markup).
        _ = try services.entitlements.credits.grant(customer: ConsoleSeed.customer, pool: "ai_credits", amount: 500, reason: "welcome", expiresAt: nil)
        _ = try services.entitlements.credits.grant(customer: ConsoleSeed.customer, pool: "ai_credits", amount: 250, reason: "sorry", expiresAt: nil)
        let seats = try #require(FeatureKey(rawValue: "seats"))
        _ = try services.seats.assign(customer: ConsoleSeed.customer, feature: seats, member: "alice")
        _ = try services.seats.assign(customer: ConsoleSeed.customer, feature: seats, member: "<b>bob</b>")
        _ = try services.eventLog.publish()

        var browser = ConsoleBrowser(harness)
        try browser.signIn(try harness.token(.read))
        try Self.onOneDay { start in
            let page = try browser.get("/admin/customers/\(ConsoleSeed.customer)")
            #expect(page.status == 200)
            let html = page.text
            // Usage charts, one per metered feature, daily sums of this customer only.
            #expect(html.contains("<section class=\"usage-chart\" data-feature=\"api.requests\">"))
            #expect(html.contains("<section class=\"usage-chart\" data-feature=\"exports.daily\">"))
            #expect(!html.contains("data-feature=\"seats\">\n  <h3>seats</h3>\n  <figure"), "no chart for a limit feature")
            let requestsChart = try #require(html.range(of: "id=\"usage-api.requests\"").map { String(html[$0.lowerBound...].prefix(20_000)) })
            #expect(requestsChart.contains(Self.figures(html, day: Self.day(2, from: start), [("used", 12)])))
            #expect(requestsChart.contains(Self.figures(html, day: Self.day(0, from: start), [("used", 0)])))
            let exportsChart = try #require(html.range(of: "id=\"usage-exports.daily\"").map { String(html[$0.lowerBound...].prefix(20_000)) })
            #expect(exportsChart.contains(Self.figures(html, day: Self.day(0, from: start), [("used", 40)])))
            // The connection, without its tokens; markup escaped.
            #expect(html.contains("<tr data-provider=\"github\"><td>github</td><td><span class=\"status refresh_failed\">refresh_failed</span></td><td>repo read:org</td><td>&lt;i&gt;acme-gh&lt;/i&gt;</td>"))
            #expect(!html.contains("TOKEN-SECRET") && !html.contains("<i>acme-gh"))
            // Stripe events: the one naming acme's Stripe customer, not the other.
            #expect(html.contains("data-event=\"evt_acme_invoice\""))
            #expect(!html.contains("evt_other_invoice"))
            // Credits: the balance and the ledger, newest first.
            #expect(html.contains("<tr data-pool=\"ai_credits\"><td>ai_credits</td><td class=\"num\">750</td>"))
            let ledger = try #require(html.range(of: "id=\"credit-ledger\"").map { String(html[$0.lowerBound...].prefix(3_000)) })
            let newest = try #require(ledger.range(of: "<td class=\"num\">+250</td>"))
            let oldest = try #require(ledger.range(of: "<td class=\"num\">+500</td>"))
            #expect(newest.lowerBound < oldest.lowerBound)
            #expect(ledger.contains("<td class=\"num\">750</td>") && ledger.contains("<td class=\"num\">500</td>"))
            // Seats: both holders, the markup escaped, against the plan's limit.
            #expect(html.contains("<h3>seats: 2 of 10</h3>"))
            #expect(html.contains("<td>alice</td>") && html.contains("<td>&lt;b&gt;bob&lt;/b&gt;</td>") && !html.contains("<b>bob"))
            // Outbound events: what the log holds for the customer, newest first.
            let events = try #require(html.range(of: "id=\"customer-events\"").map { String(html[$0.lowerBound...]) })
            #expect(events.contains("<td>seats.assigned</td>") && events.contains("<td>subscription.created</td>"))
            let assigned = try #require(events.range(of: "<td>seats.assigned</td>"))
            let created = try #require(events.range(of: "<td>subscription.created</td>"))
            #expect(assigned.lowerBound < created.lowerBound)
            #expect(!html.contains("style="))
        }
        // A read session does not link events to the admin-only Webhooks page; an admin session does.
        #expect(!(try browser.get("/admin/customers/\(ConsoleSeed.customer)").text.contains("href=\"/admin/webhooks/evt_acme_invoice\"")))
        var admin = ConsoleBrowser(harness)
        try admin.signIn(try harness.token(.admin))
        #expect(try admin.get("/admin/customers/\(ConsoleSeed.customer)").text.contains("href=\"/admin/webhooks/evt_acme_invoice\""))
        // The customer without any of it: each section says so.
        let empty = try browser.get("/admin/customers/org_filler_1").text
        #expect(empty.contains("No OAuth connections.") && empty.contains("Not linked to a Stripe customer.") && empty.contains("No seats held."))
        #expect(empty.contains("<tr data-pool=\"ai_credits\"><td>ai_credits</td><td class=\"num\">0</td>") && !empty.contains("id=\"credit-ledger\""),
                "the catalog's pool at zero, no ledger")
    }

    @Test(arguments: Backend.allCases)
    func customerListsAreBoundedAndSayWhenThereIsMore(backend: Backend) throws {
        let harness = try Self.harness(backend)
        let services = harness.services
        try services.database.withConnection { connection in
            try connection.execute("UPDATE customers SET stripe_customer_id = 'cus_markup' WHERE external_id = 'org_markup'")
        }
        for index in 0..<25 {
            let payload = Array("""
                {"id":"evt_many_\(index)","object":"event","type":"customer.updated","created":\(1_765_000_000 + index),
                 "data":{"object":{"id":"cus_markup","object":"customer","name":"<script>x</script>"}}}
                """.utf8)
            #expect(try services.stripeEvents.insert(try WebhookEvent.Envelope(json: payload), payload: payload))
        }
        var browser = ConsoleBrowser(harness)
        try browser.signIn(try harness.token(.read))
        let html = try browser.get("/admin/customers/org_markup").text
        let table = try #require(html.range(of: "id=\"customer-stripe-events\"").map { String(html[$0.lowerBound...]) })
        #expect(table.contains("data-event=\"evt_many_24\"") && table.contains("data-event=\"evt_many_5\""))
        #expect(!table.contains("data-event=\"evt_many_4\""), "the newest 20 only")
        #expect(html.contains("The newest 20 events that named this customer"))
        #expect(!html.contains("<script"))
    }
}

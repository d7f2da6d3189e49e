import Testing
import TollgateHTTPServer
import TollgateLogging
import TollgateStripe

@Suite struct StripeErrorTests {
    @Test func errorFieldsAndRequestIDAreParsed() throws {
        let body = #"{"error":{"type":"card_error","code":"card_declined","decline_code":"insufficient_funds","param":"payment_method","message":"Your card has insufficient funds."}}"#
        let fake = try FakeStripe([.init(status: 402, headers: ["Request-Id": "req_abc123"], body: body)])
        let error = #expect(throws: StripeError.self) { try fake.client().post("/v1/things", operation: "charge:1") }
        #expect(error?.kind == .api)
        #expect(error?.status == 402)
        #expect(error?.type == "card_error")
        #expect(error?.code == "card_declined")
        #expect(error?.declineCode == "insufficient_funds")
        #expect(error?.param == "payment_method")
        #expect(error?.message == "Your card has insufficient funds.")
        #expect(error?.requestID == "req_abc123")
        #expect(error.map { "\($0)" } == "stripe api status=402 type=card_error code=card_declined param=payment_method decline_code=insufficient_funds request_id=req_abc123: Your card has insufficient funds.")
    }

    @Test func unknownIdIsATyped404() throws {
        let body = #"{"error":{"type":"invalid_request_error","code":"resource_missing","param":"id","message":"No such customer: 'cus_nope'"}}"#
        let fake = try FakeStripe([.init(status: 404, headers: ["Request-Id": "req_404"], body: body)])
        let error = #expect(throws: StripeError.self) { try fake.client().get("/v1/things/cus_nope") }
        #expect(error?.code == "resource_missing")
        #expect(error?.isNotFound == true)
        #expect(error?.requestID == "req_404")
        #expect(error?.attempts == 1)
    }

    @Test func aBodyWithoutAnErrorObjectStillGivesATypedError() throws {
        let fake = try FakeStripe([.init(status: 502, body: "<html>bad gateway</html>")])
        let error = #expect(throws: StripeError.self) { try fake.client(maxRetries: 0).get("/v1/things") }
        #expect(error?.status == 502)
        #expect(error?.type == nil)
        #expect(error?.message == "Stripe answered HTTP 502 without an error object")
    }

    @Test func aSuccessThatIsNotJSONIsInvalidResponse() throws {
        let fake = try FakeStripe([.init(status: 200, body: "not json")])
        let error = #expect(throws: StripeError.self) { try fake.client().get("/v1/things") }
        #expect(error?.kind == .invalidResponse)
    }

    @Test func apiKeyNeverAppearsInErrorsOrLogs() throws {
        let key = "sk_test_SECRET51Hk2nMv0aUuX"
        let sink = MemoryLogSink()
        let logger = Logger(label: "test", level: .trace, sink: sink)
        // The fake quotes the Authorization header back in its error message, as a careless peer might.
        let echo = #"{"error":{"type":"invalid_request_error","message":"Invalid API Key provided: {{authorization}}"}}"#
        let fake = try FakeStripe([.init(status: 500, body: echo), .init(status: 401, body: echo)])
        let client = fake.client(key: key, logger: logger)
        let error = #expect(throws: StripeError.self) { try client.post("/v1/things", ["email": "a@example.com"], operation: "x") }
        let timeout = try FakeStripe([.init(status: 200, delay: 0.6)])
        let timedOut = #expect(throws: StripeError.self) {
            try timeout.client(maxRetries: 1, timeout: .milliseconds(100), key: key, logger: logger).get("/v1/things")
        }
        #expect(fake.attempts.first?.headers["Authorization"] == "Bearer " + key)  // it was sent
        #expect(error?.message.contains("[redacted]") == true)
        var texts = [error.map { "\($0)" } ?? "", timedOut.map { "\($0)" } ?? "", error?.message ?? "", String(reflecting: error as Any)]
        let configuration = client.configuration
        texts += ["\(configuration)", String(reflecting: configuration), "\(configuration.apiKey)"]
        var dumped = ""
        dump(configuration, to: &dumped)
        texts.append(dumped)
        texts += sink.lines
        #expect(sink.lines.contains { $0.contains("stripe request retried") })
        for text in texts {
            #expect(!text.contains("SECRET51Hk2nMv0aUuX"), "the key leaked into: \(text)")
        }
    }

    @Test func configurationIsReadAndValidatedWithoutQuotingTheKey() throws {
        let configuration = try StripeConfiguration.fromEnvironment([
            "TOLLGATE_STRIPE_API_KEY": "sk_test_abc", "TOLLGATE_STRIPE_API_BASE": "http://127.0.0.1:1234",
        ])
        #expect(configuration.apiKey.value == "sk_test_abc")
        #expect(configuration.baseURL == "http://127.0.0.1:1234")
        #expect(configuration.apiVersion == StripeConfiguration.pinnedAPIVersion)
        #expect(configuration.maxRetries == 2)
        #expect(try StripeConfiguration.fromEnvironment(["TOLLGATE_STRIPE_API_KEY": "sk_live_x"]).baseURL == "https://api.stripe.com")
        #expect(throws: StripeConfigurationError.self) { try StripeConfiguration.fromEnvironment([:]) }
        let bad = #expect(throws: StripeConfigurationError.self) {
            try StripeConfiguration.fromEnvironment(["TOLLGATE_STRIPE_API_KEY": "sk_test bad", "TOLLGATE_STRIPE_API_BASE": "ftp://x/"])
        }
        #expect(bad.map { "\($0)" }?.contains("sk_test") == false)
    }
}

@Suite struct StripePaginationTests {
    @Test func listFollowsHasMoreWithStartingAfter() throws {
        let ids = (1...7).map { "cus_\($0)" }
        let fake = try FakeStripe(listed: ids)
        let listed = try fake.client().list("/v1/customers", ["limit": 3, "email": "x@example.com"])
        #expect(listed.compactMap(\.id) == ids)
        let attempts = fake.attempts
        #expect(attempts.count == 3)
        #expect(attempts.map { $0.query["starting_after"] } == [nil, "cus_3", "cus_6"])
        #expect(attempts.allSatisfy { $0.query["limit"] == "3" && $0.query["email"] == "x@example.com" })
    }

    @Test func defaultPageSizeIs100() throws {
        let fake = try FakeStripe(listed: ["cus_1"])
        #expect(try fake.client().list("/v1/customers").count == 1)
        #expect(fake.attempts.first?.query["limit"] == "100")
    }

    @Test func pageCapStopsARunawayList() throws {
        let fake = try FakeStripe(listed: (1...10).map { "cus_\($0)" })
        var configuration = fake.client().configuration
        configuration.maxListPages = 2
        let client = StripeClient(configuration: configuration)
        let error = #expect(throws: StripeError.self) { try client.list("/v1/customers", ["limit": 3]) }
        #expect(error?.kind == .pagination)
        #expect(fake.attempts.count == 2)
    }

    @Test func forEachPageHandsOverEachPage() throws {
        let fake = try FakeStripe(listed: (1...5).map { "cus_\($0)" })
        var sizes: [Int] = []
        try fake.client().forEachPage("/v1/customers", ["limit": 2]) { sizes.append($0.count) }
        #expect(sizes == [2, 2, 1])
    }

    @Test func aListThatRepeatsAnObjectIsRefused() throws {
        let page = #"{"object":"list","has_more":true,"data":[{"id":"cus_1"}]}"#
        let fake = try FakeStripe([.ok(page)])
        let error = #expect(throws: StripeError.self) { try fake.client().list("/v1/things") }
        #expect(error?.kind == .pagination)
        #expect(fake.attempts.count == 2)
    }
}

import Testing
import TollgateStripe
import TollgateBase

/// Expected strings are what stripe-python produces: `urlencode(list(_api_encode(params)))` with
/// `%5B`/`%5D` turned back into brackets (stripe/_encode.py, stripe/_api_requestor.py).
@Suite struct StripeFormTests {
    @Test func scalarsArePercentEncodedAsPythonsQuotePlus() {
        let form: StripeForm = ["email": "a b@example.com", "name": "Zoë & Co"]
        #expect(form.encoded == "email=a+b%40example.com&name=Zo%C3%AB+%26+Co")
    }

    @Test func metadataIsBracketedAndAnEmptyStringIsSent() {
        let form: StripeForm = ["metadata": ["plan": "pro", "tier key": "x/y", "empty": ""]]
        #expect(form.encoded == "metadata[plan]=pro&metadata[tier+key]=x%2Fy&metadata[empty]=")
    }

    @Test func listsOfObjectsAreIndexed() {
        let form: StripeForm = ["items": [["price": "price_1", "quantity": 2], ["price": "price_2", "tax_rates": ["txr_1", "txr_2"]]]]
        #expect(form.encoded == "items[0][price]=price_1&items[0][quantity]=2&items[1][price]=price_2&items[1][tax_rates][0]=txr_1&items[1][tax_rates][1]=txr_2")
    }

    @Test func listsOfScalarsAreIndexedToo() {
        let form: StripeForm = ["expand": ["data.customer", "data.items.data.price"]]
        #expect(form.encoded == "expand[0]=data.customer&expand[1]=data.items.data.price")
    }

    @Test func booleansAreLowercaseAndNullIsSkipped() {
        let form: StripeForm = ["cancel_at_period_end": true, "off_session": false, "skip": nil]
        #expect(form.encoded == "cancel_at_period_end=true&off_session=false")
    }

    @Test func deeplyNestedParameters() {
        let form: StripeForm = [
            "mode": "subscription",
            "subscription_data": ["trial_period_days": 14, "metadata": ["k": "v"]],
            "line_items": [["price_data": ["currency": "usd", "unit_amount": 4900, "recurring": ["interval": "month"]]]],
        ]
        #expect(form.encoded == "mode=subscription&subscription_data[trial_period_days]=14&subscription_data[metadata][k]=v"
            + "&line_items[0][price_data][currency]=usd&line_items[0][price_data][unit_amount]=4900"
            + "&line_items[0][price_data][recurring][interval]=month")
    }

    @Test func bracketsStayLiteralAndEmptyContainersSendNothing() {
        let form: StripeForm = ["q": "a[b]=c&d+e", "empty_list": [], "empty_obj": [:]]
        #expect(form.encoded == "q=a[b]%3Dc%26d%2Be")
    }

    @Test func keysKeepTheirWrittenOrder() {
        var form: StripeForm = ["z": "1", "a": "2"]
        #expect(form.encoded == "z=1&a=2")
        form["z"] = "3"
        form["m"] = .integer(-4)
        #expect(form.encoded == "z=3&a=2&m=-4")
        form["a"] = nil
        #expect(form.encoded == "z=3&m=-4")
        #expect(form.pairs.map(\.key) == ["z", "m"])
    }

    @Test func emptyFormEncodesToNothing() {
        let form: StripeForm = [:]
        #expect(form.encoded == "")
        #expect(form.isEmpty)
        #expect((["a": nil] as StripeForm).isEmpty)
    }

    @Test func pathSegmentsAreEscaped() {
        #expect(StripeClient.pathSegment("cus_123") == "cus_123")
        #expect(StripeClient.pathSegment("../x?y=1") == "..%2Fx%3Fy%3D1")
        #expect(StripeClient.pathSegment("a[0]") == "a%5B0%5D")
    }
}

@Suite struct StripeObjectTests {
    static let subscription = Array("""
        {"id":"sub_1","object":"subscription","quantity":3,"cancel_at_period_end":false,"trial_end":null,
         "items":{"object":"list","data":[{"id":"si_1","price":{"id":"price_1","lookup_key":"pro_month","unit_amount":4900},
         "current_period_end":1767225600}]},"tax_percent":7.5,"metadata":{"plan":"pro"}}
        """.utf8)

    @Test func readsAnyFieldThroughSubscripts() throws {
        let object = try #require(StripeObject.parse(Self.subscription))
        #expect(object.id == "sub_1")
        #expect(object.objectType == "subscription")
        #expect(object["items"]?["data"]?[0]?["price"]?["lookup_key"]?.string == "pro_month")
        #expect(object["items"]?["data"]?[0]?["price"]?["unit_amount"]?.int == 4900)
        #expect(object["items"]?["data"]?[0]?["current_period_end"]?.int == 1_767_225_600)
        #expect(object["quantity"]?.int == 3)
        #expect(object["tax_percent"]?.double == 7.5)
        #expect(object["tax_percent"]?.int == nil)
        #expect(object["cancel_at_period_end"]?.bool == false)
        #expect(object["trial_end"]?.isNull == true)
        #expect(object["metadata"]?.members?["plan"]?.string == "pro")
        #expect(object["missing"] == nil)
        #expect(object["items"]?["data"]?[5] == nil)
        #expect(object["quantity"]?["x"] == nil)
    }

    @Test func notJSONIsNil() {
        #expect(StripeObject.parse(Array("<html>".utf8)) == nil)
        #expect(StripeObject.parse([]) == nil)
    }

    @Test func descriptionIsCompactSortedJSON() throws {
        let object = try #require(StripeObject.parse(Array(#"{"b":[1,2.5,"x\n"],"a":{"t":true,"n":null}}"#.utf8)))
        #expect(object.description == #"{"a":{"n":null,"t":true},"b":[1,2.5,"x\n"]}"#)
    }
}

import Foundation
import Testing
import TollgateTestSupport
import TollgateBase

/// The check every API test's responses go through (``APIHarness/request(_:_:token:headers:body:sourceLocation:)``):
/// it must find what it is there to find.
@Suite struct ResponseSchemaCheckTests {
    static func document(_ json: String) throws -> JSONValue { try JSONValue(parsing: Array(json.utf8)) }

    static let schemas = """
        {"components": {"schemas": {
          "Key": {"type": "object", "required": ["id", "scope"], "properties": {
            "id": {"type": "string", "minLength": 1},
            "scope": {"type": "string", "enum": ["read", "write"]},
            "revoked_at": {"type": ["string", "null"], "format": "date-time"},
            "value": {"oneOf": [{"type": "boolean", "const": true}, {"type": "integer", "minimum": 0}, {"type": "string", "const": "unlimited"}]},
            "tags": {"type": "array", "items": {"type": "string"}}}},
          "Detail": {"allOf": [{"$ref": "#/components/schemas/Key"}, {"type": "object", "required": ["data"], "properties": {"data": {"type": "object"}}}]}
        }}}
        """

    func problems(_ json: String, _ schema: String) throws -> [String] {
        let validator = JSONSchemaValidator(document: try Self.document(Self.schemas))
        return validator.problems(try Self.document(json), schema: try Self.document(##"{"$ref": "#/components/schemas/\##(schema)"}"##))
    }

    @Test func aMatchingBodyHasNoProblems() throws {
        #expect(try problems(#"{"id": "k1", "scope": "read", "revoked_at": null, "value": 5, "tags": ["a"]}"#, "Key") == [])
        #expect(try problems(#"{"id": "k1", "scope": "read", "revoked_at": "2026-03-01T12:00:00Z", "value": "unlimited"}"#, "Key") == [])
        #expect(try problems(#"{"id": "k1", "scope": "write", "data": {"x": 1}}"#, "Detail") == [], "allOf members see each other's members")
    }

    @Test(arguments: [
        (#"{"scope": "read"}"#, "$: required member \"id\" is missing"),
        (#"{"id": 7, "scope": "read"}"#, "$.id: expected \"string\", got 7"),
        (#"{"id": "k", "scope": "owner"}"#, "$.scope: \"owner\" is not one of \"read\", \"write\""),
        (#"{"id": "k", "scope": "read", "extra": 1}"#, "$.extra: not documented (the schema lists id, revoked_at, scope, tags, value)"),
        (#"{"id": "k", "scope": "read", "revoked_at": "yesterday"}"#, "$.revoked_at: \"yesterday\" is not an RFC 3339 date-time"),
        (#"{"id": "k", "scope": "read", "value": false}"#, "$.value: false matches 0 of the 3 oneOf schemas, not exactly one"),
        (#"{"id": "k", "scope": "read", "value": -1}"#, "$.value: -1 matches 0 of the 3 oneOf schemas, not exactly one"),
        (#"{"id": "k", "scope": "read", "tags": ["a", 2]}"#, "$.tags[1]: expected \"string\", got 2"),
        (#"{"id": "", "scope": "read"}"#, "$.id: shorter than 1 characters"),
    ])
    func aDepartureIsNamedWithItsPlace(json: String, problem: String) throws {
        #expect(try problems(json, "Key") == [problem])
    }

    /// Against the server's own document: a documented answer passes; an undocumented status, a
    /// member the schema lacks, or a body where none is documented do not.
    @Test func responsesAreCheckedAgainstTheirOperation() throws {
        let harness = try APIHarness(.sqlite)
        let check = harness.documented
        func response(_ status: Int, _ body: String?) -> TestResponse {
            TestResponse(status: status, reason: "", headers: body == nil ? [] : [("Content-Type", "application/json")], body: Array((body ?? "").utf8))
        }
        let key = #"{"id": "abcdefABCDEF", "name": "svc", "scope": "read", "created_at": "2026-01-01T00:00:00Z"}"#
        #expect(check.problems(method: "GET", target: "/v1/keys/abcdefABCDEF", response: response(200, key)) == [])
        #expect(check.problems(method: "GET", target: "/v1/keys/abcdefABCDEF", response: response(418, "{}"))
            .first?.hasPrefix("GET /v1/keys/{id} → 418: status not documented") == true)
        #expect(check.problems(method: "GET", target: "/v1/keys/x?expand=1", response: response(200, #"{"id": "x"}"#)).count == 3)
        let extra = key.dropLast() + #", "secret": "s"}"#
        #expect(check.problems(method: "GET", target: "/v1/keys/abcdefABCDEF", response: response(200, String(extra)))
            .contains { $0.contains("$.secret: not documented") })
        #expect(check.problems(method: "DELETE", target: "/v1/suppressions/a@b.example", response: response(204, "{}"))
            == ["DELETE /v1/suppressions/{address} → 204: a JSON body where the document describes none"])
        #expect(check.operation(method: "POST", target: "/v1/outbox/purge")?.path == "/v1/outbox/purge")
        #expect(check.operation(method: "GET", target: "/v1/outbox/msg_1?x=1")?.path == "/v1/outbox/{id}")
        // A request no operation describes is the router's answer, not checked.
        #expect(check.problems(method: "GET", target: "/nowhere", response: response(404, "{}")) == [])
    }
}

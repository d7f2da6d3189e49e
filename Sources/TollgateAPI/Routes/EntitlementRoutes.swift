import Foundation
import Tollgate
import TollgateCore
import TollgateCrypto
import TollgateEntitlements
import TollgateHTTPServer
import TollgateWire
import TollgateBase

/// Effective entitlements, checks and metered usage.
enum EntitlementRoutes {
    /// `checks` and `usage` count the answered checks and usage events.
    static func endpoints(service: EntitlementService, seats: SeatRepository, checks: CheckCounters, usage: UsageCounters) -> [Endpoint] {
        [
            Endpoint(.GET, "/v1/customers/{external_id}/entitlements", scope: .read, documentation: .init(
                "getEntitlements", summary: "The customer's effective entitlements (a snapshot; ETag and If-None-Match supported)",
                tag: "Entitlements", responseSchema: "EntitlementSnapshot",
                headers: [.init("If-None-Match", "The ETag of a snapshot the caller holds: 304 with no body while it is current")],
                otherResponses: [304: nil])
            ) { request, _ in
                let snapshot = try service.snapshot(customer: try request.pathParameter("external_id"))
                return try snapshotResponse(snapshot, ifNoneMatch: request.headers["If-None-Match"])
            },
            Endpoint(.GET, "/v1/customers/{external_id}/entitlements/{feature}", scope: .read, documentation: .init(
                "getEntitlement", summary: "The customer's effective entitlement to one feature", tag: "Entitlements",
                responseSchema: "FeatureEntitlement")
            ) { request, _ in
                let feature = try featureKey(try request.pathParameter("feature"))
                let snapshot = try service.snapshot(customer: try request.pathParameter("external_id"))
                guard let entitlement = snapshot.entitlements[feature] else { throw DomainError.unknownFeature(feature.rawValue) }
                return try .json(entitlement)
            },
            Endpoint(.GET, "/v1/entitlements/check", scope: .read, documentation: .init(
                "checkEntitlement", summary: "May the customer use this feature (and this quantity) now? Nothing is recorded.",
                tag: "Entitlements",
                query: [
                    .init("customer", "The customer's external id", schema: Schemas.externalID, required: true),
                    .init("feature", "The feature key", schema: Schemas.featureKey, required: true),
                    .init("quantity", "For a limit: the total asked for; for a metered feature: the amount to use (default 1)",
                          schema: ["type": "integer", "minimum": 1]),
                    .init("member", "A limit feature's seat holder (docs/seats.md): allowed iff the customer is entitled and this member holds "
                          + "a seat (else `not_assigned`); `quantity` does not apply", schema: ["type": "string", "minLength": 1, "maxLength": .integer(SeatMember.maximumLength)]),
                ],
                responseSchema: "CheckResult", errors: [404])
            ) { request, _ in
                guard let customer = request.queryValue("customer"), !customer.isEmpty else {
                    throw HTTPError.badRequest("customer: required", code: "invalid_request", details: [.init(field: "customer", issue: "required")])
                }
                guard let featureText = request.queryValue("feature") else {
                    throw HTTPError.badRequest("feature: required", code: "invalid_request", details: [.init(field: "feature", issue: "required")])
                }
                if let member = request.queryValue("member") {
                    guard request.queryValue("quantity") == nil else {
                        throw HTTPError.badRequest("quantity: not with member", code: "invalid_request",
                                                   details: [.init(field: "quantity", issue: "a check for a member takes no quantity")])
                    }
                    let result = try seats.check(customer: customer, feature: try featureKey(featureText), member: member)
                    checks.record(result)
                    return HTTPResponse(status: 200, headers: ["Content-Type": "application/json"], body: CheckResultJSON.encode(result, credits: nil))
                }
                var quantity: Int64 = 1
                if let text = request.queryValue("quantity") {
                    guard let value = Int64(text), value >= 1 else {
                        throw HTTPError.badRequest("quantity: must be a whole number of at least 1", code: "invalid_request",
                                                   details: [.init(field: "quantity", issue: "must be a whole number of at least 1")])
                    }
                    quantity = value
                }
                let (result, credits) = try service.checkWithCredits(customer: customer, feature: try featureKey(featureText), quantity: quantity)
                checks.record(result)
                return HTTPResponse(status: 200, headers: ["Content-Type": "application/json"], body: CheckResultJSON.encode(result, credits: credits))
            },
            Endpoint(.POST, "/v1/usage", scope: .write, documentation: .init(
                "recordUsage", summary: "Record metered usage (always counted; a repeated idempotency_key is a no-op)",
                tag: "Usage", requestSchema: "UsageRequest", responseSchema: "UsageOutcome", errors: [404])
            ) { request, _ in
                UsageJSON.response(try counted(try UsageRequestJSON.decode(request), at: .single, in: usage, service.record))
            },
            Endpoint(.POST, "/v1/usage/batch", scope: .write, documentation: .init(
                "recordUsageBatch",
                summary: "Record 1 to 1,000 usage events in one transaction, each answered in order (counted, duplicate, or refused with a reason); "
                    + "a bad event refuses only itself",
                tag: "Usage", requestSchema: "UsageBatchRequest", responseSchema: "UsageBatchResponse")
            ) { request, _ in
                let answer = try service.record(try UsageRequestJSON.decodeBatch(request))
                usage.record(answer)
                return UsageJSON.response(answer)
            },
            Endpoint(.POST, "/v1/usage/consume", scope: .write, documentation: .init(
                "consumeUsage", summary: "Check and record atomically: counted only within the quota (allowed=false otherwise)",
                tag: "Usage", requestSchema: "UsageRequest", responseSchema: "UsageOutcome", errors: [404])
            ) { request, _ in
                UsageJSON.response(try counted(try UsageRequestJSON.decode(request), at: .consume, in: usage, service.consume))
            },
        ]
    }

    /// `record(request)`, its outcome counted in `usage`; a ``DomainError`` (an unknown customer or
    /// feature) counts as refused. (A body refused as input, 400, never reached this: not counted.)
    static func counted(
        _ request: UsageRequest, at endpoint: UsageCounters.Endpoint, in usage: UsageCounters,
        _ record: (UsageRequest, Date) throws -> UsageOutcome
    ) throws -> UsageOutcome {
        do {
            let outcome = try record(request, Date())
            usage.record(outcome, at: endpoint)
            return outcome
        } catch let error as DomainError {
            usage.refused(at: endpoint)
            throw error
        }
    }

    static func featureKey(_ text: String) throws -> FeatureKey {
        guard let key = FeatureKey(validating: text) else {
            throw HTTPError.badRequest("feature: not a valid feature key", code: "invalid_request",
                                       details: [.init(field: "feature", issue: "lowercase dotted segments of a-z, 0-9 and _")])
        }
        return key
    }

    /// The snapshot with a strong ETag over its content (not its generation time); a matching
    /// `If-None-Match` gets 304 and no body.
    static func snapshotResponse(_ snapshot: EntitlementSnapshot, ifNoneMatch: String?) throws -> HTTPResponse {
        let tag = try snapshot.contentTag()
        if let ifNoneMatch, ifNoneMatch.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == tag || $0 == "*" }) {
            return HTTPResponse(status: 304, headers: ["ETag": tag])
        }
        return try .json(snapshot, headers: ["ETag": tag, "Cache-Control": "private, no-cache"])
    }
}

import Foundation
import TollgateEntitlements
import TollgateHTTPServer
import TollgateWire

/// Seats of customers' limit features (docs/seats.md): list the holders, assign, release. The
/// check for a member is `GET /v1/entitlements/check?member=` (``EntitlementRoutes``).
enum SeatRoutes {
    static func endpoints(seats: SeatRepository) -> [Endpoint] {
        [
            Endpoint(.GET, "/v1/customers/{external_id}/seats/{feature}", scope: .read, documentation: .init(
                "listSeats",
                summary: "The members holding seats of a limit feature, by member id, with the limit, how many are assigned and the excess "
                    + "over the limit (`over_limit`) when it fell below them",
                tag: "Seats", query: Pagination.parameters(cursor: "A member id: the page after it (`has_more` says whether there is one)"),
                responseSchema: "SeatList", errors: [404])
            ) { request, _ in
                let feature = try EntitlementRoutes.featureKey(try request.pathParameter("feature"))
                return try .json(try seats.list(customer: try request.pathParameter("external_id"), feature: feature, page: try request.pageRequest()))
            },
            Endpoint(.POST, "/v1/customers/{external_id}/seats/{feature}", scope: .write, documentation: .init(
                "assignSeat",
                summary: "Assign a member a seat (201); a member who holds one already keeps it (200, nothing changes); "
                    + "409 limit_exceeded when every seat is held or the customer is over the limit",
                tag: "Seats", requestSchema: "SeatAssignRequest", successStatus: 201, responseSchema: "SeatAssignment",
                errors: [404, 409], otherResponses: [200: "SeatAssignment"])
            ) { request, _ in
                let feature = try EntitlementRoutes.featureKey(try request.pathParameter("feature"))
                let body = try request.decodeJSON(AssignRequest.self)
                let assignment = try seats.assign(customer: try request.pathParameter("external_id"), feature: feature, member: body.member)
                return try .json(assignment, status: assignment.created ? 201 : 200)
            },
            Endpoint(.DELETE, "/v1/customers/{external_id}/seats/{feature}/{member}", scope: .write, documentation: .init(
                "releaseSeat", summary: "Release a member's seat: 200 with the seat released (member, assigned_at); 404 when the member holds none",
                tag: "Seats", responseSchema: "SeatHolder", errors: [404])
            ) { request, _ in
                let feature = try EntitlementRoutes.featureKey(try request.pathParameter("feature"))
                return try .json(try seats.release(
                    customer: try request.pathParameter("external_id"), feature: feature, member: try request.pathParameter("member")))
            },
        ]
    }

    /// `POST …/seats/{feature}`'s body.
    struct AssignRequest: Decodable {
        var member: String
    }
}

import Foundation
import TollgateCore
import TollgateEntitlements
import TollgateHTTPServer
import TollgateWire

extension HTTPResponse {
    /// `value`'s JSON object with member `name` set to the stored JSON text `json` as a value: a
    /// stored record and its body in one document (a Stripe event and its payload, a mail and its data).
    static func json<T: Encodable>(_ value: T, embedding json: String, as name: String) throws -> HTTPResponse {
        let body = try WireJSON.object(value, embedding: json, as: name)
        return HTTPResponse(status: 200, headers: ["Content-Type": "application/json"], body: Array(body))
    }
}

extension HTTPRequest {
    /// The `status` query parameter as one of `Status`'s cases; nil when absent, 400 naming the
    /// allowed values when it is none of them.
    func statusFilter<Status: RawRepresentable & CaseIterable>(_: Status.Type) throws -> Status? where Status.RawValue == String {
        guard let text = queryValue("status") else { return nil }
        guard let status = Status(rawValue: text) else {
            throw DomainError.invalid("status", "must be one of \(Status.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return status
    }
}

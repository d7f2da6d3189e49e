import Foundation
import TollgateCore
import TollgateHTTPServer

extension HTTPResponse {
    /// `value`'s JSON object with member `name` set to the stored JSON text `json` as a value: a
    /// stored record and its body in one document (a Stripe event and its payload, a mail and its data).
    static func json<T: Encodable>(_ value: T, embedding json: String, as name: String) throws -> HTTPResponse {
        guard var fields = try JSONSerialization.jsonObject(with: try JSONCoding.encoder.encode(value)) as? [String: Any] else {
            throw HTTPError.internalError
        }
        fields[name] = try JSONSerialization.jsonObject(with: Data(json.utf8), options: [.fragmentsAllowed])
        let body = try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes])
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

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Tollgate
import TollgateBase
import TollgateWire

/// What one `GET /v1/customers/{external_id}/entitlements` came to.
enum FetchOutcome: Sendable {
    /// 200: the snapshot and its `ETag`.
    case snapshot(EntitlementSnapshot, etag: String?)
    /// 304: the snapshot behind the `If-None-Match` tag is current.
    case notModified(etag: String?)
    /// 404 `unknown_customer`.
    case unknownCustomer
    /// Anything else: no snapshot.
    case failed(TollgateClientError)
}

/// Fetches one customer's snapshot over HTTP, with conditional revalidation, and classifies the
/// response. Holds no state of its own.
///
/// The snapshot is read with the service's own JSON conventions (``WireJSON``: snake_case keys,
/// RFC 3339 instants); feature keys inside `entitlements` are object keys, which key strategies
/// leave alone.
struct SnapshotFetcher: Sendable {
    let session: URLSession
    let baseURL: URL
    let apiKey: String
    let timeout: Duration

    func fetch(customer: String, ifNoneMatch etag: String?) async -> FetchOutcome {
        guard let url = Self.entitlementsURL(base: baseURL, customer: customer) else {
            return .failed(TollgateClientError(.invalidResponse, "cannot form a URL from the base URL"))
        }
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: Self.seconds(timeout))
        request.setValue("Bearer \(apiKey)", forHTTPHeaderField: "Authorization")
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        request.setValue("TollgateClient/\(TollgateLibrary.version)", forHTTPHeaderField: "User-Agent")
        if let etag { request.setValue(etag, forHTTPHeaderField: "If-None-Match") }

        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await session.data(for: request)
        } catch let error as URLError where error.code == .timedOut {
            return .failed(TollgateClientError(.timedOut, "no answer within \(timeout)"))
        } catch let error as URLError {
            return .failed(TollgateClientError(.unreachable, "request failed (URLError \(error.code.rawValue))"))
        } catch {
            return .failed(TollgateClientError(.unreachable, "request failed: \(type(of: error))"))
        }
        guard let http = response as? HTTPURLResponse else {
            return .failed(TollgateClientError(.invalidResponse, "not an HTTP response"))
        }
        return Self.classify(status: http.statusCode, etag: http.value(forHTTPHeaderField: "ETag"), body: data)
    }

    /// Maps a response to an outcome; a 200 body is decoded as a snapshot.
    static func classify(status: Int, etag: String?, body: Data) -> FetchOutcome {
        switch status {
        case 200:
            do {
                return .snapshot(try WireJSON.decoder().decode(EntitlementSnapshot.self, from: body), etag: etag)
            } catch let error as SnapshotFormatError {
                return .failed(TollgateClientError(.invalidResponse, status: status, "\(error)"))
            } catch {
                return .failed(TollgateClientError(.invalidResponse, status: status, "the body is not an entitlement snapshot"))
            }
        case 304:
            return .notModified(etag: etag)
        case 401:
            return .failed(TollgateClientError(.unauthorized, status: status, "the service refused the API key"))
        case 403:
            return .failed(TollgateClientError(.forbidden, status: status, "the API key lacks the read scope"))
        case 404 where errorCode(in: body) == "unknown_customer":
            return .unknownCustomer
        case 500...599:
            return .failed(TollgateClientError(.serverError, status: status, "the service answered with a server error"))
        default:
            let code = errorCode(in: body).map { " (\($0))" } ?? ""
            return .failed(TollgateClientError(.unexpectedStatus, status: status, "unexpected answer\(code)"))
        }
    }

    /// `error.code` of an error body `{"error": {"code": …}}`, if the body is one and the code
    /// is a plain identifier.
    static func errorCode(in body: Data) -> String? {
        struct Envelope: Decodable {
            struct Detail: Decodable { var code: String }
            var error: Detail
        }
        guard let code = try? JSONDecoder().decode(Envelope.self, from: body).error.code,
              code.utf8.count <= 64,
              code.utf8.allSatisfy({ $0 == UInt8(ascii: "_") || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) })
        else { return nil }
        return code
    }

    /// `<base>/v1/customers/<customer, percent-encoded>/entitlements`.
    static func entitlementsURL(base: URL, customer: String) -> URL? {
        var text = base.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        return URL(string: text + "/v1/customers/" + percentEncoded(customer) + "/entitlements")
    }

    /// The id as one path segment (``PercentEncoding/SafeSet/pathSegment``: `.` is encoded too, so
    /// an id `.` or `..` is not taken for a dot segment and normalised away).
    static func percentEncoded(_ text: String) -> String {
        PercentEncoding.encode(text, keeping: .pathSegment)
    }

    static func seconds(_ duration: Duration) -> TimeInterval {
        max(0, duration.seconds)
    }
}

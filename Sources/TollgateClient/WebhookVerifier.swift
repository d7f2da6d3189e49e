public import Foundation
import TollgateCrypto

/// Verifies the webhooks Tollgate sends, per Standard Webhooks
/// (https://www.standardwebhooks.com/): `webhook-signature` must hold a `v1,` signature that is
/// base64(HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{body}")) for one of the secrets,
/// where the key is the base64 after `whsec_`, and `webhook-timestamp` must be within
/// ``tolerance`` of now (replays of old deliveries are refused).
///
/// Verify the body exactly as received, before parsing it. Give every secret you accept: during a
/// rotation Tollgate signs with the new and the previous secret for 24 hours, so a receiver
/// configured with either verifies.
///
/// ```swift
/// let verifier = try WebhookVerifier(secret: "whsec_…")
/// try verifier.verify(body: requestBody, headers: ["webhook-id": …, "webhook-timestamp": …, "webhook-signature": …])
/// ```
public struct WebhookVerifier: Sendable {
    /// How far `webhook-timestamp` may be from now. Default 5 minutes (the reference libraries').
    public var tolerance: TimeInterval

    private let keys: [[UInt8]]

    /// A verifier for one or more `whsec_…` secrets (or their base64 without the prefix).
    public init(secrets: [String], tolerance: TimeInterval = 300) throws(WebhookVerificationError) {
        var keys: [[UInt8]] = []
        for secret in secrets {
            let text = secret.hasPrefix("whsec_") ? String(secret.dropFirst(6)) : secret
            guard let key = Base64.decode(text), !key.isEmpty else {
                throw WebhookVerificationError(code: .invalidSecret, message: "a secret is not whsec_ followed by base64")
            }
            keys.append(key)
        }
        guard !keys.isEmpty else { throw WebhookVerificationError(code: .invalidSecret, message: "no secret given") }
        self.keys = keys
        self.tolerance = tolerance
    }

    public init(secret: String, tolerance: TimeInterval = 300) throws(WebhookVerificationError) {
        try self.init(secrets: [secret], tolerance: tolerance)
    }

    /// Checks `body` against the headers (names in any letter case); throws why not.
    public func verify(body: Data, headers: [String: String], now: Date = Date()) throws(WebhookVerificationError) {
        var lowered: [String: String] = [:]
        for (name, value) in headers { lowered[name.lowercased()] = value }
        guard let id = lowered["webhook-id"], let timestamp = lowered["webhook-timestamp"], let signatures = lowered["webhook-signature"],
            !id.isEmpty
        else { throw WebhookVerificationError(code: .missingHeaders, message: "webhook-id, webhook-timestamp and webhook-signature are required") }
        guard let seconds = Int64(timestamp) else {
            throw WebhookVerificationError(code: .invalidTimestamp, message: "webhook-timestamp is not whole seconds")
        }
        let age = now.timeIntervalSince1970 - Double(seconds)
        guard age <= tolerance else { throw WebhookVerificationError(code: .invalidTimestamp, message: "webhook-timestamp is too old") }
        guard age >= -tolerance else { throw WebhookVerificationError(code: .invalidTimestamp, message: "webhook-timestamp is in the future") }
        let message = Array("\(id).\(timestamp).".utf8) + Array(body)
        let expected = keys.map { HMACSHA256.authenticationCode(for: message, key: $0) }
        for signature in signatures.split(separator: " ") {
            let parts = signature.split(separator: ",", maxSplits: 1)
            guard parts.count == 2, parts[0] == "v1", let given = Base64.decode(String(parts[1])) else { continue }
            if expected.contains(where: { ConstantTime.equals($0, given) }) { return }
        }
        throw WebhookVerificationError(code: .noMatchingSignature, message: "no v1 signature matches a secret")
    }

    /// The same, for a body as bytes.
    public func verify(body: [UInt8], headers: [String: String], now: Date = Date()) throws(WebhookVerificationError) {
        try verify(body: Data(body), headers: headers, now: now)
    }
}

/// Why a webhook did not verify. ``description`` is safe to log: it never holds a secret.
public struct WebhookVerificationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong: an open set, so new codes may be added without breaking callers.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// A secret given to the verifier is not `whsec_` + base64.
        public static let invalidSecret = Code("invalidSecret")
        /// A `webhook-*` header is missing.
        public static let missingHeaders = Code("missingHeaders")
        /// `webhook-timestamp` is not a number, or outside the tolerance.
        public static let invalidTimestamp = Code("invalidTimestamp")
        /// No signature matches: a wrong secret, or a body changed on the way.
        public static let noMatchingSignature = Code("noMatchingSignature")

        public var description: String { name }
    }

    public var code: Code
    public var message: String

    public var description: String { "\(code): \(message)" }
}

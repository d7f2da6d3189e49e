package import Foundation
import TollgateCrypto

/// Stripe's webhook signature scheme: the `Stripe-Signature` header and its verification.
///
/// The header is `t=<unix seconds>,v1=<hex>[,v1=<hex>…][,v0=<hex>]`. A `v1` value is the lowercase
/// hex HMAC-SHA256 of `"<t>." + payload`, keyed by the endpoint's whole signing secret
/// (`whsec_…`, as bytes). Only `v1` counts; several `v1` values appear while Stripe rolls a secret.
/// See <https://docs.stripe.com/webhooks#verify-manually>.
package struct WebhookSignature: Sendable, Equatable {
    /// Stripe's default tolerance between `t` and now, in seconds (applied in both directions here).
    package static let defaultTolerance = 300

    /// `t`: when Stripe signed the payload, in Unix seconds.
    package var timestamp: Int64
    /// The `v1` signatures as sent (hex text).
    package var v1: [String]

    /// Parses a header. Every comma-separated element must be `key=value` with a non-empty key and
    /// value; there must be exactly one `t`, made of digits. Unknown keys (`v0`, future schemes) are
    /// kept out of ``v1`` and otherwise ignored.
    package init(parsing header: String) throws(WebhookSignatureError) {
        var timestamp: Int64?
        var signatures: [String] = []
        for element in header.split(separator: ",", omittingEmptySubsequences: false) {
            let item = element.trimmingCharacters(in: .whitespaces)
            guard let equals = item.firstIndex(of: "=") else { throw WebhookSignatureError(.malformedHeader) }
            let key = item[..<equals]
            let value = item[item.index(after: equals)...]
            guard !key.isEmpty, !value.isEmpty else { throw WebhookSignatureError(.malformedHeader) }
            switch key {
            case "t":
                guard timestamp == nil, value.count <= 18, value.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let seconds = Int64(value) else {
                    throw WebhookSignatureError(.malformedHeader)
                }
                timestamp = seconds
            case "v1":
                signatures.append(String(value))
            default:
                continue
            }
        }
        guard let timestamp else { throw WebhookSignatureError(.malformedHeader) }
        guard !signatures.isEmpty else { throw WebhookSignatureError(.noV1Signature) }
        self.timestamp = timestamp
        self.v1 = signatures
    }

    package init(timestamp: Int64, v1: [String]) {
        self.timestamp = timestamp
        self.v1 = v1
    }

    /// The header text: `t=…,v1=…`.
    package var header: String {
        (["t=\(timestamp)"] + v1.map { "v1=\($0)" }).joined(separator: ",")
    }

    /// The `v1` signature of `payload` at `timestamp` under `secret`: lowercase hex.
    package static func signature(payload: [UInt8], timestamp: Int64, secret: String) -> String {
        var message = Array("\(timestamp).".utf8)
        message.append(contentsOf: payload)
        return Hex.encode(HMACSHA256.authenticationCode(for: message, key: Array(secret.utf8)))
    }

    /// A header signing `payload` at `timestamp` with each secret (tests, benchmarks, peers).
    package static func header(payload: [UInt8], timestamp: Int64, secrets: [String]) -> String {
        WebhookSignature(timestamp: timestamp, v1: secrets.map { signature(payload: payload, timestamp: timestamp, secret: $0) }).header
    }

    /// Verifies `header` against the exact bytes of `payload`: parses it, checks that `t` is within
    /// `tolerance` seconds of `now` (either side; the boundary itself is accepted), and accepts when
    /// any `v1` equals the expected signature under any of `secrets` (constant-time comparison).
    /// Returns the verified header.
    @discardableResult
    package static func verify(
        payload: [UInt8], header: String?, secrets: [String], tolerance: Int = defaultTolerance, now: Date = Date()
    ) throws(WebhookSignatureError) -> WebhookSignature {
        guard let header, !header.isEmpty else { throw WebhookSignatureError(.missingHeader) }
        let parsed = try WebhookSignature(parsing: header)
        let nowSeconds = Int64(now.timeIntervalSince1970.rounded(.down))
        let (difference, overflow) = nowSeconds.subtractingReportingOverflow(parsed.timestamp)
        guard !overflow, difference.magnitude <= UInt64(max(0, tolerance)) else {
            throw WebhookSignatureError(.timestampOutsideTolerance)
        }
        let presented = parsed.v1.map { Array($0.utf8) }
        var matched = false
        for secret in secrets where !secret.isEmpty {
            let expected = Array(signature(payload: payload, timestamp: parsed.timestamp, secret: secret).utf8)
            // Every candidate is compared (no early exit), each in constant time.
            for candidate in presented where ConstantTime.equals(expected, candidate) { matched = true }
        }
        guard matched else { throw WebhookSignatureError(.noMatchingSignature) }
        return parsed
    }
}

import Foundation
import Testing

/// The Standard Webhooks receiver started by `scripts/test` (`scripts/peers/webhook-receiver start
/// DIR`, URL in `TOLLGATE_TEST_WEBHOOK_RECEIVER_URL`): it verifies every request with the
/// `standardwebhooks` library (PyPI) and records it. Each test uses receivers of its own names.
package struct WebhookReceiverPeer: Sendable {
    /// One request a receiver got.
    package struct Received: Decodable, Sendable {
        /// The library verified it with one of the configured secrets.
        package var accepted: Bool
        /// Why it did not.
        package var error: String?
        /// What the receiver answered.
        package var status: Int
        /// Which configured secret verified it.
        package var secret_index: Int?
        package var webhook_id: String?
        package var webhook_timestamp: String?
        /// How many `v1,…` signatures `webhook-signature` held.
        package var signatures: Int
        package var body: String

        /// The body as JSON.
        package var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]) ?? [:]
        }
    }

    package let baseURL: String
    package let port: Int

    /// The receiver at `baseURL` (`http://127.0.0.1:PORT`).
    package init?(baseURL: String) {
        guard let port = URLComponents(string: baseURL)?.port else { return nil }
        self.baseURL = baseURL
        self.port = port
    }

    private init(baseURL: String, port: Int) {
        self.baseURL = baseURL
        self.port = port
    }

    /// The peer, or nil after recording an issue that says how to start it.
    package static func require() -> WebhookReceiverPeer? {
        guard let url = ProcessInfo.processInfo.environment["TOLLGATE_TEST_WEBHOOK_RECEIVER_URL"], !url.isEmpty,
            let port = URLComponents(string: url.trimmingCharacters(in: .whitespacesAndNewlines))?.port
        else {
            Issue.record("webhook delivery tests need TOLLGATE_TEST_WEBHOOK_RECEIVER_URL: run scripts/test, or export it from `scripts/peers/webhook-receiver start DIR`")
            return nil
        }
        return WebhookReceiverPeer(baseURL: url.trimmingCharacters(in: .whitespacesAndNewlines), port: port)
    }

    /// A receiver name no other test uses.
    package static func uniqueName(_ prefix: String) -> String {
        "\(prefix)-\(UUID().uuidString.lowercased().prefix(12))"
    }

    /// Where receiver `name` takes deliveries.
    package func url(_ name: String) -> String { baseURL + "/r/" + name }

    /// (Re)configures receiver `name`: the secrets it verifies with, how many accepted requests it
    /// answers `failStatus` before 200, how long it waits before a 200.
    package func configure(_ name: String, secrets: [String], failFirst: Int = 0, failStatus: Int = 500, delayMilliseconds: Int = 0) throws {
        let body = try JSONSerialization.data(withJSONObject: [
            "secrets": secrets, "fail_first": failFirst, "fail_status": failStatus, "delay_ms": delayMilliseconds,
        ])
        let response = try HTTPTestClient(port: port).send(method: "PUT", path: "/_config/" + name, headers: [("Content-Type", "application/json")], body: Array(body))
        guard response.status == 200 else { throw HTTPTestClientError("receiver config answered \(response.status)") }
    }

    /// Every request receiver `name` got, oldest first.
    package func received(_ name: String) throws -> [Received] {
        let response = try HTTPTestClient(port: port).send(path: "/_requests/" + name)
        return try JSONDecoder().decode([Received].self, from: Data(response.body))
    }
}

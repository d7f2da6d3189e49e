package import Foundation

/// How the delivery worker sends, retries and gives up. Every field has a documented default;
/// `TollgateCore` reads them from the `TOLLGATE_WEBHOOK_*` variables.
package struct WebhookDeliveryOptions: Sendable, Equatable {
    /// Sending threads per process (each serves one endpoint at a time). Default 2.
    package var workers: Int = 2
    /// Seconds an endpoint and its delivery in flight are held; a worker that dies holding them
    /// gives them back when this runs out. Default 60 (longer than ``timeout``).
    package var lease: TimeInterval = 60
    /// The longest wait for the TCP and TLS handshakes. Default 5 s.
    package var connectTimeout: Duration = .seconds(5)
    /// The longest a whole request may take. Default 15 s.
    package var timeout: Duration = .seconds(15)
    /// The most of a response body read (the rest is dropped and the connection closed). Default 16 KiB.
    package var maxResponseBytes: Int = 16 << 10
    /// The first retry delay: doubled per failed attempt, with 50–100 % jitter, capped at ``retryCap``. Default 10 s.
    package var retryBase: TimeInterval = 10
    /// The longest delay between two attempts. Default 6 hours.
    package var retryCap: TimeInterval = 6 * 3600
    /// How long a delivery is retried (from when it was queued or redelivered) before it is
    /// `failed`. Default 72 hours (about 25 attempts).
    package var retryFor: TimeInterval = 72 * 3600
    /// An endpoint whose every delivery has failed for this long is disabled (and the operator
    /// mailed). Default 5 days.
    package var disableAfter: TimeInterval = 5 * 86_400
    /// Who is mailed when an endpoint is disabled (`TOLLGATE_OPERATOR_EMAIL`); nil: nobody.
    package var operatorEmail: String?
    /// How often an idle worker looks for work when no event is published meanwhile. Default 250 ms.
    package var pollInterval: Duration = .milliseconds(250)
    /// Events read from the log per fan-out step. Default 500.
    package var fanOutBatch: Int = 500
    /// Deliveries sent to one endpoint before the worker gives it back (fairness). Default 100.
    package var deliveriesPerTurn: Int = 100

    package init() {}
}

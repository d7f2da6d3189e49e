import Foundation
import TollgateEntitlements
import TollgateStripe
package import TollgateBase

/// The receiving side of `POST /webhooks/stripe`: verifies the signature on the exact bytes
/// received, checks that they are a Stripe event, and stores it durably (once per event id)
/// without applying it. The applier applies it from the store.
package struct WebhookInbox: Sendable {
    /// The configured signing secrets; empty means webhooks are not configured.
    let secrets: [String]
    let tolerance: Int
    let store: StripeEventStore
    /// Rung after a new event is stored, so the applier starts at once.
    let arrived: WorkSignal?
    /// The time signatures are checked against and events are stamped with.
    let clock: WallClock
    /// `tollgate_stripe_webhooks_received_total{outcome}`.
    let received: CounterFamily

    package init(
        secrets: [String], tolerance: Int = WebhookSignature.defaultTolerance, store: StripeEventStore, arrived: WorkSignal? = nil,
        clock: WallClock = .system, metrics: MetricsRegistry = MetricsRegistry()
    ) {
        self.secrets = secrets
        self.tolerance = tolerance
        self.store = store
        self.arrived = arrived
        self.clock = clock
        received = metrics.counter(
            "tollgate_stripe_webhooks_received_total",
            help: "Stripe webhook deliveries received by this instance, by outcome: stored (new), duplicate (an event id already stored), "
                + "invalid_signature, invalid_event, not_configured (no signing secret), store_error",
            labels: ["outcome"])
    }

    package var isConfigured: Bool { !secrets.isEmpty }

    /// Verifies and stores one delivery. Throws ``WebhookRejection`` for what the sender controls
    /// (nothing is stored then); a store failure propagates as ``TollgateStore/StoreError``.
    package func receive(payload: [UInt8], signatureHeader: String?) throws -> WebhookReceipt {
        do {
            let receipt = try verifyAndStore(payload: payload, signatureHeader: signatureHeader)
            received.increment(receipt.duplicate ? "duplicate" : "stored")
            return receipt
        } catch let rejection as WebhookRejection {
            switch rejection.kind {
            case .invalidSignature: received.increment("invalid_signature")
            case .invalidEvent: received.increment("invalid_event")
            case .notConfigured: received.increment("not_configured")
            }
            throw rejection
        } catch {
            received.increment("store_error")
            throw error
        }
    }

    private func verifyAndStore(payload: [UInt8], signatureHeader: String?) throws -> WebhookReceipt {
        let now = clock.now()
        guard isConfigured else {
            throw WebhookRejection(.notConfigured, "Stripe webhooks are not configured (TOLLGATE_STRIPE_WEBHOOK_SECRET is unset)")
        }
        do {
            try WebhookSignature.verify(payload: payload, header: signatureHeader, secrets: secrets, tolerance: tolerance, now: now)
        } catch {
            throw WebhookRejection(.invalidSignature, error.description)
        }
        let event: WebhookEvent.Envelope
        do {
            event = try WebhookEvent.Envelope(json: payload)
        } catch {
            throw WebhookRejection(.invalidEvent, error.description)
        }
        let stored = try store.insert(event, payload: payload, now: now)
        if stored { arrived?.notify() }
        return WebhookReceipt(received: true, duplicate: !stored, id: event.id)
    }
}

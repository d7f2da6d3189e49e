import Foundation
import Synchronization
import TollgateWire

extension TollgateClient {
    /// The members of an event the client reads (the rest of the event is ignored).
    private struct EventCustomer: Decodable {
        var customer: String?
    }

    /// Event types (or their prefixes) that change one customer's snapshot.
    static let customerEventPrefixes = ["entitlements.", "grant.", "subscription.", "customer."]
    /// Event types after which no cached snapshot can be trusted.
    static let everyoneEventTypes: Set<String> = ["catalog.updated", "reset"]

    /// What the event stream said: drop what it makes stale.
    func handle(_ signal: EventFollower.Signal) {
        switch signal {
        case .connected(let resumed):
            // Not resumed: events before this moment were never seen; snapshots cached before it may
            // be stale. Dropped before the stream counts as open, so that no check answers `.cache`
            // from one of them.
            if !resumed { invalidateAll() }
            streamOpen.store(true, ordering: .releasing)
        case .disconnected:
            streamOpen.store(false, ordering: .releasing)
        case .event(let event):
            if Self.everyoneEventTypes.contains(event.type) {
                invalidateAll()
            } else if Self.customerEventPrefixes.contains(where: { event.type.hasPrefix($0) }) {
                // Decoded with the service's JSON conventions; an event without a customer, or
                // one the client cannot read, drops everything rather than risk a stale answer.
                if let customer = try? WireJSON.decoder().decode(EventCustomer.self, from: Data(event.data.utf8)).customer {
                    invalidate(customer: customer)
                } else {
                    invalidateAll()
                }
            }
        }
    }
}

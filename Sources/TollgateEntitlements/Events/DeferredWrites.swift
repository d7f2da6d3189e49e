import Foundation
import TollgateEvents
package import TollgateStore

/// Writes a transaction makes that only insert rows nothing in it reads again — the customers'
/// events and their due marks (``EntitlementAnnouncements/markDue(customerID:externalID:deferred:on:now:)``)
/// — held in memory and written together by ``flush(on:)``: a few multi-row statements for a whole
/// batch instead of one or two per change (the Stripe applier's batch transactions).
///
/// Events are numbered here, from the last sequence numbers of the customers whose sequence rows
/// the transaction holds (``DomainEvents/claimSequences(customerIDs:on:)``): an event about another
/// customer is not held (``append(_:customer:encodedData:now:)`` answers false) and the caller
/// appends it at once. Whoever else may append for a held customer in the same transaction must
/// flush first and stop using this (``flush(on:)`` then ``close()``), or the two would number alike.
package final class DeferredWrites {
    /// The held customers' last sequence numbers, as given so far.
    private var sequences: [String: Int64]
    private var events: [EventLog.Numbered] = []
    private var marks: [(customerID: String, externalID: String, dueAt: Date)] = []
    private var closed = false

    /// `sequences`: the customers whose sequence rows the transaction holds, and their last values.
    package init(sequences: [String: Int64]) {
        self.sequences = sequences
    }

    /// Holds the event when its customer's sequence is held here (and this is open); false when the
    /// caller must append it itself.
    func append(_ type: EventType, customer: EventCustomer, encodedData: String, now: Date) throws -> Bool {
        guard !closed, let last = sequences[customer.id] else { return false }
        events.append(try EventLog.Numbered(type, customer: customer, sequence: last + 1, encodedData: encodedData, createdAt: now))
        sequences[customer.id] = last + 1
        return true
    }

    /// Holds a due mark; false when closed.
    func markDue(customerID: String, externalID: String, dueAt: Date) -> Bool {
        guard !closed else { return false }
        marks.append((customerID, externalID, dueAt))
        return true
    }

    /// Writes what is held (events first, in the order appended), inside the caller's transaction.
    package func flush(on connection: any SQLConnection) throws {
        let held = events
        events = []
        try EventLog.append(held, sequences: sequences, on: connection)
        let due = marks
        marks = []
        try EntitlementAnnouncements.markDue(due, on: connection)
    }

    /// From now on holds nothing: every later write goes to the store at once. (Flush first.)
    package func close() {
        closed = true
    }
}

package import Foundation
import TollgateEvents
package import TollgateStore

/// Writes a transaction makes that only insert rows nothing in it reads again — the customers'
/// events, their subscription rows' new states, history entries and due marks (``EntitlementAnnouncements/markDue(customerID:externalID:deferred:on:now:)``)
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
    /// The held customers' last subscription history entries, as given so far.
    private var lastHistory: [String: (seq: Int64, changedAt: Date?)]
    private var history: [[SQLValue]] = []
    /// The last state of each subscription the held customers' writes updated, by id (in the
    /// order first written).
    private var subscriptions: [String: [SQLValue]] = [:]
    private var subscriptionOrder: [String] = []
    private var closed = false

    /// `sequences`: the customers whose sequence rows the transaction holds, and their last values;
    /// `history`: customers whose subscription history the transaction holds (their subscription
    /// and customer rows), and their last entries (``SubscriptionRepository/lastHistory(customerIDs:on:)``).
    package init(sequences: [String: Int64], history: [String: (seq: Int64, changedAt: Date?)] = [:]) {
        self.sequences = sequences
        self.lastHistory = history
    }

    /// The customer's last history entry when its history is held here (and this is open).
    func lastHistory(customerID: String) -> (seq: Int64, changedAt: Date?)? {
        closed ? nil : lastHistory[customerID]
    }

    /// Whether the customer's subscription row is held here (its history is, and this is open):
    /// its update may then wait for ``flush(on:)``, as nothing in the transaction reads it from
    /// the store before (the batch keeps the customer's current subscription itself).
    func holdsSubscription(ofCustomer customerID: String) -> Bool {
        !closed && lastHistory[customerID] != nil
    }

    /// Holds the subscription row's new state (``SubscriptionRepository/update(_:on:)``); a later
    /// state of the same subscription replaces it.
    func subscription(id: String, row: [SQLValue]) {
        if subscriptions.updateValue(row, forKey: id) == nil { subscriptionOrder.append(id) }
    }

    /// Holds a history entry (``SubscriptionRepository/historyColumns``), numbered `seq`.
    func history(customerID: String, seq: Int64, changedAt: Date, row: [SQLValue]) {
        history.append(row)
        lastHistory[customerID] = (seq, changedAt)
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
        let updated = subscriptionOrder.compactMap { subscriptions[$0] }
        subscriptions = [:]
        subscriptionOrder = []
        try SubscriptionRepository.update(updated, on: connection)
        let due = marks
        marks = []
        try EntitlementAnnouncements.markDue(due, on: connection)
        let entries = history
        history = []
        for range in connection.dialect.rowChunks(entries.count) {
            var insert = RowsStatement("INSERT INTO subscription_history (\(SubscriptionRepository.historyColumns)) VALUES ")
            for entry in entries[range] { insert.row(entry) }
            try connection.execute(insert.sql(tail: ""))
        }
    }

    /// From now on holds nothing: every later write goes to the store at once. (Flush first.)
    package func close() {
        closed = true
    }
}

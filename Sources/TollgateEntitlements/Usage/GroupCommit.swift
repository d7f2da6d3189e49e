import Foundation
import TollgateBase

/// Group commit without a thread of its own: callers (HTTP connection threads, which may block)
/// hand in their items and wait; whichever waiting caller finds no commit running becomes the
/// leader, takes what is queued (whole submissions, in arrival order, up to ``maximumItems``),
/// runs ``commit`` on its own thread, publishes every answer and wakes the others. While it
/// commits, new submissions queue up and form the next batch, so batches grow with the load and
/// a lone caller commits at once (no timer).
///
/// One commit runs at a time per instance. A submission is never split across batches; a
/// submission holding a key already in the batch being formed waits for the next one (so a batch
/// never holds two submissions with the same idempotency key, and every repeat is decided after
/// the first is committed).
///
/// `@unchecked Sendable`: the queue and the flags are touched only with `condition` locked; a
/// ticket's answers are written by the leader before it sets `done` under the lock, and read by
/// its owner after seeing `done` under the lock.
final class GroupCommit<Item: Sendable, Answer: Sendable>: @unchecked Sendable {
    private final class Ticket {
        let items: [Item]
        let keys: Set<String>
        var answers: [Answer] = []
        var done = false

        init(items: [Item], keys: Set<String>) {
            self.items = items
            self.keys = keys
        }
    }

    let maximumItems: Int
    /// How long a leader waits for more submissions before committing a batch smaller than
    /// ``maximumItems`` (zero: commits what is queued at once).
    let linger: Duration
    private let key: @Sendable (Item) -> String?
    private let commit: @Sendable ([Item]) -> [Answer]
    private let condition = NSCondition()
    private var queue: [Ticket] = []
    private var queuedItems = 0
    private var committing = false

    /// `commit` answers each item, in order (failures are answers too: it does not throw);
    /// `key` names what must not appear twice in one batch (nil: no restriction).
    init(
        maximumItems: Int, linger: Duration = .zero, key: @escaping @Sendable (Item) -> String?,
        commit: @escaping @Sendable ([Item]) -> [Answer]
    ) {
        self.maximumItems = max(1, maximumItems)
        self.linger = linger
        self.key = key
        self.commit = commit
    }

    /// Queues `items`, waits until a leader (possibly this caller) has committed them, and
    /// returns their answers in order.
    func submit(_ items: [Item]) -> [Answer] {
        guard !items.isEmpty else { return [] }
        let ticket = Ticket(items: items, keys: Set(items.compactMap(key)))
        condition.lock()
        queue.append(ticket)
        queuedItems += items.count
        if committing && queuedItems >= maximumItems { condition.broadcast() }
        while !ticket.done {
            guard !committing else {
                condition.wait()
                continue
            }
            committing = true
            if linger > .zero && queuedItems < maximumItems {
                let deadline = Date(timeIntervalSinceNow: Double(linger.nanoseconds) / 1e9)
                while queuedItems < maximumItems, condition.wait(until: deadline) {}
            }
            let batch = takeBatch()
            condition.unlock()
            let answers = commit(batch.flatMap(\.items))
            condition.lock()
            var offset = 0
            for member in batch {
                member.answers = Array(answers[offset..<offset + member.items.count])
                member.done = true
                offset += member.items.count
            }
            committing = false
            condition.broadcast()
        }
        condition.unlock()
        return ticket.answers
    }

    /// Removes the next batch from the queue (at least one ticket). A ticket sharing a key with
    /// one taken or passed over stays queued, and so does every later ticket with that key (the
    /// order of repeats is kept). Called with the lock held.
    private func takeBatch() -> [Ticket] {
        var batch: [Ticket] = []
        var left: [Ticket] = []
        var keys = Set<String>()
        var count = 0
        for ticket in queue {
            let full = !batch.isEmpty && count + ticket.items.count > maximumItems
            if full || (!batch.isEmpty && !keys.isDisjoint(with: ticket.keys)) {
                left.append(ticket)
                keys.formUnion(ticket.keys)
                continue
            }
            batch.append(ticket)
            keys.formUnion(ticket.keys)
            count += ticket.items.count
        }
        queue = left
        queuedItems -= count
        return batch
    }
}

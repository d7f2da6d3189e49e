import Dispatch
import Foundation
import Synchronization
import TollgateBase

/// Group commit without a thread of its own: callers (HTTP connection threads, which may block)
/// hand in their items and wait; a caller that finds no commit running becomes the leader, takes
/// what is queued (whole submissions, in arrival order, up to ``maximumItems``), runs ``commit`` on
/// its own thread, and hands each submission its answers. While it commits, new submissions queue
/// up and form the next batch, so batches grow with the load and a lone caller commits at once
/// (no timer, unless ``linger`` asks for one).
///
/// One commit runs at a time per instance. When a leader finishes and submissions are queued, it
/// promotes the first of them to lead the next batch; each waiter is woken once, by its own
/// semaphore — when its answers are ready or when it is to lead — never by a broadcast.
///
/// A submission is never split across batches; a submission holding a key already in the batch
/// being formed waits for the next one (so a batch never holds two submissions with the same
/// idempotency key, and every repeat is decided after the first is committed).
final class GroupCommit<Item: Sendable, Answer: Sendable>: Sendable {
    /// One submission. `@unchecked Sendable`: `answers` and `role` are written under the batcher's
    /// lock or before its semaphore is signalled, and read by its owner after the semaphore.
    private final class Ticket: @unchecked Sendable {
        enum Role { case waiting, lead, done }

        let items: [Item]
        let keys: Set<String>
        var answers: [Answer] = []
        var role = Role.waiting
        let wake = DispatchSemaphore(value: 0)

        init(items: [Item], keys: Set<String>) {
            self.items = items
            self.keys = keys
        }
    }

    private struct State {
        var queue: [Ticket] = []
        var queuedItems = 0
        var committing = false
    }

    let maximumItems: Int
    /// How long a leader waits for more submissions before committing a batch smaller than
    /// ``maximumItems`` (zero: it commits what is queued at once).
    let linger: Duration
    private let key: @Sendable (Item) -> String?
    private let commit: @Sendable ([Item]) -> [Answer]
    private let state = Mutex(State())

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
        let leads = state.withLock { state in
            state.queue.append(ticket)
            state.queuedItems += items.count
            guard !state.committing else { return false }
            state.committing = true
            ticket.role = .lead
            return true
        }
        if !leads {
            ticket.wake.wait()
        }
        // Woken to lead, or (as the first caller) leading: a leader's own ticket is always the
        // first queued, so it is in the batch it commits.
        if state.withLock({ _ in ticket.role == .lead }) {
            lead()
        }
        return ticket.answers
    }

    private func lead() {
        if linger > .zero, state.withLock({ $0.queuedItems < maximumItems }) {
            Thread.sleep(forTimeInterval: Double(linger.nanoseconds) / 1e9)
        }
        let batch = state.withLock { state in Self.takeBatch(from: &state, maximumItems: maximumItems) }
        let answers = commit(batch.flatMap(\.items))
        var offset = 0
        for member in batch {
            member.answers = Array(answers[offset..<offset + member.items.count])
            offset += member.items.count
        }
        let next: Ticket? = state.withLock { state in
            for member in batch { member.role = .done }
            guard let first = state.queue.first else {
                state.committing = false
                return nil
            }
            first.role = .lead
            return first
        }
        for member in batch { member.wake.signal() }
        next?.wake.signal()
    }

    /// Removes the next batch from the queue (at least its first ticket). A ticket sharing a key
    /// with one taken or passed over stays queued, and so does every later ticket with that key
    /// (the order of repeats is kept).
    private static func takeBatch(from state: inout State, maximumItems: Int) -> [Ticket] {
        var batch: [Ticket] = []
        var left: [Ticket] = []
        var keys = Set<String>()
        var count = 0
        for ticket in state.queue {
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
        state.queue = left
        state.queuedItems -= count
        return batch
    }
}

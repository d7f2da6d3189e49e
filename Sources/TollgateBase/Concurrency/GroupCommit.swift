import Dispatch
import Foundation

/// Group commit without a thread of its own: callers (HTTP connection threads, which may block)
/// hand in their items and wait; a caller that finds no commit running becomes the leader, takes
/// what is queued (whole submissions, in arrival order, up to ``maximumItems``), runs ``commit`` on
/// its own thread, and hands each submission its answers. While it commits, new submissions queue
/// up and form the next batch, so batches grow with the load and a lone caller commits at once
/// (no timer, unless ``linger`` asks for one).
///
/// At most ``maximumLeaders`` commits run at a time per instance (one on SQLite, whose writers
/// take turns anyway; a few on PostgreSQL, whose sessions work in parallel). When a leader
/// finishes and submissions are queued, it promotes the first of them to lead the next batch;
/// each waiter is woken by its own semaphore — when its answers are ready or when it is to
/// lead — never by a broadcast.
///
/// A submission is never split across batches; a submission holding a key already in the batch
/// being formed waits for the next one (so a batch never holds two submissions with the same
/// idempotency key, and every repeat is decided after the first is committed).
package final class GroupCommit<Item: Sendable, Answer: Sendable>: Sendable {
    /// One submission. `@unchecked Sendable`: `answers` and `role` are written under the batcher's
    /// lock or before its semaphore is signalled, and read by its owner after the semaphore.
    private final class Ticket: @unchecked Sendable {
        enum Role { case waiting, lead, done }

        let items: [Item]
        /// The hashes of the items' keys: two tickets whose hashes meet are kept apart (a
        /// collision only makes one wait for the next batch), and nothing is hashed under the lock.
        let keys: Set<Int>
        var answers: [Answer] = []
        var role = Role.waiting
        let wake = DispatchSemaphore(value: 0)

        init(items: [Item], keys: Set<Int>) {
            self.items = items
            self.keys = keys
        }
    }

    private struct State {
        var queue: [Ticket] = []
        var queuedItems = 0
        var leaders = 0
    }

    package let maximumItems: Int
    package let maximumLeaders: Int
    /// How long a leader waits for more submissions before committing a batch smaller than
    /// ``maximumItems`` (zero: it commits what is queued at once).
    package let linger: Duration
    private let key: @Sendable (Item) -> String?
    private let commit: @Sendable ([Item]) -> [Answer]
    private let state = PlainLock(State())

    /// `commit` answers each item, in order (failures are answers too: it does not throw);
    /// `key` names what must not appear twice in one batch (nil: no restriction).
    package init(
        maximumItems: Int, maximumLeaders: Int = 1, linger: Duration = .zero, key: @escaping @Sendable (Item) -> String?,
        commit: @escaping @Sendable ([Item]) -> [Answer]
    ) {
        self.maximumItems = max(1, maximumItems)
        self.maximumLeaders = max(1, maximumLeaders)
        self.linger = linger
        self.key = key
        self.commit = commit
    }

    /// Queues `items`, waits until a leader (possibly this caller) has committed them, and
    /// returns their answers in order.
    package func submit(_ items: [Item]) -> [Answer] {
        guard !items.isEmpty else { return [] }
        let ticket = Ticket(items: items, keys: Set(items.compactMap { key($0)?.hashValue }))
        state.withLock { state in
            state.queue.append(ticket)
            state.queuedItems += items.count
            if state.leaders < maximumLeaders {
                state.leaders += 1
                ticket.role = .lead
            }
        }
        while true {
            switch state.withLock({ _ in ticket.role }) {
            case .done: return ticket.answers
            case .lead: lead(ticket)
            case .waiting: ticket.wake.wait()
            }
        }
    }

    /// Commits the next batch, which holds `own` unless earlier submissions fill it (then `own`
    /// waits its turn like any other), and passes the lead on.
    private func lead(_ own: Ticket) {
        if linger > .zero, state.withLock({ $0.queuedItems < maximumItems }) {
            Thread.sleep(forTimeInterval: Double(linger.nanoseconds) / 1e9)
        }
        let batch = state.withLock { state in
            own.role = .waiting
            return Self.takeBatch(from: &state, maximumItems: maximumItems)
        }
        let answers = commit(batch.flatMap(\.items))
        var offset = 0
        for member in batch {
            member.answers = Array(answers[offset..<offset + member.items.count])
            offset += member.items.count
        }
        let next: Ticket? = state.withLock { state in
            for member in batch { member.role = .done }
            guard let first = state.queue.first(where: { $0.role == .waiting }) else {
                state.leaders -= 1
                return nil
            }
            first.role = .lead
            return first
        }
        for member in batch where member !== own { member.wake.signal() }
        if let next, next !== own { next.wake.signal() }
    }

    /// Removes the next batch from the queue (at least its first waiting ticket). A ticket sharing a key
    /// with one taken or passed over stays queued, and so does every later ticket with that key
    /// (the order of repeats is kept).
    private static func takeBatch(from state: inout State, maximumItems: Int) -> [Ticket] {
        var batch: [Ticket] = []
        var left: [Ticket] = []
        var keys = Set<Int>()
        var count = 0
        for ticket in state.queue {
            let full = !batch.isEmpty && count + ticket.items.count > maximumItems
            // A ticket promoted to lead (or leading) takes its own batch.
            if ticket.role == .lead || full || (!batch.isEmpty && !keys.isDisjoint(with: ticket.keys)) {
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

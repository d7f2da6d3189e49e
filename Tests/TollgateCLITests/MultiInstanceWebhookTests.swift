import Foundation
import Synchronization
import Testing
import TollgateBilling
import TollgateCore
import TollgateEntitlements
import TollgateStore
import TollgateStripe
import TollgateTestSupport

/// Stripe webhooks delivered to two `tollgate serve` processes on one PostgreSQL, one of them
/// killed with SIGKILL mid-stream and started again (issue 11, "what held").
///
/// PostgreSQL only: it is the store several instances share. SQLite is single-instance by design
/// (one process owns the file).
@Suite struct MultiInstanceWebhookTests {
    static let secret = "whsec_multi_instance_webhooks"
    static let subscriptions = 6
    static let steps = 60
    static let senders = 4
    static let t0 = 1_767_225_600

    /// One signed event: a state of subscription `subscription` at `created`.
    struct Event: Sendable {
        var id: String
        var subscription: Int
        var created: Int
        var quantity: Int
        var cancelAtPeriodEnd: Bool
        var payload: [UInt8]
    }

    /// Six subscriptions, each changing 60 times ten seconds apart (quantity 1, 3, 5, … so every
    /// state differs), and at every seventh step a second event with the same `created` and
    /// another quantity (Stripe sends distinct events in one second; ties both apply). The newest
    /// event of each subscription has a `created` of its own.
    static func events() throws -> [Event] {
        var events: [Event] = []
        for step in 0..<steps {
            for subscription in 0..<subscriptions {
                var variants = [(id: "evt_mi_s\(subscription)_k\(step)", quantity: 2 * step + 1)]
                if step % 7 == 3 && step < steps - 1 { variants.append((id: "evt_mi_s\(subscription)_k\(step)_tie", quantity: 2 * step + 2)) }
                for variant in variants {
                    let created = t0 + 10 * step
                    let payload = try WebhookPayloads.event("customer.subscription.updated.new-shape", id: variant.id, created: created, [
                        "data.object.id": "sub_Multi\(subscription)", "data.object.customer": "cus_Multi\(subscription)",
                        "data.object.metadata": ["tollgate_customer": "org_\(subscription)"],
                        "data.object.cancel_at_period_end": step % 2 == 0,
                        "data.object.items.data.0.quantity": variant.quantity,
                    ])
                    events.append(Event(id: variant.id, subscription: subscription, created: created, quantity: variant.quantity,
                                        cancelAtPeriodEnd: step % 2 == 0, payload: payload))
                }
            }
        }
        return events
    }

    /// 408 signed events (6 subscriptions × 60 steps, plus 48 twins sharing their `created`) sent
    /// by 4 threads, out of order (up to 20 places), to two instances; about 20 % sent again later
    /// to the other instance; instance A killed with SIGKILL once 35 % are delivered (deliveries it
    /// dropped go to B, as Stripe retries) and started again before the last 30 %. Afterwards:
    /// * every event is stored exactly once;
    /// * every event is `applied`, in exactly one attempt (`attempts = 1`, no error) — never twice;
    /// * each customer's history has exactly one entry per event that was applied as not stale,
    ///   with no state twice;
    /// * each subscription's local state is its newest event's, and the ordering guard names it.
    @Test func eventsOverTwoInstancesWithAKillAreStoredAndAppliedOnceAndTheNewestWins() throws {
        let store = try TestDatabase.make(.postgres)
        let environment = TollgateBinary.environment(databaseURL: store.url, extra: ["TOLLGATE_STRIPE_WEBHOOK_SECRET": Self.secret])
        #expect(InProcessCLI.run(["migrate"], environment: environment).status == 0)
        #expect(InProcessCLI.run(["plans", "apply", TestDatabase.repositoryRoot + "/examples/catalog.json"], environment: environment).status == 0)
        let customers = CustomerRepository(database: store.database)
        for subscription in 0..<Self.subscriptions {
            _ = try customers.upsert(.init(externalID: "org_\(subscription)"))
        }

        let events = try Self.events()
        var random = SeededGenerator(seed: 11)
        // Each event once, to a random instance, up to 20 places early or late (so some arrive after
        // a newer one); 20 % again, 1–40 places later, to the other instance.
        var planned: [(key: Double, event: Int, instance: Int)] = []
        for (index, _) in events.enumerated() {
            let instance = Int.random(in: 0...1, using: &random)
            planned.append((Double(index) + Double.random(in: -20...20, using: &random), index, instance))
            if Double.random(in: 0..<1, using: &random) < 0.2 {
                planned.append((Double(index) + Double.random(in: 1...40, using: &random), index, 1 - instance))
            }
        }
        let deliveries = planned.sorted { $0.key < $1.key }.map { (event: $0.event, instance: $0.instance) }
        let resent = deliveries.count - events.count
        let killAt = deliveries.count * 35 / 100
        let gateAt = deliveries.count * 70 / 100

        let first = try ServeChild(environment: environment)
        let second = try ServeChild(environment: environment)
        #expect(first.waitUntilListening(), "\(first.log)")
        #expect(second.waitUntilListening(), "\(second.log)")
        let router = Router(ports: [first.port, second.port])

        // The senders run on their own threads; this thread kills and restarts instance A.
        let finished = DispatchSemaphore(value: 0)
        let failures = ThreadSafeList<String>()
        Thread {
            ConcurrentThreads.run(Self.senders) { _ in
                while let index = router.next(below: deliveries.count) {
                    if index >= gateAt && !router.waitUntilRestarted(timeout: .seconds(60)) {
                        failures.append("instance A was not back in time")
                    }
                    let delivery = deliveries[index]
                    if let problem = router.deliver(events[delivery.event].payload, preferring: delivery.instance, secret: Self.secret) {
                        failures.append(problem)
                    }
                    router.delivered()
                }
            }
            finished.signal()
        }.start()

        #expect(router.waitUntilDelivered(atLeast: killAt, timeout: .seconds(60)), "the senders reach the kill point")
        first.child.signal(SIGKILL)
        #expect(first.child.waitForExit(timeout: .seconds(10)) == 128 + SIGKILL)
        router.setPort(nil, of: 0)
        let restarted = try ServeChild(environment: environment)
        #expect(restarted.waitUntilListening(), "\(restarted.log)")
        router.setPort(restarted.port, of: 0)
        router.markRestarted()
        #expect(finished.wait(timeout: .now() + 120) == .success, "the senders finish")
        #expect(failures.values.isEmpty, "\(failures.values.prefix(5))")

        // Both live instances drain what is pending (bounded).
        let eventStore = StripeEventStore(database: store.database)
        let drained = eventually(timeout: .seconds(60), poll: .milliseconds(50)) {
            guard let counts = try? eventStore.counts() else { return false }
            return counts.values.reduce(0, +) == events.count && counts[.pending, default: 0] == 0
        }
        #expect(drained, "every event stored and none pending: \((try? eventStore.counts()) ?? [:])")

        let rows: [(id: String, status: String, attempts: Int, error: String?, stale: Bool)] = try store.database.withConnection { connection in
            try connection.query("SELECT id, status, attempts, last_error, note FROM stripe_events ORDER BY id").map { row in
                let note: String? = try row.get("note")
                return (try row.get("id"), try row.get("status"), try row.get("attempts"), try row.get("last_error"), note?.hasPrefix("stale:") ?? false)
            }
        }
        #expect(rows.map(\.id) == events.map(\.id).sorted(), "each event stored exactly once")
        let notAppliedOnce = rows.filter { $0.status != "applied" || $0.attempts != 1 || $0.error != nil }
        #expect(notAppliedOnce.isEmpty, "\(notAppliedOnce.prefix(5))")
        let staleIDs = Set(rows.filter(\.stale).map(\.id))

        for subscription in 0..<Self.subscriptions {
            let own = events.filter { $0.subscription == subscription }
            let newest = try #require(own.max { $0.created < $1.created })
            #expect(own.filter { $0.created == newest.created }.count == 1)
            let (current, history, guardID) = try store.database.withConnection { connection in
                let current = try connection.queryFirst("""
                    SELECT s.quantity, s.cancel_at_period_end, s.stripe_subscription_id, s.plan_key FROM subscriptions s
                    JOIN customers c ON c.id = s.customer_id WHERE c.external_id = \("org_\(subscription)")
                    """).map { row -> (quantity: Int, cancel: Bool, stripeID: String?, plan: String) in
                    (try row.get("quantity"), try row.get("cancel_at_period_end"), try row.get("stripe_subscription_id"), try row.get("plan_key"))
                }
                let history: [Int] = try connection.query("""
                    SELECT h.quantity FROM subscription_history h JOIN customers c ON c.id = h.customer_id
                    WHERE c.external_id = \("org_\(subscription)") ORDER BY h.seq
                    """).map { try $0.get("quantity") }
                let guardID: String? = try connection.queryFirst(
                    "SELECT last_event_id FROM stripe_object_versions WHERE object_id = \("sub_Multi\(subscription)")")?.get("last_event_id")
                return (current, history, guardID)
            }
            let state = try #require(current, "org_\(subscription) has a subscription")
            #expect(state.quantity == newest.quantity && state.cancel == newest.cancelAtPeriodEnd && state.plan == "enterprise"
                && state.stripeID == "sub_Multi\(subscription)", "org_\(subscription): \(state), newest \(newest.id)")
            #expect(guardID == newest.id, "org_\(subscription)")
            let appliedNotStale = own.filter { !staleIDs.contains($0.id) }.count
            #expect(history.count == appliedNotStale, "org_\(subscription): \(history.count) history entries, \(appliedNotStale) events applied")
            #expect(Set(history).count == history.count, "org_\(subscription): a state applied twice: \(history)")
            #expect(history.last == newest.quantity, "org_\(subscription): \(history)")
        }

        for server in [second, restarted] {
            server.child.signal(SIGTERM)
            #expect(server.child.waitForExit(timeout: .seconds(20)) == 0, "\(server.log.suffix(2000))")
        }
        print("multi-instance webhooks: \(events.count) events, \(deliveries.count) deliveries (\(resent) re-sent to the other instance), "
            + "\(router.retries) retried after the SIGKILL at delivery \(killAt), \(staleIDs.count) stale")
    }
}

/// Where the sender threads post: the instances' ports (nil while one is down), the next delivery,
/// and how far they got. A delivery an instance drops goes to the other one, as Stripe retries.
private final class Router: Sendable {
    private struct State {
        var ports: [Int?]
        var next = 0
        var delivered = 0
        var restarted = false
        var retries = 0
    }

    private let state: Mutex<State>

    init(ports: [Int]) {
        state = Mutex(State(ports: ports))
    }

    var retries: Int { state.withLock { $0.retries } }

    func next(below count: Int) -> Int? {
        state.withLock { state in
            guard state.next < count else { return nil }
            defer { state.next += 1 }
            return state.next
        }
    }

    func delivered() { state.withLock { $0.delivered += 1 } }
    func setPort(_ port: Int?, of instance: Int) { state.withLock { $0.ports[instance] = port } }
    func markRestarted() { state.withLock { $0.restarted = true } }

    func waitUntilDelivered(atLeast count: Int, timeout: Duration) -> Bool {
        poll(timeout: timeout) { state.withLock { $0.delivered >= count } }
    }

    func waitUntilRestarted(timeout: Duration) -> Bool {
        poll(timeout: timeout) { state.withLock { $0.restarted } }
    }

    /// Posts `payload`, signed now, to `instance` (or the other while it is down) until one answers
    /// 200; on a dropped connection or another status, to the other instance. A problem, or nil.
    func deliver(_ payload: [UInt8], preferring instance: Int, secret: String) -> String? {
        var target = instance
        var last = ""
        for _ in 0..<40 {
            guard let port = state.withLock({ $0.ports[target] ?? $0.ports[1 - target] }) else { return "no instance up" }
            let header = WebhookSignature.header(payload: payload, timestamp: Int64(Date().timeIntervalSince1970), secrets: [secret])
            do {
                let response = try HTTPTestClient.request(port: port, method: "POST", path: "/webhooks/stripe", headers: [
                    ("Content-Type", "application/json; charset=utf-8"), ("Stripe-Signature", header),
                ], body: payload, timeout: .seconds(20))
                if response.status == 200 { return nil }
                last = "\(response.status) \(response.text)"
            } catch {
                last = String(describing: error)
            }
            state.withLock { $0.retries += 1 }
            target = 1 - target
            Thread.sleep(forTimeInterval: 0.02)
        }
        return "not delivered after 40 tries: \(last)"
    }

    private func poll(timeout: Duration, _ condition: () -> Bool) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return condition()
    }
}

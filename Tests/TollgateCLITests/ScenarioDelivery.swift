import Foundation
import TollgateCrypto
import TollgateStripe
import TollgateTestSupport
import TollgateBase

/// One event of a scenario on its way to Tollgate: its payload as delivered (re-stamped, in its
/// API shape) and its fate.
struct ScenarioEvent {
    struct Fate {
        var dropped = false
        /// Held back 2–20 s instead of arriving 0.1–1.5 s after its operation.
        var delayed = false
        /// Delivered a second time, later.
        var duplicated = false
    }

    let id: String
    let type: String
    let objectID: String?
    /// The index of the operation that caused it.
    let operation: Int
    /// The virtual second it was stamped with (its operation's).
    let created: Int64
    let shape: StripeAPIShape
    /// Made by the scenario's fake (localstripe never sends it).
    let addedByFake: Bool
    let payload: [UInt8]
    var fate: Fate
    /// Indexes into ``ScenarioDeliveryLayer/deliveries``.
    var deliveries: [Int] = []
}

/// One POST of an event to `/webhooks/stripe`.
struct ScenarioDelivery {
    /// Index into ``ScenarioDeliveryLayer/events``.
    let event: Int
    /// Virtual seconds since the scenario's start.
    let at: TimeInterval
    let isCopy: Bool
    /// The position among all deliveries actually sent (nil: not sent yet).
    var order: Int?
    var status: Int?
    /// What the endpoint answered (`duplicate`), or the body of a refusal.
    var answer: String?
}

/// The delivery layer between localstripe's (and the fake's) events and Tollgate's webhook
/// endpoint, on the scenario's virtual clock: each event is delivered 0.1–1.5 s after its
/// operation, except that 10 % are dropped, 20 % are held back 2–20 s, and 15 % are delivered again
/// at a later random time (up to a minute after the first). Each delivery is signed as Stripe signs
/// (`Stripe-Signature: t=<now>,v1=<hex HMAC-SHA256 of "t.body" keyed by the whole whsec_ secret>`)
/// and POSTed over a real socket. Every event's `created` is re-stamped with its operation's
/// virtual second, so events of one second occur as they do with real Stripe.
final class ScenarioDeliveryLayer {
    static let dropRate = 0.10
    static let duplicateRate = 0.15
    static let delayRate = 0.20

    let port: Int
    let secret: String
    private(set) var events: [ScenarioEvent] = []
    private(set) var deliveries: [ScenarioDelivery] = []
    /// Deliveries not sent yet, ordered by time (then by scheduling order).
    private var queue: [Int] = []
    private var sent = 0
    private var fates: SeededGenerator
    private var shapes: SeededGenerator

    init(port: Int, secret: String, seed: UInt64) {
        self.port = port
        self.secret = secret
        fates = SeededGenerator(seed: seed ^ 0xF47E_D311_7E55_0001)
        shapes = SeededGenerator(seed: seed ^ 0x5A4E_AB1C_0000_0002)
    }

    /// Gives the event its shape, its `created` and its fate, and schedules its deliveries.
    func schedule(_ event: StripeObject, operation: Int, at time: TimeInterval, created: Int64, addedByFake: Bool) throws {
        let shape = StripeAPIShape.random(using: &shapes)
        let payload = try Self.encode(shape.rewrite(event, created: created))
        // Always five draws, so that one event's fate never shifts another's.
        let drop = Double.random(in: 0..<1, using: &fates)
        let delay = Double.random(in: 0..<1, using: &fates)
        let duplicate = Double.random(in: 0..<1, using: &fates)
        let firstAfter = Double.random(in: 0..<1, using: &fates)
        let copyAfter = Double.random(in: 0..<1, using: &fates)
        let fate = ScenarioEvent.Fate(dropped: drop < Self.dropRate, delayed: delay < Self.delayRate, duplicated: duplicate < Self.duplicateRate)
        var scheduled = ScenarioEvent(
            id: try ScenarioDriver.id(event), type: event["type"]?.string ?? "?", objectID: event["data"]?["object"]?["id"]?.string,
            operation: operation, created: created, shape: shape, addedByFake: addedByFake, payload: payload, fate: fate)
        let index = events.count
        if !fate.dropped {
            let first = time + (fate.delayed ? 2 + 18 * firstAfter : 0.1 + 1.4 * firstAfter)
            scheduled.deliveries.append(enqueue(ScenarioDelivery(event: index, at: first, isCopy: false)))
            if fate.duplicated {
                scheduled.deliveries.append(enqueue(ScenarioDelivery(event: index, at: first + 1 + 59 * copyAfter, isCopy: true)))
            }
        }
        events.append(scheduled)
    }

    private func enqueue(_ delivery: ScenarioDelivery) -> Int {
        let index = deliveries.count
        deliveries.append(delivery)
        // Binary search for the first queued delivery that comes later.
        var low = 0
        var high = queue.count
        while low < high {
            let middle = (low + high) / 2
            if deliveries[queue[middle]].at <= delivery.at { low = middle + 1 } else { high = middle }
        }
        queue.insert(index, at: low)
        return index
    }

    /// Sends, in virtual-time order, every delivery due by `time` (all of them when nil), calling
    /// `afterEach` with each one's time after it was answered.
    func deliver(until time: TimeInterval?, afterEach: (TimeInterval) throws -> Void) throws {
        while let next = queue.first, time.map({ deliveries[next].at <= $0 }) ?? true {
            queue.removeFirst()
            try send(next)
            try afterEach(deliveries[next].at)
        }
    }

    private func send(_ index: Int) throws {
        let payload = events[deliveries[index].event].payload
        let response = try HTTPTestClient.request(
            port: port, method: "POST", path: "/webhooks/stripe",
            headers: [("Content-Type", "application/json; charset=utf-8"), ("Stripe-Signature", Self.signature(payload, secret: secret))],
            body: payload)
        deliveries[index].order = sent
        sent += 1
        deliveries[index].status = response.status
        if (200..<300).contains(response.status) {
            deliveries[index].answer = (try? response.json())?["duplicate"] as? Bool == true ? "duplicate" : "new"
        } else {
            deliveries[index].answer = String(response.text.prefix(300))
        }
    }

    /// Stripe's scheme, written out here rather than borrowed from the code under test:
    /// `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed by the whole secret>`.
    static func signature(_ payload: [UInt8], secret: String, at time: Date = Date()) -> String {
        let timestamp = Int64(time.timeIntervalSince1970)
        let code = HMACSHA256.authenticationCode(for: Array("\(timestamp).".utf8) + payload, key: Array(secret.utf8))
        return "t=\(timestamp),v1=\(Hex.encode(code))"
    }

    static func encode(_ object: StripeObject) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(object))
    }

    // MARK: Counts

    struct Counts {
        var events = 0
        var sent = 0
        var dropped = 0
        var duplicated = 0
        var delayed = 0
        var refused = 0
    }

    var counts: Counts {
        var counts = Counts(events: events.count, sent: sent)
        for event in events {
            if event.fate.dropped { counts.dropped += 1; continue }
            if event.fate.delayed { counts.delayed += 1 }
            if event.fate.duplicated { counts.duplicated += 1 }
        }
        counts.refused = deliveries.filter { $0.status.map { !(200..<300).contains($0) } ?? false }.count
        return counts
    }

    /// Deliveries that were answered with something other than 2xx.
    var refusals: [ScenarioDelivery] {
        deliveries.filter { $0.status.map { !(200..<300).contains($0) } ?? false }
    }
}

import Foundation
import Testing
import Tollgate
@testable import TollgateBilling
@testable import TollgateCore
@testable import TollgateEntitlements
import TollgateLogging
import TollgateStore
import TollgateStripe
import TollgateTestSupport

/// An event rendered at a Stripe API version Tollgate does not read is stored and held as
/// `unsupported_version`, visibly, instead of being half-applied; a replay applies it once the
/// version is one Tollgate reads.
@Suite struct StripeEventVersionTests {
    /// A version after the pinned one.
    static let later = "2026-11-18.endive"

    @Test(arguments: Backend.allCases)
    func anEventOfALaterOrUnknownVersionIsStoredAndHeldNotApplied(backend: Backend) throws {
        let fixture = try WebhookFixture(backend)
        let applier = fixture.applier()
        try fixture.deliver("customer.subscription.created.new-shape")
        #expect(try applier.applyPending().applied == 1)
        let before = try #require(try fixture.subscription)

        // Known: the pinned version, older dated versions, none at all. Not known: later or unparseable.
        try fixture.deliver("customer.subscription.updated.new-shape", id: "evt_later", created: WebhookFixture.t0 + 600, ["api_version": Self.later])
        try fixture.deliver("customer.subscription.updated.new-shape", id: "evt_garbled", created: WebhookFixture.t0 + 700, ["api_version": "basil"])
        try fixture.deliver("customer.updated", id: "evt_pinned", ["api_version": StripeConfiguration.pinnedAPIVersion])
        try fixture.deliver("customer.updated", id: "evt_unversioned", ["api_version": NSNull()])
        let report = try applier.applyPending()
        #expect(report.applied == 2)
        #expect(report.held == 2 && report.ignored == 0, "\(report)")

        let later = try fixture.event("evt_later")
        #expect(later.status == .unsupportedVersion)
        #expect(later.attempts == 1 && later.lastError == nil)
        #expect(later.note?.contains("api_version \(Self.later) is newer than \(StripeConfiguration.pinnedAPIVersion)") == true)
        let garbled = try fixture.event("evt_garbled")
        #expect(garbled.status == .unsupportedVersion)
        #expect(garbled.note?.contains("is not a Stripe API version") == true)
        #expect(try fixture.event("evt_pinned").status == .applied)
        #expect(try fixture.event("evt_unversioned").status == .applied)
        #expect(try fixture.subscription == before, "nothing of the held events was applied")

        // Visible: listed by status, counted, and never picked up again by the applier.
        let held = try fixture.services.stripeEvents.list(status: .unsupportedVersion, page: try PageRequest(limit: 10)).items
        #expect(Set(held.map(\.id)) == ["evt_later", "evt_garbled"])
        #expect(try fixture.services.stripeEvents.watchedCounts() == [.pending: 0, .failed: 0, .unsupportedVersion: 2])
        #expect(try applier.applyPending().total == 0)

        // A replay while Tollgate still does not read the version holds it again.
        try fixture.services.stripeEvents.replay(id: "evt_later")
        #expect(try fixture.services.stripeEvents.watchedCounts()[.pending] == 1)
        _ = try applier.applyPending()
        #expect(try fixture.event("evt_later").status == .unsupportedVersion)

        // After an upgrade the replay applies it. (A Tollgate that reads the later version is
        // emulated by storing the event as rendered at the pinned one.)
        let payload = try #require(try fixture.services.stripeEvents.find(id: "evt_later")).payload
        let upgraded = payload.replacingOccurrences(of: Self.later, with: StripeConfiguration.pinnedAPIVersion)
        try fixture.services.database.transaction { connection in
            try connection.execute("UPDATE stripe_events SET payload = \(upgraded) WHERE id = \("evt_later")")
        }
        try fixture.services.stripeEvents.replay(id: "evt_later")
        #expect(try applier.applyPending().applied == 1)
        #expect(try fixture.event("evt_later").status == .applied)
        #expect(try fixture.subscription?.state.quantity == 5, "the update applied")
        #expect(try fixture.services.stripeEvents.watchedCounts()[.unsupportedVersion] == 1)
    }

    /// Migration 0012 widens the status CHECK (SQLite by rebuilding the table): events stored
    /// before it keep every column, the indexes are back, and a status outside the set is refused.
    @Test(arguments: Backend.allCases)
    func theMigrationKeepsStoredEventsAndAcceptsTheNewStatusOnly(backend: Backend) throws {
        let store = try TestDatabase.make(backend)
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("tollgate-0012-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let dialect = backend.dialect.rawValue
        let source = TestDatabase.repositoryRoot + "/migrations/" + dialect
        try FileManager.default.createDirectory(atPath: root + "/" + dialect, withIntermediateDirectories: true)
        let files = try FileManager.default.contentsOfDirectory(atPath: source).filter { $0.hasSuffix(".sql") }.sorted()
        for file in files where !file.hasPrefix("0012_") {
            try FileManager.default.copyItem(atPath: source + "/" + file, toPath: root + "/" + dialect + "/" + file)
        }
        let migrator = Migrator(database: store.database, root: root, logger: .disabled)
        _ = try migrator.migrate()
        let events = StripeEventStore(database: store.database)
        let payload = try WebhookPayloads.bytes("customer.updated")
        let received = Date(timeIntervalSince1970: 1_800_000_000.123)
        #expect(try events.insert(try WebhookEvent.Envelope(json: payload), payload: payload, now: received))
        #expect(throws: (any Error).self) {
            try store.database.withConnection { try $0.execute("UPDATE stripe_events SET status = 'unsupported_version'") }
        }
        let before = try #require(try events.find(id: "evt_TgCustomerUpdated"))

        let file = try #require(files.first { $0.hasPrefix("0012_") })
        try FileManager.default.copyItem(atPath: source + "/" + file, toPath: root + "/" + dialect + "/" + file)
        #expect(try migrator.migrate().map(\.fileName) == [file])
        let after = try #require(try events.find(id: "evt_TgCustomerUpdated"))
        #expect(after.record == before.record)
        #expect(after.payload == before.payload)
        #expect(try store.database.withConnection { try $0.execute("UPDATE stripe_events SET status = 'unsupported_version'") } == 1)
        #expect(throws: (any Error).self) {
            try store.database.withConnection { try $0.execute("UPDATE stripe_events SET status = 'bogus'") }
        }
        #expect(try events.list(status: .unsupportedVersion, page: try PageRequest(limit: 5)).items.map(\.id) == ["evt_TgCustomerUpdated"])
        if backend == .sqlite {
            let indexes: [String] = try store.database.withConnection { connection in
                try connection.query("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'stripe_events' AND name NOT LIKE 'sqlite_%' ORDER BY name")
                    .map { try $0.get("name") }
            }
            #expect(indexes == ["stripe_events_object", "stripe_events_pending", "stripe_events_received", "stripe_events_status"])
        }
    }
}

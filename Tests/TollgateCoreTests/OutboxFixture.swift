import Foundation
import Synchronization
import Testing
@testable import TollgateCore
@testable import TollgateEntitlements
import TollgateLogging
import TollgateMail
@testable import TollgateOutbox
import TollgateStore
import TollgateTestSupport
import TollgateBase

/// A migrated store with the example catalog and mail configured (rates off unless given), and a
/// transport that records what it is asked to send.
struct OutboxFixture {
    let store: TestDatabase
    let services: Services
    let transport = RecordingTransport()
    let logs = MemoryLogSink()

    init(_ backend: Backend, environment: [String: String] = [:]) throws {
        store = try migratedStore(backend)
        var variables = [
            "TOLLGATE_DATABASE_URL": store.url, "TOLLGATE_MAIL_URL": "file:///tmp/tollgate-outbox-tests",
            "TOLLGATE_MAIL_FROM": "Acme Analytics <billing@acme.example>", "TOLLGATE_APP_URL": "https://acme.example",
            "TOLLGATE_MAIL_RATE": "off", "TOLLGATE_MAIL_RECIPIENT_RATE": "off", "TOLLGATE_MAIL_RETRY_SECONDS": "0",
            "TOLLGATE_MAIL_MAX_ATTEMPTS": "3", "TOLLGATE_TEMPLATES_DIR": TestDatabase.repositoryRoot + "/templates",
        ]
        variables.merge(environment) { _, new in new }
        services = Services(
            configuration: try Configuration(environment: variables), database: store.database,
            migrationsRoot: TestDatabase.repositoryRoot + "/migrations", logger: Logger(label: "test", level: .trace, sink: logs))
        _ = try services.catalog.apply(try exampleCatalog())
    }

    var settings: MailSettings { get throws { try #require(services.configuration.mail) } }

    /// A worker sending through ``transport`` (or `transport`), on the system clock or `clock`.
    func worker(transport: (any MailTransport)? = nil, options: OutboxWorker.Options = .init(), clock: WallClock = .system) throws -> OutboxWorker {
        let chosen: any MailTransport = transport ?? self.transport
        return OutboxWorker(
            database: services.database, settings: try settings, templates: try services.configuration.mailTemplates(),
            rateLimits: MemoryRateLimitBackend(), options: options, logger: Logger(label: "outbox", level: .trace, sink: logs),
            clock: clock, makeTransport: { chosen })
    }

    /// Queues a `payment_failed` mail to `to` with `key`, committed.
    @discardableResult
    func enqueue(to: String = "ada@example.com", key: String = "test:\(UUID().uuidString)", template: String = "payment_failed") throws -> Bool {
        try services.database.transaction { connection in
            try Outbox.enqueue(OutboxMail(templateName: template, to: to, toName: "Ada", data: Self.paymentData, dedupeKey: key), on: connection)
        }
    }

    static let paymentData: MustacheValue = [
        "customer": ["name": "Ada Lovelace", "email": "ada@example.com"], "plan": ["name": "Pro"],
        "invoice": ["number": "INV-1", "amount": "$49.00"], "next_attempt": "March 1, 2026",
    ]

    func messages(_ status: OutboxStatus? = nil) throws -> [OutboxMessage] {
        try services.outbox.list(status: status, page: try PageRequest(limit: 100)).items
    }
}

/// Records every mail; fails the recipients told to fail.
final class RecordingTransport: MailTransport {
    private let state = Mutex<(sent: [OutgoingMail], failures: [String: MailError])>(([], [:]))

    /// Mail to `address` fails with `error` from now on.
    func fail(_ address: String, with error: MailError) {
        state.withLock { $0.failures[address] = error }
    }

    func heal(_ address: String) {
        state.withLock { _ = $0.failures.removeValue(forKey: address) }
    }

    var sent: [OutgoingMail] { state.withLock { $0.sent } }

    func send(_ mail: OutgoingMail) throws(MailError) -> SentMail {
        let failure = state.withLock { state -> MailError? in
            if let error = state.failures[mail.to.address] { return error }
            state.sent.append(mail)
            return nil
        }
        if let failure { throw failure }
        return SentMail(providerMessageID: "prov-" + mail.dedupeKey, sentAt: Date())
    }
}

/// A time of day that moves only when the test moves it, so a test says exactly which instants a
/// worker sees (no clock read twice across a millisecond or a second on a busy machine).
final class ManualClock: Sendable {
    private let instant: Mutex<Date>

    /// Starts a second ahead of the system clock, so mail queued now is already due.
    init(_ start: Date = Date().addingTimeInterval(1)) { instant = Mutex(start) }

    var wallClock: WallClock { WallClock { [self] in instant.withLock { $0 } } }

    func advance(by seconds: TimeInterval) { instant.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

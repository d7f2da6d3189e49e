package import Foundation
import Synchronization
import Tollgate
import TollgateCrypto
package import TollgateEntitlements
package import TollgateLogging
package import TollgateMail
package import TollgateStore
package import TollgateBase

/// Sends queued mail: claims due mail with a lease, renders it, waits for the provider's rate and
/// the recipient's cap, sends it, and records the outcome.
///
/// * **Claim**: ``OutboxStore`` marks a batch `sending` until the lease ends (`FOR UPDATE SKIP
///   LOCKED` on PostgreSQL, so workers in several processes never share a mail). A worker that dies
///   holding mail gives it back when the lease runs out: a crash loses nothing, and the mail in
///   flight at the crash is the most that can be sent twice.
/// * **Suppression**: mail to a suppressed address ends `suppressed` without being sent.
/// * **Rate limits** (GCRA, in the configured rate-limit backend, so `store` shares them between
///   instances): the provider rate makes the worker wait before sending; a recipient over the cap
///   gets the mail later (it goes back to `pending`, due when the cap allows, with no attempt counted).
/// * **Outcomes**: sent (the provider's id and the time), retried after an exponential backoff with
///   jitter on a transient failure, `dead` on a permanent one or after the last attempt. A recipient
///   the server refuses for good is added to the suppression list as a hard bounce.
package final class OutboxWorker: Sendable {
    package struct Options: Sendable {
        /// Mail claimed at a time per thread (fewer when the provider rate could not send them
        /// within half a lease). Default 20.
        package var batchSize: Int = 20
        /// How often an idle worker looks for due mail. Default 500 ms.
        package var pollInterval: Duration = .milliseconds(500)
        /// The longest backoff between attempts. Default 1 hour.
        package var retryCap: TimeInterval = 3600

        package init(batchSize: Int = 20, pollInterval: Duration = .milliseconds(500), retryCap: TimeInterval = 3600) {
            self.batchSize = batchSize
            self.pollInterval = pollInterval
            self.retryCap = retryCap
        }
    }

    /// What one pass sent and decided.
    package struct Report: Sendable, Equatable {
        package var sent = 0
        package var retried = 0
        package var dead = 0
        package var suppressed = 0
        /// Put back because the recipient was over the cap.
        package var deferred = 0

        package init() {}

        package var total: Int { sent + retried + dead + suppressed + deferred }

        mutating func add(_ other: Report) {
            sent += other.sent
            retried += other.retried
            dead += other.dead
            suppressed += other.suppressed
            deferred += other.deferred
        }
    }

    private let store: OutboxStore
    private let suppressions: SuppressionList
    private let settings: MailSettings
    private let renderer: MailRenderer
    private let makeTransport: @Sendable () -> any MailTransport
    private let rateLimits: any RateLimitBackend
    private let logger: Logger
    private let options: Options
    /// Unique per worker object: `host:pid:random`; a thread appends its index.
    private let ownerPrefix: String
    private let threads: BackgroundThreads
    /// The time of day every due, lease and backoff instant is taken from (tests move it by hand).
    private let clock: WallClock
    private let metrics: OutboxMetrics

    /// `metrics`: where outcomes and provider latency are counted (``OutboxMetrics``).
    package init(
        database: any Database, settings: MailSettings, templates: TemplateSet, rateLimits: any RateLimitBackend,
        options: Options = Options(), logger: Logger = .disabled, clock: WallClock = .system,
        makeTransport: (@Sendable () -> any MailTransport)? = nil, metrics: MetricsRegistry = MetricsRegistry()
    ) {
        self.clock = clock
        self.metrics = OutboxMetrics(metrics, transport: settings.transport)
        store = OutboxStore(database: database)
        suppressions = SuppressionList(database: database)
        self.settings = settings
        renderer = MailRenderer(templates: templates, settings: settings)
        self.rateLimits = rateLimits
        self.options = options
        self.logger = logger
        let transport = settings.transport
        let transportLogger = logger.labeled("mail-transport")
        self.makeTransport = makeTransport ?? { transport.makeTransport(logger: transportLogger) }
        ownerPrefix = "\(ProcessInfo.processInfo.hostName):\(getpid()):\((try? SecureRandom.token(6)) ?? "w")"
        threads = BackgroundThreads(name: "outbox-worker", count: settings.workers, pollInterval: options.pollInterval)
    }

    // MARK: Running

    /// Starts ``MailSettings/workers`` threads, each with its own transport (connection).
    package func start() {
        let transports = (0..<settings.workers).map { _ in makeTransport() }
        threads.start { [self] index in
            do {
                return try sendDue(transport: transports[index], owner: "\(ownerPrefix):\(index)").total > 0
            } catch {
                logger.warning("outbox worker: store unavailable", ["error": String(describing: error)])
                return false
            }
        }
    }

    /// Stops the threads after the mail in hand; mail they claimed but had not sent is given back
    /// at once. Waits at most `timeout`.
    package func stop(timeout: Duration = .seconds(30)) {
        threads.stop(timeout: timeout)
    }

    private var isStopping: Bool { threads.isStopping }

    /// Sends every mail due when the call starts on the calling thread, batch after batch, until
    /// none is left (or ``stop(timeout:)``); mail put back meanwhile (a retry, a deferral) is due no
    /// earlier than the store's next millisecond after the start, so it waits for a later call.
    /// For tests and one-off runs; ``start()`` runs the same on threads.
    @discardableResult
    package func sendDue(transport: (any MailTransport)? = nil, owner: String? = nil) throws -> Report {
        let transport = transport ?? makeTransport()
        let owner = owner ?? ownerPrefix
        var report = Report()
        let start = clock.now()
        // The store keeps milliseconds and this pass claims what is due by `start`: a mail put back
        // due at once (a zero backoff) within `start`'s millisecond would be claimed again by this
        // same pass. Mail put back is therefore due no earlier than the next millisecond.
        let notBefore = SQLTimestamp.nextStoredInstant(after: start)
        while !isStopping {
            let batch = try store.claim(owner: owner, limit: batchSize, lease: settings.leaseSeconds, dueBy: start, now: clock.now())
            guard !batch.isEmpty else { break }
            for (index, mail) in batch.enumerated() {
                if isStopping {
                    for unsent in batch[index...] {
                        try store.finish(id: unsent.id, owner: owner,
                                         outcome: .later(at: clock.now(), note: nil, error: nil, countsAsAttempt: false), now: clock.now())
                    }
                    break
                }
                let turn = try send(mail, transport: transport, owner: owner, notBefore: notBefore)
                metrics.add(turn)
                report.add(turn)
            }
        }
        return report
    }

    /// The claim size: at most what the provider rate can send in half a lease.
    private var batchSize: Int {
        guard let rate = settings.rate else { return options.batchSize }
        let perSecond = Double(rate.limit) / Double(rate.windowSeconds) / Double(settings.workers)
        return max(1, min(options.batchSize, Int(perSecond * settings.leaseSeconds / 2)))
    }

    // MARK: One mail

    /// Sends one claimed mail; a mail put back is due no earlier than `notBefore`.
    private func send(_ claimed: OutboxStore.Claimed, transport: any MailTransport, owner: String, notBefore: Date) throws -> Report {
        var report = Report()
        func finish(_ outcome: OutboxStore.Outcome) throws {
            var outcome = outcome
            if case .later(let at, let note, let error, let countsAsAttempt) = outcome, at < notBefore {
                outcome = .later(at: notBefore, note: note, error: error, countsAsAttempt: countsAsAttempt)
            }
            if try !store.finish(id: claimed.id, owner: owner, outcome: outcome, now: clock.now()) {
                logger.warning("outbox lease lost before the outcome was recorded", ["message": claimed.id])
            }
        }
        if let reason = claimed.suppressedBecause {
            try finish(.suppressed(note: "suppressed: \(reason)"))
            report.suppressed += 1
            return report
        }
        if let cap = settings.recipientRate {
            let decision = try rateLimits.consume(key: "mail:recipient:" + claimed.recipient.lowercased(), gcra: GCRA(cap), cost: 1)
            if !decision.allowed {
                let wait = Double(decision.retryAfterNanoseconds ?? 1_000_000_000) / 1e9
                try finish(.later(at: clock.now().addingTimeInterval(wait), note: "waiting: recipient over \(Self.describe(cap))",
                                  error: nil, countsAsAttempt: false))
                report.deferred += 1
                return report
            }
        }
        let mail: OutgoingMail
        do {
            mail = try render(claimed)
        } catch {
            try finish(.dead(error: "template \(claimed.template): \(error)"))
            report.dead += 1
            logger.warning("outbox mail cannot be rendered", ["message": claimed.id, "error": String(describing: error)])
            return report
        }
        try waitForProviderRate()
        guard clock.now() < claimed.leaseExpiresAt else {
            // The wait outlasted the lease: another worker may hold the mail now, so it is not sent here.
            try finish(.later(at: clock.now(), note: nil, error: nil, countsAsAttempt: false))
            logger.warning("outbox lease ran out while waiting for the provider rate; raise TOLLGATE_MAIL_LEASE_SECONDS",
                           ["message": claimed.id])
            return report
        }
        let result: Result<SentMail, MailError>
        let started = ContinuousClock.now
        do throws(MailError) {
            result = .success(try transport.send(mail))
            metrics.send(took: ContinuousClock.now - started, ok: true)
        } catch {
            metrics.send(took: ContinuousClock.now - started, ok: false)
            result = .failure(error)
        }
        switch result {
        case .success(let sent):
            try finish(.sent(providerMessageID: sent.providerMessageID, at: sent.sentAt))
            report.sent += 1
        case .failure(let error):
            if error.code == .recipientRejected {
                try suppressions.add(claimed.recipient, reason: .hardBounce, note: String(error.message.prefix(500)))
            }
            if error.isPermanent || claimed.attempts >= settings.maxAttempts {
                let reason = error.isPermanent ? error.description : "gave up after \(claimed.attempts) attempts: \(error)"
                try finish(.dead(error: reason))
                report.dead += 1
                logger.warning("outbox mail is dead", ["message": claimed.id, "template": claimed.template, "error": reason])
            } else {
                let delay = retryDelay(afterAttempts: claimed.attempts)
                try finish(.later(at: clock.now().addingTimeInterval(delay), note: nil, error: error.description, countsAsAttempt: true))
                report.retried += 1
                logger.info("outbox mail will be retried", ["message": claimed.id, "error": error.description, "in_seconds": String(Int(delay))])
            }
        }
        return report
    }

    /// Blocks until the provider rate admits one more mail (or the worker stops).
    private func waitForProviderRate() throws {
        guard let rate = settings.rate else { return }
        let gcra = GCRA(rate)
        while !isStopping {
            let decision = try rateLimits.consume(key: "mail:provider", gcra: gcra, cost: 1)
            if decision.allowed { return }
            let nanoseconds = min(decision.retryAfterNanoseconds ?? 1_000_000, 1_000_000_000)
            Thread.sleep(forTimeInterval: Double(max(nanoseconds, 100_000)) / 1e9)
        }
    }

    /// The delay before the next attempt (``Backoff`` from `TOLLGATE_MAIL_RETRY_SECONDS`).
    func retryDelay(afterAttempts made: Int) -> TimeInterval {
        Backoff.delay(afterAttempts: made, base: settings.retryBase, cap: options.retryCap)
    }

    /// The mail of `claimed`, rendered as ``MailRenderer`` does.
    private func render(_ claimed: OutboxStore.Claimed) throws -> OutgoingMail {
        let rendered = try renderer.render(template: claimed.template, data: claimed.data)
        return OutgoingMail(
            rendered, from: settings.from, to: MailAddress(claimed.recipient, name: claimed.recipientName), dedupeKey: claimed.dedupeKey,
            replyTo: settings.replyTo)
    }

    static func describe(_ policy: RateLimitPolicy) -> String {
        "\(policy.limit)/\(policy.windowSeconds)s"
    }
}

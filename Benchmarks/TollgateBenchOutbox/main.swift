import Foundation
import TollgateBase
import TollgateCore
import TollgateLogging
import TollgateMail
import TollgateOutbox
import TollgateStore
import TollgateTestSupport

/// Outbox throughput through the real worker: N queued mails rendered from `templates/` and sent
/// over SMTP to the aiosmtpd peer (`--smtp-port`, plain), each recorded `sent` in the store.
///
/// * `--rate off`: unthrottled, `--workers` threads, each with its own reused SMTP connection:
///   mails per second from starting the worker until every mail is recorded sent (polled every 50 ms).
/// * `--rate R`: `TOLLGATE_MAIL_RATE=R/1:1`; the measured rate is taken from the recorded send
///   times (first to last), so start-up does not count, and compared with R.
///
/// Usage: `tollgate-bench-outbox --smtp-port P [--backend sqlite|postgres] [--mails N] [--rate R|off] [--workers W]`.
/// Prints one JSON document.
func option(_ name: String) -> String? {
    let arguments = CommandLine.arguments
    return arguments.firstIndex(of: name).flatMap { arguments.indices.contains($0 + 1) ? arguments[$0 + 1] : nil }
}

func run() throws {
    guard let smtpPort = option("--smtp-port").flatMap(Int.init) else {
        throw ConfigurationError(variable: "--smtp-port", message: "the aiosmtpd plain port is required")
    }
    let backend = Backend(rawValue: option("--backend") ?? "sqlite") ?? .sqlite
    let rate = option("--rate") ?? "off"
    let total = Int(option("--mails") ?? "") ?? 5000
    let workers = Int(option("--workers") ?? "") ?? 4

    let store = try TestDatabase.make(backend, configuration: DatabaseConfiguration())
    defer { withExtendedLifetime(store) {} }
    let root = TestDatabase.repositoryRoot
    let configuration = try Configuration(environment: [
        "TOLLGATE_DATABASE_URL": store.url, "TOLLGATE_LOG_LEVEL": "warning", "TOLLGATE_TEMPLATES_DIR": root + "/templates",
        "TOLLGATE_MAIL_URL": "smtp://127.0.0.1:\(smtpPort)?tls=none", "TOLLGATE_MAIL_FROM": "Acme <billing@acme.example>",
        "TOLLGATE_APP_URL": "https://acme.example", "TOLLGATE_MAIL_RATE": rate == "off" ? "off" : "\(rate)/1:1",
        "TOLLGATE_MAIL_RECIPIENT_RATE": "off", "TOLLGATE_MAIL_WORKERS": String(workers),
    ])
    let services = Services(configuration: configuration, database: store.database, migrationsRoot: root + "/migrations",
                            logger: Logger(label: "bench", level: .warning))
    _ = try services.schema.migrator.migrate()
    let run = UUID().uuidString.lowercased().prefix(8)
    try store.database.transaction { connection in
        for index in 0..<total {
            let data: MustacheValue = [
                "customer": ["name": .string("Customer \(index)")], "plan": ["name": "Pro"],
                "invoice": ["number": .string("INV-\(index)"), "amount": "$49.00"], "next_attempt": "March 1, 2026",
            ]
            try Outbox.enqueue(
                OutboxMail(.paymentFailed, to: "bench+\(run)-\(index)@example.com", data: data, dedupeKey: "bench:\(run):\(index)"),
                on: connection)
        }
    }

    guard let worker = try OutboxWorker(services: services, options: .init(batchSize: 50, pollInterval: .milliseconds(20))) else {
        throw ConfigurationError(variable: "TOLLGATE_MAIL_URL", message: "mail is not configured")
    }
    let clock = ContinuousClock()
    let start = clock.now
    worker.start()
    while true {
        let counts = try services.outbox.counts()
        if counts[.sent, default: 0] + counts[.dead, default: 0] >= total { break }
        Thread.sleep(forTimeInterval: 0.05)
    }
    let elapsed = clock.now - start
    worker.stop(timeout: .seconds(10))
    let seconds = elapsed.seconds

    let counts = try services.outbox.counts()
    let times: [Date] = try store.database.withConnection { connection in
        try connection.query("SELECT sent_at FROM outbox_messages WHERE status = 'sent' ORDER BY sent_at").map { try $0.get("sent_at") }
    }
    var result: [String: Any] = [
        "benchmark": "outbox", "backend": backend.rawValue, "mails": total, "workers": workers, "rate": rate,
        "sent": counts[.sent] ?? 0, "dead": counts[.dead] ?? 0, "seconds": (seconds * 1000).rounded() / 1000,
        "mails_per_second": (Double(total) / seconds).rounded(),
    ]
    if let configured = Double(rate), let first = times.first, let last = times.last, times.count > 1 {
        let measured = Double(times.count - 1) / last.timeIntervalSince(first)
        result["measured_rate"] = (measured * 100).rounded() / 100
        result["rate_error_percent"] = ((measured - configured) / configured * 10_000).rounded() / 100
    }
    let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
    print(String(decoding: json, as: UTF8.self))
}

do {
    try run()
} catch {
    FileHandle.standardError.write(Data("tollgate-bench-outbox: \(error)\n".utf8))
    exit(1)
}

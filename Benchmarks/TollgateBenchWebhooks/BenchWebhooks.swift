import Foundation
import Synchronization
import TollgateAPI
import TollgateBase
import TollgateBilling
import TollgateCore
import TollgateEntitlements
import TollgateEvents
import TollgateLogging
import TollgateStore
import TollgateStripe
import TollgateTestSupport

/// Webhook intake and applier throughput, through the real code paths:
///
/// * **intake**: `POST /webhooks/stripe` over real keep-alive connections to the API server on
///   127.0.0.1, every event distinct (a repeated id would short-circuit as a duplicate), each
///   signed; counted when answered 200 and stored pending. Bodies and headers are made before the
///   clock starts, so the client's work is only sending and reading.
/// * **applier**: one applier draining the whole backlog (`customer.subscription.updated`, new API
///   shape, over 1,000 linked customers: each a real subscription change with its history row),
///   with its lanes (`--workers`, default the applier's) and events per transaction (`--batch`).
///   `drain_vs_intake` is the applier's rate over intake's: at least 1 keeps up. The CPU each
///   side spent while draining (this process, and on PostgreSQL the server's processes, read from
///   `/proc`) says what bounds the rate: `cpu_ms_per_event` against the machine's cores.
///
/// Usage: `tollgate-bench-webhooks [--backend sqlite|postgres] [--events N] [--connections C]
/// [--workers W] [--batch B]`.
/// PostgreSQL needs `TOLLGATE_TEST_POSTGRES_URL` (a fresh schema is made and dropped).
/// Prints one JSON document.
enum BenchWebhooks {
    static let secret = "whsec_bench_0123456789abcdef"
    static let customers = 1000

    static func main() {
        do {
            try run(Array(CommandLine.arguments.dropFirst()))
        } catch {
            FileHandle.standardError.write(Data("tollgate-bench-webhooks: \(error)\n".utf8))
            exit(1)
        }
    }

    static func run(_ arguments: [String]) throws {
        func option(_ name: String) -> String? {
            arguments.firstIndex(of: name).flatMap { arguments.indices.contains($0 + 1) ? arguments[$0 + 1] : nil }
        }
        let backend = Backend(rawValue: option("--backend") ?? "sqlite") ?? .sqlite
        let total = Int(option("--events") ?? "") ?? 20_000
        let connections = Int(option("--connections") ?? "") ?? 16
        var applierOptions = StripeEventApplier.Options()
        if let workers = option("--workers").flatMap(Int.init) { applierOptions.workers = max(1, workers) }
        if let batch = option("--batch").flatMap(Int.init) { applierOptions.batchSize = max(1, batch) }

        let store = try TestDatabase.make(backend, configuration: DatabaseConfiguration())
        defer { withExtendedLifetime(store) {} }
        let root = TestDatabase.repositoryRoot
        let configuration = try Configuration(environment: [
            "TOLLGATE_LISTEN": "127.0.0.1:0", "TOLLGATE_DATABASE_URL": store.url, "TOLLGATE_LOG_LEVEL": "warning",
            "TOLLGATE_STRIPE_WEBHOOK_SECRET": secret,
        ])
        let logger = Logger(label: "bench", level: .warning)
        let services = Services(configuration: configuration, database: store.database, migrationsRoot: root + "/migrations", logger: logger)
        _ = try services.schema.migrator.migrate()
        _ = try services.catalog.apply(try Catalog.parse(Data(contentsOf: URL(fileURLWithPath: root + "/examples/catalog.json"))))
        try store.database.transaction { connection in
            for index in 0..<customers {
                let now = Date()
                try connection.execute("""
                    INSERT INTO customers (id, external_id, metadata, stripe_customer_id, created_at, updated_at)
                    VALUES (\("cus_tg_bench_\(index)"), \("bench_\(index)"), '{}', \("cus_bench_\(index)"), \(now), \(now))
                    """)
            }
        }

        // Distinct, signed deliveries, made before the clock starts.
        let template = String(decoding: try Data(contentsOf: URL(fileURLWithPath: root + "/webhooks/events/customer.subscription.updated.new-shape.json")), as: UTF8.self)
        let base = Int(Date().timeIntervalSince1970) - 3600
        let signedAt = Int64(Date().timeIntervalSince1970)
        let deliveries: [(body: [UInt8], header: String)] = (0..<total).map { index in
            let customer = index % customers
            let text = template
                .replacingOccurrences(of: "evt_TgSubUpdatedNew", with: "evt_bench_\(index)")
                .replacingOccurrences(of: "\"created\": 1767226200", with: "\"created\": \(base + index / customers)")
                .replacingOccurrences(of: "cus_TgAcme0001", with: "cus_bench_\(customer)")
                .replacingOccurrences(of: "sub_1TgAcme0000001", with: "sub_bench_\(customer)")
                .replacingOccurrences(of: "\"quantity\": 5", with: "\"quantity\": \(1 + index % 50)")
            let body = Array(text.utf8)
            return (body, WebhookSignature.header(payload: body, timestamp: signedAt, secrets: [secret]))
        }

        let api = APIServer(services: services, logger: logger)
        try api.start()
        defer { api.shutdown(timeout: .seconds(5)) }

        // Intake: C threads, each with one keep-alive connection, taking the next delivery.
        let next = Atomic<Int>(0)
        let failures = Atomic<Int>(0)
        let latencies = Mutex<[Double]>([])
        let group = DispatchGroup()
        let started = ContinuousClock.now
        for _ in 0..<connections {
            group.enter()
            Thread {
                defer { group.leave() }
                var mine: [Double] = []
                guard let client = try? HTTPTestClient(port: api.port) else { failures.add(1, ordering: .relaxed); return }
                while true {
                    let index = next.add(1, ordering: .relaxed).oldValue
                    guard index < total else { break }
                    let delivery = deliveries[index]
                    let sent = ContinuousClock.now
                    let response = try? client.send(
                        method: "POST", path: "/webhooks/stripe",
                        headers: [("Content-Type", "application/json; charset=utf-8"), ("Stripe-Signature", delivery.header)], body: delivery.body)
                    mine.append((ContinuousClock.now - sent).seconds * 1000)
                    if response?.status != 200 { failures.add(1, ordering: .relaxed) }
                }
                latencies.withLock { $0 += mine }
            }.start()
        }
        group.wait()
        let intakeSeconds = (ContinuousClock.now - started).seconds
        let stored = try services.stripeEvents.counts()[.pending] ?? 0

        // Applier: the whole backlog, with what `serve` runs beside it that the applier's writes feed
        // (the event publisher, and the scheduler that announces entitlements.updated).
        let eventsBefore = try services.eventLog.head()
        // (`--no-announce`: the publisher only, to tell the scheduler's share.)
        let announce = !arguments.contains("--no-announce")
        let announcing = BackgroundServices(
            [EventPublisher(log: services.eventLog, logger: services.logger)]
                + (announce ? [EntitlementScheduler(entitlements: services.entitlements, logger: services.logger)] : []))
        announcing.start()
        let applier = StripeEventApplier(services: services, options: applierOptions)
        let serverBefore = try ServerCPU.sample(store.database)
        let selfBefore = ServerCPU.seconds(pid: "self")
        let applyStarted = ContinuousClock.now
        // Until the backlog is drained: a turn ends early when only events of customers the
        // scheduler holds are left (the applier defers them rather than wait).
        var report = try applier.applyPending()
        while try services.stripeEvents.counts()[.pending] ?? 0 > 0 {
            let more = try applier.applyPending()
            report.applied += more.applied
            report.stale += more.stale
            report.ignored += more.ignored
            report.held += more.held
            report.retried += more.retried
            report.failed += more.failed
            if more.total == 0 { Thread.sleep(forTimeInterval: 0.01) }
        }
        let applySeconds = (ContinuousClock.now - applyStarted).seconds
        // Until every change the applier made is announced and published.
        while try (announce && services.entitlements.announceDue() > 0) || services.eventLog.publish() != nil {}
        let announcedSeconds = (ContinuousClock.now - applyStarted).seconds
        announcing.stop(timeout: .seconds(10))
        let published = try services.eventLog.head() - eventsBefore
        let selfCPU = ServerCPU.seconds(pid: "self") - selfBefore
        let serverCPU = try ServerCPU.sample(store.database)?.spent(since: serverBefore)
        let applyRate = Double(report.total) / applySeconds
        let intakeRate = Double(stored) / intakeSeconds
        let perEvent = 1000 / Double(max(1, report.total))
        let cpuPerEvent: [String: Any] = [
            "applier_process": rounded(selfCPU * perEvent), "server": serverCPU.map { rounded($0 * perEvent) } ?? "n/a",
        ]
        let coresBusy: [String: Any] = [
            "applier_process": rounded(selfCPU / applySeconds), "server": serverCPU.map { rounded($0 / applySeconds) } ?? "n/a",
            "machine": ProcessInfo.processInfo.activeProcessorCount,
        ]

        let sorted = latencies.withLock { $0 }.sorted()
        func percentile(_ p: Double) -> Double {
            sorted.isEmpty ? 0 : (sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] * 100).rounded() / 100
        }
        let result: [String: Any] = [
            "backend": backend.rawValue,
            "events": total,
            "connections": connections,
            "pool_size": configuration.databasePoolSize,
            "intake": [
                "stored": stored, "non_200": failures.load(ordering: .relaxed), "seconds": (intakeSeconds * 1000).rounded() / 1000,
                "per_second": Int((Double(stored) / intakeSeconds).rounded()),
                "latency_ms": ["p50": percentile(0.5), "p90": percentile(0.9), "p99": percentile(0.99)],
            ],
            "applier": [
                "applied": report.applied, "stale": report.stale, "retried": report.retried, "failed": report.failed,
                "seconds": (applySeconds * 1000).rounded() / 1000, "per_second": Int((Double(report.total) / applySeconds).rounded()),
                "workers": applier.laneCount, "batch": applierOptions.batchSize,
                "cpu_ms_per_event": cpuPerEvent, "cpu_cores_busy": coresBusy,
            ],
            "drain_vs_intake": rounded(applyRate / intakeRate),
            "events_out": [
                "published": published, "seconds_until_all_announced": rounded(announcedSeconds),
                "per_second": Int((Double(published) / announcedSeconds).rounded()),
            ],
        ]
        let data = try JSONSerialization.data(withJSONObject: result, options: [.prettyPrinted, .sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }

    static func rounded(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
}

/// CPU time from `/proc`: this process's, and a local PostgreSQL server's processes' (every
/// backend `pg_stat_activity` lists, the writers included). Nil for SQLite, or a server whose
/// processes this machine does not show.
enum ServerCPU {
    /// utime + stime of `/proc/<pid>/stat`, in seconds (0 when unreadable).
    static func seconds(pid: String) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return 0 }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After the command: state is field 3, utime 14, stime 15.
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    struct Sample {
        var perProcess: [String: Double]
        func spent(since before: Sample?) -> Double? {
            guard let before else { return nil }
            return perProcess.reduce(0) { $0 + $1.value - (before.perProcess[$1.key] ?? 0) }
        }
    }

    static func sample(_ database: any Database) throws -> Sample? {
        guard database.dialect == .postgres else { return nil }
        let pids: [Int] = try database.withConnection { connection in
            try connection.query("SELECT pid FROM pg_stat_activity").map { try $0.get("pid") }
        }
        let perProcess = Dictionary(uniqueKeysWithValues: pids.map { (String($0), seconds(pid: String($0))) })
        return perProcess.values.contains { $0 > 0 } ? Sample(perProcess: perProcess) : nil
    }
}

import Foundation
import TollgateCore
import TollgateEntitlements
import TollgateMail
import TollgateStore
import TollgateWire

/// `tollgate doctor`: what an operator checks before (or instead of) starting the service — every
/// check in turn, each with what is wrong and what to do; exit 1 when any failed.
struct DoctorCommand: ParsableCommand {
    static let name = "doctor"
    static let summary = "Check the configuration, the store, the mail templates and Stripe; exit 1 if any check fails"
    static let discussion = """
        Checks, in order: the configuration (every variable at fault is named); the database named by
        TOLLGATE_DATABASE_URL (it exists, answers, and takes a write, rolled back); its schema
        (current for this build); with TOLLGATE_MAIL_URL, the mail templates (every mail the code
        sends); with TOLLGATE_STRIPE_API_KEY, Stripe (the key is accepted). A check that needs an
        earlier one that failed is skipped, saying so.

        In remote mode (TOLLGATE_API_URL) it checks the API instead: it answers and is ready (its
        /readyz: the server's store answers, takes writes, has a current schema) and it accepts the
        key; this machine's store, templates and Stripe are not its concern there (run doctor on the
        server for them).
        """

    /// One check's outcome.
    struct Check: Encodable {
        enum State: String, Encodable { case ok, failed, skipped }
        var name: String
        var state: State
        var detail: String
    }

    func run(_ context: CommandContext) throws {
        let checks = context.remote.map(Self.remoteChecks) ?? Self.checks(context)
        try context.emit(Page(all: checks)) { output in
            for check in checks {
                let mark = switch check.state { case .ok: "ok  "; case .failed: "FAIL"; case .skipped: "skip" }
                output.print("\(mark)  \(check.name): \(check.detail)")
            }
        }
        if checks.contains(where: { $0.state == .failed }) {
            throw CommandFailure("\(checks.filter { $0.state == .failed }.map(\.name).joined(separator: ", ")) failed")
        }
    }

    static func checks(_ context: CommandContext) -> [Check] {
        var checks: [Check] = []
        let configuration: Configuration
        do {
            configuration = try context.configuration()
            checks.append(Check(name: "configuration", state: .ok, detail: "every variable is valid"))
        } catch {
            checks.append(Check(name: "configuration", state: .failed, detail: "\(error)"))
            for name in ["database", "schema", "mail templates", "stripe"] {
                checks.append(Check(name: name, state: .skipped, detail: "needs a valid configuration"))
            }
            return checks
        }

        checks += storeChecks(context, configuration)

        if configuration.mail == nil {
            checks.append(Check(name: "mail templates", state: .skipped, detail: "TOLLGATE_MAIL_URL is unset: mail is queued, not sent"))
        } else {
            do {
                let templates = try configuration.mailTemplates()
                checks.append(Check(name: "mail templates", state: .ok, detail: "\(templates.names.count) templates, every mail the code sends"))
            } catch {
                checks.append(Check(name: "mail templates", state: .failed, detail: "\(error)"))
            }
        }

        do {
            if let base = try configuration.probeStripe(logger: context.logger(configuration)) {
                checks.append(Check(name: "stripe", state: .ok, detail: "\(base) accepts the key"))
            } else {
                checks.append(Check(name: "stripe", state: .skipped, detail: "TOLLGATE_STRIPE_API_KEY is unset"))
            }
        } catch {
            checks.append(Check(name: "stripe", state: .failed, detail: "\(error)"))
        }
        return checks
    }

    /// Remote mode: the API is ready, and takes the key; the local checks are skipped, saying why.
    static func remoteChecks(_ remote: RemoteAPI) -> [Check] {
        var checks: [Check] = []
        do {
            _ = try remote.send(APIRequest(.GET, "/readyz"))
            checks.append(Check(name: "api", state: .ok, detail: "\(remote.baseURL) is ready: its store answers, takes writes, and its schema is current"))
        } catch {
            checks.append(Check(name: "api", state: .failed, detail: CommandErrorReport.failure(for: error).message))
        }
        do {
            _ = try remote.send(APIRequest(.GET, "/v1/plans"))
            checks.append(Check(name: "api key", state: .ok, detail: "the API accepts TOLLGATE_API_KEY"))
        } catch {
            checks.append(Check(name: "api key", state: .failed, detail: CommandErrorReport.failure(for: error).message))
        }
        for name in ["configuration", "database", "schema", "mail templates", "stripe"] {
            checks.append(Check(name: name, state: .skipped, detail: "remote mode: the server's, checked by `tollgate doctor` where it runs"))
        }
        return checks
    }

    /// The database (exists, answers, takes a write that is rolled back) and its schema.
    private static func storeChecks(_ context: CommandContext, _ configuration: Configuration) -> [Check] {
        let name = "database"
        if case .sqlite(let path) = configuration.database, let missing = CommandContext.missingFile(path) {
            return [
                Check(name: name, state: .failed, detail: "no database at \(missing): set TOLLGATE_DATABASE_URL, or create it with `tollgate migrate`"),
                Check(name: "schema", state: .skipped, detail: "needs the database"),
            ]
        }
        let services: Services
        do {
            services = try Services.open(configuration: configuration, logger: context.logger(configuration))
        } catch {
            return [Check(name: name, state: .failed, detail: "\(error)"), Check(name: "schema", state: .skipped, detail: "needs the database")]
        }
        defer { services.database.close() }
        var checks: [Check] = []
        do {
            try services.database.transaction { connection in
                try connection.execute("CREATE TEMPORARY TABLE tollgate_doctor (checked INTEGER)")
                try connection.execute("INSERT INTO tollgate_doctor (checked) VALUES (1)")
                throw RolledBack()
            }
        } catch is RolledBack {
            checks.append(Check(name: name, state: .ok, detail: "\(services.database.dialect.rawValue) answers and takes writes"))
        } catch {
            checks.append(Check(name: name, state: .failed, detail: "\(error)"))
        }
        do {
            if let behind = try services.schema.pendingDescription() {
                checks.append(Check(name: "schema", state: .failed, detail: behind))
            } else {
                checks.append(Check(name: "schema", state: .ok, detail: "current"))
            }
        } catch {
            checks.append(Check(name: "schema", state: .failed, detail: "\(error)"))
        }
        return checks
    }

    /// Thrown to roll the write check back.
    private struct RolledBack: Error {}
}

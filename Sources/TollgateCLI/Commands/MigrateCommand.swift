import Foundation
import TollgateCore
import TollgateStore

/// `tollgate migrate [--status]`.
enum MigrateCommand {
    static let command = Command(
        "migrate", summary: "Apply pending schema migrations, or show their status",
        options: [.flag("--status", "Only show each migration's state; change nothing")],
        discussion: "Migrations are the numbered SQL files in migrations/<sqlite|postgres>. Each is applied in its own transaction; an applied migration whose file has changed is an error."
    ) { invocation in
        let services = try CommandEnvironment(invocation).openServices()
        defer { services.database.close() }
        let migrator = services.schema.migrator
        let output = invocation.output

        if invocation.flag("--status") {
            let statuses = try migrator.status()
            if invocation.json {
                try output.printJSON(statuses.map(StatusLine.init))
            } else {
                output.printTable(["VERSION", "NAME", "STATE", "APPLIED AT"], statuses.map { status in
                    let line = StatusLine(status)
                    return [String(line.version), line.name, line.state, line.appliedAt.map(SQLTimestamp.format) ?? ""]
                })
            }
            return
        }

        let applied = try migrator.migrate()
        if invocation.json {
            try output.printJSON(["applied": applied.map { "\(String(format: "%04d", $0.version))_\($0.name)" }])
        } else if applied.isEmpty {
            output.print("The schema is current; nothing to apply.")
        } else {
            for migration in applied { output.print("applied \(String(format: "%04d", migration.version)) \(migration.name)") }
        }
    }

    struct StatusLine: Encodable {
        var version: Int
        var name: String
        var state: String
        var appliedAt: Date?

        init(_ status: MigrationStatus) {
            version = status.version
            name = status.name
            switch status.state {
            case .applied(let at):
                state = "applied"
                appliedAt = at
            case .pending: state = "pending"
            case .checksumMismatch: state = "checksum_mismatch"
            case .missingFile: state = "missing_file"
            }
        }
    }
}

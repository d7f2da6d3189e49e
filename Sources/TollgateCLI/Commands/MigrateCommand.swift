import Foundation
import TollgateCore
import TollgateEntitlements
import TollgateStore

/// `tollgate migrate [--status]`.
struct MigrateCommand: ParsableCommand {
    static let name = "migrate"
    static let summary = "Apply pending schema migrations, or show their status"
    static let discussion = """
        Migrations are the numbered SQL files in migrations/<sqlite|postgres>. Each is applied in its own transaction; \
        an applied migration whose file has changed is an error.
        """

    @Flag("--status", "Only show each migration's state; change nothing") var status: Bool

    func run(_ context: CommandContext) throws {
        if status {
            let statuses = try context.withServices(anySchema: true) { try $0.schema.migrator.status() }.map(StatusLine.init)
            return try context.emit(Page(all: statuses), columns: [
                Column("VERSION") { String($0.version) }, Column("NAME") { $0.name }, Column("STATE") { $0.state },
                Column("APPLIED AT") { $0.appliedAt.map(HumanTime.text) ?? "" },
            ])
        }
        let applied = try context.withServices(creating: true, anySchema: true) { try $0.schema.migrator.migrate() }
        try context.emit(["applied": applied.map { "\(String(format: "%04d", $0.version))_\($0.name)" }]) { output in
            if applied.isEmpty { output.print("The schema is current; nothing to apply.") }
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

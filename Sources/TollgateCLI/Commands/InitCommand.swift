import Foundation
import TollgateCore

/// `tollgate init [DIR]`: a starting point — the example catalog and an environment file with every
/// setting at its default — written into DIR (default: the current folder), never over a file that
/// exists unless `--force`.
struct InitCommand: ParsableCommand {
    static let name = "init"
    static let summary = "Write a starter catalog (catalog.json) and an environment file (tollgate.env)"
    static let discussion = """
        catalog.json is the example catalog (three plans, seats, metered API calls, an AI credit pool:
        edit it, then `tollgate plans apply catalog.json`). tollgate.env lists every TOLLGATE_*
        variable at its default, commented out, under what it means. Existing files are kept unless
        --force.
        """

    @Argument("DIR", "Where to write (default: the current folder)") var directory: String?
    @Flag("--force", "Overwrite catalog.json and tollgate.env if they exist") var force: Bool

    struct Written: Encodable { var catalog: String; var environment: String }

    func run(_ context: CommandContext) throws {
        let files = FileManager.default
        let base = URL(fileURLWithPath: directory ?? ".", relativeTo: URL(fileURLWithPath: files.currentDirectoryPath + "/")).standardized
        try files.createDirectory(at: base, withIntermediateDirectories: true)
        let catalog = base.appendingPathComponent("catalog.json").path
        let environment = base.appendingPathComponent("tollgate.env").path
        let existing = [catalog, environment].filter(files.fileExists(atPath:))
        if !force, !existing.isEmpty {
            throw CommandFailure("\(existing.joined(separator: " and ")) exist\(existing.count == 1 ? "s" : ""): kept (--force overwrites)")
        }
        let example = try ExamplesDirectory.locate() + "/catalog.json"
        guard let catalogBytes = files.contents(atPath: example) else { throw CommandFailure("cannot read \(example)") }
        try catalogBytes.write(to: URL(fileURLWithPath: catalog))
        try Data(Configuration.environmentFileTemplate().utf8).write(to: URL(fileURLWithPath: environment))
        try context.emit(Written(catalog: catalog, environment: environment)) { output in
            output.print("Wrote \(catalog) and \(environment). Next:")
            output.print("  set -a; . \(environment); set +a   # after editing it")
            output.print("  tollgate migrate && tollgate plans apply \(catalog) && tollgate serve")
        }
    }
}

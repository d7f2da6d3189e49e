import TollgateCore
import TollgateEntitlements

/// `tollgate config check`.
enum ConfigCommands {
    static let group = Command.group("config", summary: "Inspect the configuration", [Command(Check.self)])

    struct Check: ParsableCommand {
        static let name = "check"
        static let summary = "Validate the configuration and print it with secrets redacted"
        static let discussion = """
            Exits 1 naming every variable at fault when values are invalid. With TOLLGATE_MAIL_URL set,
            the mail templates are loaded and checked too.
            """

        struct Entry: Encodable { var name: String; var value: String; var source: String }

        func run(_ context: CommandContext) throws {
            let configuration = try context.configuration()
            if configuration.mail != nil { _ = try configuration.mailTemplates() }
            let entries = configuration.redactedEntries().map { Entry(name: $0.name, value: $0.value, source: $0.source) }
            try context.emit(Page(all: entries)) { output in
                output.printTable(["VARIABLE", "VALUE", "SOURCE"], entries.map { [$0.name, $0.value, $0.source] })
                output.print()
                output.print("The configuration is valid.")
            }
        }
    }
}

import TollgateCore

/// `tollgate config check`.
enum ConfigCommands {
    static let command = Command("config", summary: "Inspect the configuration", subcommands: [check])

    static let check = Command(
        "check", summary: "Validate the configuration and print it with secrets redacted",
        discussion: """
            Exits 1 naming every variable at fault when values are invalid. With TOLLGATE_MAIL_URL set,
            the mail templates are loaded and checked too.
            """
    ) { invocation in
        let configuration = try Configuration(environment: invocation.environment)
        if configuration.mail != nil { _ = try configuration.mailTemplates() }
        let entries = configuration.redactedEntries()
        if invocation.json {
            struct Entry: Encodable { var name: String; var value: String; var source: String }
            try invocation.output.printJSON(entries.map { Entry(name: $0.name, value: $0.value, source: $0.source) })
        } else {
            invocation.output.printTable(["VARIABLE", "VALUE", "SOURCE"], entries.map { [$0.name, $0.value, $0.source] })
            invocation.output.print()
            invocation.output.print("The configuration is valid.")
        }
    }
}

import Foundation
import TollgateCore
import TollgateMail

/// `tollgate templates render`: preview a mail of `templates/`, or render any Mustache file.
/// `tollgate templates check`: check a templates folder against every mail Tollgate sends.
enum TemplatesCommands {
    static let command = Command("templates", summary: "Check and preview email templates", subcommands: [check, render])

    static let check = Command(
        "check", summary: "Check the mail templates against every mail Tollgate sends",
        options: [.value("--templates", "DIR", "The mail templates directory (default: TOLLGATE_TEMPLATES_DIR, else found as `serve` finds it)")],
        discussion: """
            Loads every template and partial, and checks each mail Tollgate sends: its subject,
            HTML and text templates exist and parse, the partials they include exist, and they
            look up only names the mail's data has. `serve` makes the same check at start-up when
            TOLLGATE_MAIL_URL is set. Exits 1 with one line per problem, naming the mail or the
            file, line and tag. Mails in the folder that Tollgate never sends are listed.
            """
    ) { invocation in
        let configured = invocation.value("--templates") ?? invocation.environment["TOLLGATE_TEMPLATES_DIR"].flatMap { $0.isEmpty ? nil : $0 }
        let directory = try TemplatesDirectory.locate(configured: configured)
        let templates = try Configuration.mailTemplates(directory: directory)
        let sent = MailTemplate.allCases.map(\.name)
        let unsent = templates.names.filter { !sent.contains($0) }
        if invocation.json {
            struct Report: Encodable { var directory: String; var mails: [String]; var notSent: [String] }
            try invocation.output.printJSON(Report(directory: directory, mails: sent, notSent: unsent))
        } else {
            invocation.output.print("The templates in \(directory) are valid for every mail Tollgate sends: \(sent.joined(separator: ", ")).")
            if !unsent.isEmpty { invocation.output.print("Not sent by Tollgate: \(unsent.joined(separator: ", ")).") }
        }
    }

    static let render = Command(
        "render", summary: "Render a mail (subject, text, HTML) or any Mustache template with JSON data",
        options: [
            .value("--data", "FILE", "JSON file with the data to render", required: true),
            .value("--templates", "DIR", "The mail templates directory (default: templates)"),
            .value("--template-file", "FILE", "Render this Mustache file instead of a mail"),
            .value("--partials", "DIR", "With --template-file: partials are the files DIR/NAME.mustache"),
        ],
        optionalArguments: ["NAME"],
        discussion: """
            Two forms:
              tollgate templates render NAME --data FILE.json [--templates DIR]
                  prints the mail's subject, text and HTML (--json: {"subject", "text", "html"}).
              tollgate templates render --template-file FILE --data FILE.json [--partials DIR]
                  prints the rendered template (--json: {"output": "…"}).
            A malformed template or a missing partial exits 1 naming the file, line and tag.
            """
    ) { invocation in
        let name = invocation.arguments.first
        let templateFile = invocation.value("--template-file")
        switch (name, templateFile) {
        case (nil, nil):
            throw UsageError("give a mail NAME or --template-file FILE", command: invocation.path)
        case (.some, .some):
            throw UsageError("give either a mail NAME or --template-file FILE, not both", command: invocation.path)
        case (.some(let name), nil):
            if invocation.value("--partials") != nil {
                throw UsageError("--partials goes with --template-file; a mail's partials are in --templates DIR/partials", command: invocation.path)
            }
            try renderMail(name, invocation: invocation)
        case (nil, .some(let file)):
            if invocation.value("--templates") != nil {
                throw UsageError("--templates goes with a mail NAME; use --partials DIR with --template-file", command: invocation.path)
            }
            try renderFile(file, invocation: invocation)
        }
    }

    private static func renderMail(_ name: String, invocation: Invocation) throws {
        let data = try readData(invocation)
        let mail = try templateErrors { () throws(MustacheError) -> RenderedMail in
            try TemplateSet.load(directory: invocation.value("--templates") ?? "templates").render(name, data: data)
        }
        if invocation.json {
            try invocation.output.printJSON(["subject": mail.subject, "text": mail.text, "html": mail.html] as [String: String])
        } else {
            invocation.output.print("Subject: \(mail.subject)")
            invocation.output.print()
            invocation.output.print("----- text -----")
            invocation.output.print(mail.text, terminator: mail.text.hasSuffix("\n") ? "" : "\n")
            invocation.output.print("----- html -----")
            invocation.output.print(mail.html, terminator: mail.html.hasSuffix("\n") ? "" : "\n")
        }
    }

    private static func renderFile(_ file: String, invocation: Invocation) throws {
        let data = try readData(invocation)
        let output = try templateErrors { () throws(MustacheError) -> String in
            let template = try TemplateSet.parse(URL(fileURLWithPath: file), name: file)
            var partials: [String: MustacheTemplate] = [:]
            if let directory = invocation.value("--partials") { partials = try loadPartials(directory) }
            return try template.render(data, partials: partials)
        }
        if invocation.json {
            try invocation.output.printJSON(["output": output] as [String: String])
        } else {
            invocation.output.print(output, terminator: "")
        }
    }

    /// Every `DIR/NAME.mustache`, as partial `NAME`.
    private static func loadPartials(_ directory: String) throws(MustacheError) -> [String: MustacheTemplate] {
        let files: [String]
        do {
            files = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw MustacheError(.unreadableFile, template: nil, line: 0, column: 0, reason: "cannot list the partials directory \(directory)")
        }
        var partials: [String: MustacheTemplate] = [:]
        for file in files where file.hasSuffix(".mustache") {
            let path = directory + "/" + file
            partials[String(file.dropLast(".mustache".count))] = try TemplateSet.parse(URL(fileURLWithPath: path), name: path)
        }
        return partials
    }

    private static func readData(_ invocation: Invocation) throws -> MustacheValue {
        let path = try invocation.required("--data")
        let bytes: Data
        do {
            bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw CommandFailure("cannot read the data file \(path)")
        }
        do {
            return try JSONDecoder().decode(MustacheValue.self, from: bytes)
        } catch {
            throw CommandFailure("the data file \(path) is not valid JSON")
        }
    }

    /// A template error becomes the operator's message: file, line, column and tag.
    private static func templateErrors<T>(_ body: () throws(MustacheError) -> T) throws -> T {
        do {
            return try body()
        } catch {
            throw CommandFailure(error.description)
        }
    }
}

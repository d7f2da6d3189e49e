import Foundation
import TollgateCore
import TollgateMail
import TollgateOutbox

/// `tollgate templates render`: preview a mail of `templates/`, or render any Mustache file.
/// `tollgate templates check`: check a templates folder against every mail Tollgate sends.
enum TemplatesCommands {
    static let group = Command.group("templates", summary: "Check and preview email templates", [Command(Check.self), Command(Render.self)])

    struct Check: ParsableCommand {
        static let name = "check"
        static let summary = "Check the mail templates against every mail Tollgate sends"
        static let discussion = """
            Loads every template and partial, and checks each mail Tollgate sends: its subject,
            HTML and text templates exist and parse, the partials they include exist, and they
            look up only names the mail's data has. `serve` makes the same check at start-up when
            TOLLGATE_MAIL_URL is set. Exits 1 with one line per problem, naming the mail or the
            file, line and tag. Mails in the folder that Tollgate never sends are listed.
            """

        @Option("--templates", "DIR", "The mail templates directory (default: TOLLGATE_TEMPLATES_DIR, else found as `serve` finds it)")
        var templates: String?

        struct Report: Encodable { var directory: String; var mails: [String]; var notSent: [String] }

        func run(_ context: CommandContext) throws {
            let configured = templates ?? context.environment["TOLLGATE_TEMPLATES_DIR"].flatMap { $0.isEmpty ? nil : $0 }
            let directory = try TemplatesDirectory.locate(configured: configured)
            let loaded = try Configuration.mailTemplates(directory: directory)
            let sent = MailTemplate.allCases.map(\.name)
            let unsent = loaded.names.filter { !sent.contains($0) }
            try context.emit(Report(directory: directory, mails: sent, notSent: unsent)) { output in
                output.print("The templates in \(directory) are valid for every mail Tollgate sends: \(sent.joined(separator: ", ")).")
                if !unsent.isEmpty { output.print("Not sent by Tollgate: \(unsent.joined(separator: ", ")).") }
            }
        }
    }

    struct Render: ParsableCommand {
        static let name = "render"
        static let summary = "Render a mail (subject, text, HTML) or any Mustache template with JSON data"
        static let discussion = """
            Two forms:
              tollgate templates render NAME --data FILE.json [--templates DIR]
                  prints the mail's subject, text and HTML (--json: {"subject", "text", "html"}).
              tollgate templates render --template-file FILE --data FILE.json [--partials DIR]
                  prints the rendered template (--json: {"output": "…"}).
            A malformed template or a missing partial exits 1 naming the file, line and tag.
            """

        @Argument("NAME") var mail: String?
        @Option("--data", "FILE", "JSON file with the data to render") var dataFile: String
        @Option("--templates", "DIR", "The mail templates directory (default: templates)") var templates: String?
        @Option("--template-file", "FILE", "Render this Mustache file instead of a mail") var templateFile: String?
        @Option("--partials", "DIR", "With --template-file: partials are the files DIR/NAME.mustache") var partials: String?

        func run(_ context: CommandContext) throws {
            switch (mail, templateFile) {
            case (nil, nil):
                throw UsageError("give a mail NAME or --template-file FILE")
            case (.some, .some):
                throw UsageError("give either a mail NAME or --template-file FILE, not both")
            case (.some(let name), nil):
                if partials != nil { throw UsageError("--partials goes with --template-file; a mail's partials are in --templates DIR/partials") }
                let data = try readData()
                let mail = try templateErrors { () throws(MustacheError) -> RenderedMail in
                    try TemplateSet.load(directory: templates ?? "templates").render(name, data: data)
                }
                try context.emit(["subject": mail.subject, "text": mail.text, "html": mail.html]) { output in
                    output.print("Subject: \(mail.subject)")
                    output.print()
                    output.print("----- text -----")
                    output.print(mail.text, terminator: mail.text.hasSuffix("\n") ? "" : "\n")
                    output.print("----- html -----")
                    output.print(mail.html, terminator: mail.html.hasSuffix("\n") ? "" : "\n")
                }
            case (nil, .some(let file)):
                if templates != nil { throw UsageError("--templates goes with a mail NAME; use --partials DIR with --template-file") }
                let data = try readData()
                let rendered = try templateErrors { () throws(MustacheError) -> String in
                    let template = try TemplateSet.parse(URL(fileURLWithPath: file), name: file)
                    return try template.render(data, partials: try partials.map(Self.loadPartials) ?? [:])
                }
                try context.emit(["output": rendered]) { $0.print(rendered, terminator: "") }
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

        private func readData() throws -> MustacheValue {
            let bytes: Data
            do {
                bytes = try Data(contentsOf: URL(fileURLWithPath: dataFile))
            } catch {
                throw CommandFailure("cannot read the data file \(dataFile)")
            }
            do {
                return try JSONDecoder().decode(MustacheValue.self, from: bytes)
            } catch {
                throw CommandFailure("the data file \(dataFile) is not valid JSON")
            }
        }

        /// A template error becomes the operator's message: file, line, column and tag.
        private func templateErrors<T>(_ body: () throws(MustacheError) -> T) throws -> T {
            do {
                return try body()
            } catch {
                throw CommandFailure(error.description)
            }
        }
    }
}

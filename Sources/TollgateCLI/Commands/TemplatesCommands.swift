import Foundation
import TollgateMail

/// `tollgate templates render`: preview a mail of `templates/`, or render any Mustache file.
enum TemplatesCommands {
    static let group = Command.group("templates", summary: "Preview email templates", [Command(Render.self)])

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

package import Foundation
import TollgateBase

/// The mail templates of a directory (the repository's `templates/`), parsed once at load.
///
/// Layout of the directory:
/// - `NAME.subject.mustache`, `NAME.html.mustache`, `NAME.text.mustache` for each mail `NAME`;
/// - `partials/P.mustache`, available to every template as `{{> P}}` (for example `layout.html`).
///
/// When `partials/layout.html.mustache` (or `layout.text.mustache`) exists, a mail's HTML (or text)
/// part is rendered inside it: the layout includes the mail's part as the partial `{{> content}}`.
/// The rendered subject is available to both parts as `{{subject}}` (when the data is an object).
/// Subject and text templates should use `{{{…}}}`: only the HTML part wants HTML escaping.
package struct TemplateSet: Sendable {
    /// The partial name under which a layout includes the mail's part.
    package static let contentPartial = "content"

    struct Mail: Sendable {
        var subject: MustacheTemplate
        var html: MustacheTemplate
        var text: MustacheTemplate
    }

    let mails: [String: Mail]
    let partials: [String: MustacheTemplate]

    /// The names of the mails, sorted.
    package var names: [String] { mails.keys.sorted() }

    /// Reads and parses every template under `directory`, and checks that each mail has its three
    /// parts and that every partial a template includes exists.
    package static func load(directory: String) throws(MustacheError) -> TemplateSet {
        let files = FileManager.default
        let root = URL(fileURLWithPath: directory)
        var partials: [String: MustacheTemplate] = [:]
        for file in try Self.templateFiles(in: root.appendingPathComponent("partials")) {
            let name = String(file.dropLast(".mustache".count))
            partials[name] = try Self.parse(root.appendingPathComponent("partials").appendingPathComponent(file), name: "partials/\(file)")
        }
        var parts: [String: [String: MustacheTemplate]] = [:]
        for file in try Self.templateFiles(in: root) {
            let stem = file.dropLast(".mustache".count)
            guard let dot = stem.lastIndex(of: "."), ["subject", "html", "text"].contains(String(stem[stem.index(after: dot)...])) else {
                continue
            }
            parts[String(stem[..<dot]), default: [:]][String(stem[stem.index(after: dot)...])] = try Self.parse(root.appendingPathComponent(file), name: file)
        }
        guard !parts.isEmpty || files.fileExists(atPath: directory) else {
            throw MustacheError(.unreadableFile, template: nil, line: 0, column: 0, reason: "no template directory at \(directory)")
        }
        var mails: [String: Mail] = [:]
        for (name, templates) in parts {
            guard let subject = templates["subject"], let html = templates["html"], let text = templates["text"] else {
                let missing = ["subject", "html", "text"].filter { templates[$0] == nil }.map { "\(name).\($0).mustache" }
                throw MustacheError(.missingTemplate, template: nil, line: 0, column: 0, reason: "mail `\(name)` lacks \(missing.joined(separator: ", ")) in \(directory)")
            }
            mails[name] = Mail(subject: subject, html: html, text: text)
        }
        let set = TemplateSet(mails: mails, partials: partials)
        try set.checkPartials()
        return set
    }

    /// Renders mail `name` with `data`.
    package func render(_ name: String, data: MustacheValue) throws(MustacheError) -> RenderedMail {
        guard let mail = mails[name] else {
            throw MustacheError(
                .missingTemplate, template: nil, line: 0, column: 0,
                reason: "no mail named `\(name)`; the templates define \(names.joined(separator: ", "))")
        }
        let subject = try mail.subject.render(data, partials: partials).trimmingCharacters(in: .whitespacesAndNewlines)
        var data = data
        if case .object(var members) = data, members["subject"] == nil {
            members["subject"] = .string(subject)
            data = .object(members)
        }
        return RenderedMail(
            subject: subject,
            html: try render(mail.html, layout: "layout.html", data: data),
            text: try render(mail.text, layout: "layout.text", data: data))
    }

    private func render(_ part: MustacheTemplate, layout: String, data: MustacheValue) throws(MustacheError) -> String {
        guard let layout = partials[layout] else { return try part.render(data, partials: partials) }
        var partials = partials
        partials[Self.contentPartial] = part
        return try layout.render(data, partials: partials)
    }

    /// A missing partial is reported at load, naming the template, the line and the tag.
    private func checkPartials() throws(MustacheError) {
        let templates = mails.values.flatMap { [$0.subject, $0.html, $0.text] } + partials.values
        for template in templates {
            for reference in template.partialReferences where partials[reference.name] == nil && reference.name != Self.contentPartial {
                throw MustacheError(
                    .missingPartial, template: template.name, line: reference.location.line, column: reference.location.column,
                    reason: "partial `\(reference.name)` not found (tag `\(reference.tag)`); partials are the files partials/NAME.mustache")
            }
        }
    }

    private static func templateFiles(in folder: URL) throws(MustacheError) -> [String] {
        guard FileManager.default.fileExists(atPath: folder.path) else { return [] }
        do {
            return try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".mustache") }.sorted()
        } catch {
            throw MustacheError(.unreadableFile, template: nil, line: 0, column: 0, reason: "cannot list \(folder.path): \(error.localizedDescription)")
        }
    }

    /// Reads and parses one file.
    package static func parse(_ file: URL, name: String) throws(MustacheError) -> MustacheTemplate {
        let source: String
        do {
            source = try String(contentsOf: file, encoding: .utf8)
        } catch {
            throw MustacheError(.unreadableFile, template: name, line: 0, column: 0, reason: "cannot read \(file.path): \(error.localizedDescription)")
        }
        return try MustacheTemplate(source, name: name)
    }
}

/// A rendered mail: its subject line and its HTML and plain-text bodies.
package struct RenderedMail: Sendable, Equatable {
    package var subject: String
    package var html: String
    package var text: String

    package init(subject: String, html: String, text: String) {
        self.subject = subject
        self.html = html
        self.text = text
    }
}

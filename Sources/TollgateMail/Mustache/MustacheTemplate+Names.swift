/// The names a template looks up, for checking them against the data a mail is given.
extension MustacheTemplate {
    /// A name a variable or section tag looks up, where, and inside which sections.
    package struct NameUse: Sendable, Equatable {
        /// The dotted name as written (`plan.name`); `.` for the implicit iterator.
        package var name: String
        /// The names of the sections around the tag, outermost first: a name is looked up in
        /// them before the root (`{{#manage}}{{url}}{{/manage}}` reads `manage.url`).
        package var sections: [String]
        /// The template the tag is in.
        package var template: String?
        package var line: Int
        package var column: Int
    }

    /// Every variable and section name, in source order, with the sections around it;
    /// `{{> partial}}` tags are not followed (see ``TemplateSet/nameUses(ofMail:)``).
    package var nameUses: [NameUse] {
        var uses: [NameUse] = []
        walk(nodes, sections: [], into: &uses) { _, _, _ in }
        return uses
    }

    /// Walks `nodes`, calling `partial` with each partial tag's name and the sections around it.
    func walk(
        _ nodes: [MustacheNode], sections: [String], into uses: inout [NameUse],
        partial: (String, [String], inout [NameUse]) -> Void
    ) {
        for node in nodes {
            switch node {
            case .text:
                break
            case .variable(let name, _, let location):
                uses.append(NameUse(name: name.description, sections: sections, template: self.name, line: location.line, column: location.column))
            case .section(let name, _, let children, let location):
                uses.append(NameUse(name: name.description, sections: sections, template: self.name, line: location.line, column: location.column))
                walk(children, sections: sections + [name.description], into: &uses, partial: partial)
            case .partial(let name, _, _, _):
                partial(name, sections, &uses)
            }
        }
    }
}

extension TemplateSet {
    /// Every name mail `name` looks up when rendered: in its subject, HTML and text parts, in the
    /// layouts around them and in every partial they include (a partial's names carry the sections
    /// around its tag). Nil when the set has no such mail.
    package func nameUses(ofMail name: String) -> [MustacheTemplate.NameUse]? {
        guard let mail = mails[name] else { return nil }
        var uses: [MustacheTemplate.NameUse] = []
        uses += names(in: mail.subject, sections: [], content: nil, depth: 0)
        for (part, layout) in [(mail.html, "layout.html"), (mail.text, "layout.text")] {
            if let layout = partials[layout] {
                uses += names(in: layout, sections: [], content: part, depth: 0)
            } else {
                uses += names(in: part, sections: [], content: nil, depth: 0)
            }
        }
        return uses
    }

    /// The names of `template` and of the partials it includes; `content` is what
    /// `{{> content}}` stands for in a layout.
    private func names(in template: MustacheTemplate, sections: [String], content: MustacheTemplate?, depth: Int) -> [MustacheTemplate.NameUse] {
        var uses: [MustacheTemplate.NameUse] = []
        // Recursive partials stop where rendering would (``MustacheError/Code/partialDepth``).
        guard depth < MustacheRenderer.maximumPartialDepth else { return uses }
        template.walk(template.nodes, sections: sections, into: &uses) { partial, around, uses in
            if partial == Self.contentPartial, let content {
                uses += names(in: content, sections: around, content: nil, depth: depth + 1)
            } else if let included = partials[partial] {
                uses += names(in: included, sections: around, content: content, depth: depth + 1)
            }
        }
        return uses
    }
}

import Foundation
import TollgateBase
import TollgateMail

/// The console's templates and stylesheet, read and parsed once at start-up from `console/`
/// (``TollgateCore/ConsoleDirectory``): `layout.mustache` wraps every page, whose own template in
/// `pages/` it includes as the partial `content`; `partials/` holds the pieces pages share;
/// `console.css` is served at `/admin/console.css`. Every value is escaped (`{{x}}`): no template
/// uses the unescaped forms.
struct ConsoleTemplates: Sendable {
    let layout: MustacheTemplate
    let pages: [String: MustacheTemplate]
    let partials: [String: MustacheTemplate]
    let stylesheet: [UInt8]

    static func load(directory: String) throws -> ConsoleTemplates {
        let root = URL(fileURLWithPath: directory)
        func templates(in folder: String) throws -> [String: MustacheTemplate] {
            let url = root.appendingPathComponent(folder)
            var result: [String: MustacheTemplate] = [:]
            for file in try FileManager.default.contentsOfDirectory(atPath: url.path) where file.hasSuffix(".mustache") {
                let name = String(file.dropLast(".mustache".count))
                result[name] = try TemplateSet.parse(url.appendingPathComponent(file), name: "\(folder)/\(file)")
            }
            return result
        }
        return ConsoleTemplates(
            layout: try TemplateSet.parse(root.appendingPathComponent("layout.mustache"), name: "layout.mustache"),
            pages: try templates(in: "pages"), partials: try templates(in: "partials"),
            stylesheet: Array(try Data(contentsOf: root.appendingPathComponent("console.css"))))
    }

    /// The page `name` inside the layout. `data` is the page's; `layout` the layout's (title, nav, session).
    func render(_ name: String, data: MustacheValue) throws -> String {
        guard let page = pages[name] else { throw ConsoleTemplateMissing(name: name) }
        var partials = partials
        partials[TemplateSet.contentPartial] = page
        return try layout.render(data, partials: partials)
    }
}

struct ConsoleTemplateMissing: Error, CustomStringConvertible {
    var name: String
    var description: String { "the console has no page template pages/\(name).mustache" }
}

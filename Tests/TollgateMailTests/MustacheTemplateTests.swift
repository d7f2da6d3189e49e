import Foundation
import Testing
import TollgateMail
import TollgateBase

/// Errors name the line and the tag; escaping; the data model.
@Suite struct MustacheTemplateTests {
    private func parseError(_ source: String, name: String? = "mail.html") -> MustacheError? {
        do {
            _ = try MustacheTemplate(source, name: name)
            return nil
        } catch {
            return error
        }
    }

    @Test func unclosedSectionNamesItsLine() throws {
        let error = try #require(parseError("Hi\n\n  {{#items}}\n{{name}}\n"))
        #expect(error.code == .unclosedSection)
        #expect(error.line == 3)
        #expect(error.column == 3)
        #expect(error.description == "mail.html: line 3, column 3: section `{{#items}}` is never closed: no `/items` tag follows")
    }

    @Test func mismatchedCloseTagNamesBothTags() throws {
        let error = try #require(parseError("{{#a}}\n{{#b}}\n{{/a}}\n"))
        #expect(error.code == .mismatchedCloseTag)
        #expect(error.line == 3)
        #expect(error.description.contains("`{{/a}}` does not match the open section `{{#b}}` (line 2)"))
    }

    @Test func closeWithoutOpen() throws {
        let error = try #require(parseError("one\ntwo {{/a}}"))
        #expect(error.line == 2)
        #expect(error.column == 5)
        #expect(error.description.contains("`{{/a}}` closes no open section"))
    }

    @Test func unclosedTag() throws {
        let error = try #require(parseError("line one\nline {{name two\nthree"))
        #expect(error.code == .unclosedTag)
        #expect(error.line == 2)
        #expect(error.description.contains("unclosed tag `{{name two`"))
    }

    @Test func badDelimiters() throws {
        let error = try #require(parseError("a\nb\n{{=<%=}}"))
        #expect(error.code == .badDelimiters)
        #expect(error.line == 3)
        #expect(error.description.contains("{{=<%=}}"))
    }

    @Test func emptyTag() throws {
        let error = try #require(parseError("x {{ }}"))
        #expect(error.code == .emptyTag)
    }

    @Test func missingPartialNamesTemplateLineAndTag() throws {
        let template = try MustacheTemplate("<p>\n  {{> footer}}\n</p>", name: "welcome.html")
        #expect(throws: MustacheError.self) { try template.render([:]) }
        do {
            _ = try template.render([:])
        } catch {
            #expect(error.code == .missingPartial)
            #expect(error.description == "welcome.html: line 2, column 3: partial `footer` not found (tag `{{> footer}}`)")
        }
        #expect(try template.render([:], missingPartial: .renderEmpty) == "<p>\n</p>")
    }

    @Test func selfIncludingPartialStops() throws {
        let loop = try MustacheTemplate("{{>loop}}", name: "loop")
        #expect(throws: MustacheError.self) { try loop.render([:], partials: ["loop": loop]) }
    }

    @Test func escapesHTMLInDoubleMustacheOnly() throws {
        let template = try MustacheTemplate("{{v}}|{{{v}}}|{{&v}}")
        let output = try template.render(["v": "<a href=\"x\">Tom & 'Jerry'</a>"])
        #expect(output == "&lt;a href=&quot;x&quot;&gt;Tom &amp; 'Jerry'&lt;/a&gt;|<a href=\"x\">Tom & 'Jerry'</a>|<a href=\"x\">Tom & 'Jerry'</a>")
    }

    @Test func numbersRenderLikeJSON() throws {
        let template = try MustacheTemplate("{{a}} {{b}} {{c}} {{d}}")
        #expect(try template.render(["a": 85, "b": 1.5, "c": -3, "d": 0.0]) == "85 1.5 -3 0")
    }

    @Test func decodesJSONAndRendersReusably() throws {
        let json = #"{"name":"Ada","paid":true,"items":[{"sku":"A"},{"sku":"B"}],"total":12,"note":null}"#
        let data = try JSONDecoder().decode(MustacheValue.self, from: Data(json.utf8))
        #expect(data["paid"] == .bool(true))
        #expect(data["total"] == .integer(12))
        let template = try MustacheTemplate("{{name}}:{{#items}}{{sku}}{{/items}}{{^note}}-{{/note}}{{#paid}}!{{/paid}}")
        for _ in 0..<3 { #expect(try template.render(data) == "Ada:AB-!") }
    }

    @Test func templateIsSendableAcrossTasks() async throws {
        let template = try MustacheTemplate("{{n}}")
        let results = try await withThrowingTaskGroup(of: String.self) { group in
            for n in 0..<8 { group.addTask { try template.render(["n": .number(Double(n))]) } }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(Set(results) == Set((0..<8).map(String.init)))
    }
}

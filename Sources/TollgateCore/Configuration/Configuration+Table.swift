import Foundation

/// The configuration reference's table (`docs/configuration.md`), rendered from the declarations.
extension Configuration {
    /// The document that holds the table, relative to the repository's root.
    static let referenceDocument = "docs/configuration.md"
    /// The line before the table in the document.
    static let tableStartMarker = "<!-- configuration table: rendered from Configuration.settings (Sources/TollgateCore/Configuration/Settings*.swift); do not edit by hand -->"
    /// The line after it.
    static let tableEndMarker = "<!-- end of the configuration table -->"

    /// Every variable of ``settings`` as a Markdown table: name, default, what it accepts, summary.
    /// ``referenceDocument`` holds exactly this text between ``tableStartMarker`` and ``tableEndMarker``
    /// (`SettingsTableTests` compares them).
    static func markdownTable() -> String {
        var lines = ["| variable | default | values | meaning |", "|---|---|---|---|"]
        for setting in settings {
            let defaultCell = setting.defaultText.map { "`\($0)`" } ?? setting.unsetMeaning
            var meaning = setting.summary
            if case .secret = setting.secrecy { meaning += ". Secret: `config check` prints `\(Redaction.mask)`" }
            lines.append("| `\(setting.name)` | \(defaultCell) | \(setting.accepts) | \(meaning) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension Configuration {
    /// An environment file with every variable of ``settings`` commented out at its default, each
    /// under its summary (`tollgate init`): the same declarations as the configuration reference's table.
    package static func environmentFileTemplate() -> String {
        var lines = [
            "# Tollgate's settings (tollgate init). Every variable is shown at its default, commented out;",
            "# uncomment what you change. `tollgate config check` validates them, `tollgate doctor` tries them.",
        ]
        for setting in settings {
            lines.append("")
            var summary = setting.summary.replacingOccurrences(of: "`", with: "")
            if case .secret = setting.secrecy { summary += " (a secret: keep this file private)" }
            lines.append("# \(summary)")
            lines.append("# \(setting.name)=\(setting.defaultText ?? "")")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

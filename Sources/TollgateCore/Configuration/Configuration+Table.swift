/// The README's configuration table, rendered from the declarations.
extension Configuration {
    /// The line before the table in the README.
    static let tableStartMarker = "<!-- configuration table: rendered from Configuration.settings (Sources/TollgateCore/Configuration/Settings*.swift); do not edit by hand -->"
    /// The line after it.
    static let tableEndMarker = "<!-- end of the configuration table -->"

    /// Every variable of ``settings`` as a Markdown table: name, default, what it accepts, summary.
    /// The README holds exactly this text between ``tableStartMarker`` and ``tableEndMarker``
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

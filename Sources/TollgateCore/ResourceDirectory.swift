import Foundation

/// Finds a folder the service reads at run time (`migrations/`, `templates/`, `console/`) in a checkout or an
/// installation: the configured path when set; else relative to the executable — going up from its
/// folder, the first `share/tollgate/NAME` (an installation: `PREFIX/bin/tollgate` reads
/// `PREFIX/share/tollgate/NAME`, see scripts/install) or `NAME` (a checkout's `.build/…/tollgate`);
/// else `./NAME`. The executable's own files come first, so an installed binary run inside some
/// checkout never reads that checkout's migrations.
package enum ResourceDirectory {
    /// - Parameters:
    ///   - name: the folder's name (`migrations`).
    ///   - marker: a subfolder that proves it is the right folder (`sqlite`).
    ///   - configured: the path from `variable`, when set.
    package static func locate(name: String, marker: String, configured: String?, variable: String) throws(ConfigurationError) -> String {
        let files = FileManager.default
        func holds(_ path: String) -> Bool {
            var isDirectory: ObjCBool = false
            return files.fileExists(atPath: path + "/" + marker, isDirectory: &isDirectory) && isDirectory.boolValue
        }
        if let configured {
            guard holds(configured) else {
                throw ConfigurationError(variable: variable, message: "\(configured) has no \(marker)/ folder")
            }
            return configured
        }
        if let executable = try? files.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            var folder = URL(fileURLWithPath: executable).deletingLastPathComponent()
            while folder.path != "/" {
                for candidate in [folder.appendingPathComponent("share/tollgate/" + name).path, folder.appendingPathComponent(name).path] {
                    if holds(candidate) { return candidate }
                }
                folder = folder.deletingLastPathComponent()
            }
        }
        let local = files.currentDirectoryPath + "/" + name
        if holds(local) { return local }
        throw ConfigurationError(variable: variable, message: "no \(name) folder found; set it to the folder that holds \(marker)/")
    }
}

/// Finds the folder that holds `sqlite/` and `postgres/` migrations (`TOLLGATE_MIGRATIONS_DIR`).
package enum MigrationsDirectory {
    package static func locate(configured: String?) throws(ConfigurationError) -> String {
        try ResourceDirectory.locate(name: "migrations", marker: "sqlite", configured: configured, variable: "TOLLGATE_MIGRATIONS_DIR")
    }
}

/// Finds the mail templates folder, the one holding `partials/` (`TOLLGATE_TEMPLATES_DIR`).
package enum TemplatesDirectory {
    package static func locate(configured: String?) throws(ConfigurationError) -> String {
        try ResourceDirectory.locate(name: "templates", marker: "partials", configured: configured, variable: "TOLLGATE_TEMPLATES_DIR")
    }
}

/// Finds the examples folder, the one holding `mail/` (the starter catalog `tollgate init` copies).
package enum ExamplesDirectory {
    package static func locate() throws(ConfigurationError) -> String {
        try ResourceDirectory.locate(name: "examples", marker: "mail", configured: nil, variable: "examples")
    }
}

/// Finds the admin console's folder, the one holding `pages/` (its templates and stylesheet, issue 19;
/// scripts/install copies it to `PREFIX/share/tollgate/console`).
package enum ConsoleDirectory {
    package static func locate() throws(ConfigurationError) -> String {
        try ResourceDirectory.locate(name: "console", marker: "pages", configured: nil, variable: "console")
    }
}

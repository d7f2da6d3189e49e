import Foundation

/// Finds a folder the service reads at run time (`migrations/`, `templates/`) in a checkout or an
/// installation: the configured path when set; else `./NAME`; else the first `NAME` folder in a
/// parent of the executable's folder (a checkout's `.build/…/tollgate`).
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
        let local = files.currentDirectoryPath + "/" + name
        if holds(local) { return local }
        if let executable = try? files.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            var folder = URL(fileURLWithPath: executable).deletingLastPathComponent()
            while folder.path != "/" {
                let candidate = folder.appendingPathComponent(name).path
                if holds(candidate) { return candidate }
                folder = folder.deletingLastPathComponent()
            }
        }
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

import Foundation

/// Finds the folder that holds `sqlite/` and `postgres/` migrations.
public enum MigrationsDirectory {
    /// `configured` (TOLLGATE_MIGRATIONS_DIR) when set; else `./migrations`; else the first
    /// `migrations` folder in a parent of the executable's folder (a checkout's `.build/…/tollgate`).
    public static func locate(configured: String?) throws(ConfigurationError) -> String {
        let files = FileManager.default
        func holdsMigrations(_ path: String) -> Bool {
            var isDirectory: ObjCBool = false
            return files.fileExists(atPath: path + "/sqlite", isDirectory: &isDirectory) && isDirectory.boolValue
        }
        if let configured {
            guard holdsMigrations(configured) else {
                throw ConfigurationError(variable: "TOLLGATE_MIGRATIONS_DIR", message: "\(configured) has no sqlite/ and postgres/ folders")
            }
            return configured
        }
        let local = files.currentDirectoryPath + "/migrations"
        if holdsMigrations(local) { return local }
        if let executable = try? files.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            var folder = URL(fileURLWithPath: executable).deletingLastPathComponent()
            while folder.path != "/" {
                let candidate = folder.appendingPathComponent("migrations").path
                if holdsMigrations(candidate) { return candidate }
                folder = folder.deletingLastPathComponent()
            }
        }
        throw ConfigurationError(variable: "TOLLGATE_MIGRATIONS_DIR", message: "no migrations folder found; set it to the folder that holds sqlite/ and postgres/")
    }
}

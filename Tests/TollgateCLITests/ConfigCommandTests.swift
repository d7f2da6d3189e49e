import Foundation
import Testing
@testable import TollgateCLI

/// `tollgate config check`, in process.
@Suite struct ConfigCommandTests {
    /// Every bad variable is named, in text (one line each) and in `--json` (one detail each).
    @Test func checkNamesEveryBadVariable() throws {
        let environment = ["TOLLGATE_LISTEN": "nowhere", "TOLLGATE_DATABASE_POOL_SIZE": "0", "TOLLGATE_MAIL_RATE": "fast"]
        let text = CapturedOutput()
        #expect(TollgateCLI.run(["config", "check"], environment: environment, output: text.output) == 1)
        let lines = text.standardError.split(separator: "\n")
        for name in ["TOLLGATE_LISTEN", "TOLLGATE_DATABASE_POOL_SIZE", "TOLLGATE_MAIL_RATE"] {
            #expect(lines.contains { $0.contains(name + ":") }, "\(name) in \(text.standardError)")
        }

        let json = CapturedOutput()
        #expect(TollgateCLI.run(["config", "check", "--json"], environment: environment, output: json.output) == 1)
        let body = try #require(try JSONSerialization.jsonObject(with: Data(json.standardError.utf8)) as? [String: Any])
        let error = try #require(body["error"] as? [String: Any])
        #expect(error["code"] as? String == "configuration")
        let fields = (error["details"] as? [[String: Any]])?.compactMap { $0["field"] as? String }
        #expect(fields == ["TOLLGATE_LISTEN", "TOLLGATE_DATABASE_POOL_SIZE", "TOLLGATE_MAIL_RATE"])
    }
}

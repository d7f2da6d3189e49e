import Testing
@testable import TollgateCore
@testable import TollgateEntitlements
import TollgateLogging
import TollgateStore

@Suite struct ConfigurationTests {
    @Test func defaultsGiveTheEmbeddedSQLiteStoreOnLoopback() throws {
        let configuration = try Configuration(environment: [:])
        #expect(configuration.listen == ListenAddress(host: "127.0.0.1", port: 8080))
        #expect(configuration.database == .sqlite(path: "./tollgate.db"))
        #expect(configuration.logLevel == .info)
        #expect(configuration.databasePoolSize == 8)
    }

    @Test func environmentOverridesDefaults() throws {
        let configuration = try Configuration(environment: [
            "TOLLGATE_LISTEN": "[::1]:9000",
            "TOLLGATE_DATABASE_URL": "postgres://app:pw@db.internal/tollgate?sslmode=require",
            "TOLLGATE_LOG_LEVEL": "DEBUG",
            "TOLLGATE_HTTP_MAX_CONNECTIONS": "4",
        ])
        #expect(configuration.listen == ListenAddress(host: "::1", port: 9000))
        #expect(configuration.listen.description == "[::1]:9000")
        #expect(configuration.database.dialect == .postgres)
        #expect(configuration.logLevel == .debug)
        #expect(configuration.httpMaxConnections == 4)
    }

    @Test(arguments: [
        ("TOLLGATE_LISTEN", "8080"),
        ("TOLLGATE_LISTEN", "127.0.0.1:99999"),
        ("TOLLGATE_LISTEN", ":80"),
        ("TOLLGATE_DATABASE_URL", "mysql://x"),
        ("TOLLGATE_DATABASE_URL", "sqlite:"),
        ("TOLLGATE_LOG_LEVEL", "loud"),
        ("TOLLGATE_DATABASE_POOL_SIZE", "0"),
        ("TOLLGATE_HTTP_IDLE_TIMEOUT", "ten"),
        ("TOLLGATE_API_KEY_CACHE_SECONDS", "-1"),
    ])
    func invalidValueIsAnErrorNamingTheVariable(variable: String, value: String) {
        #expect {
            _ = try Configuration(environment: [variable: value])
        } throws: { error in
            (error as? ConfigurationError)?.variable == variable
        }
    }

    @Test func printedConfigurationRedactsTheDatabasePassword() throws {
        let configuration = try Configuration(environment: ["TOLLGATE_DATABASE_URL": "postgres://app:hunter2@db/tollgate"])
        let entries = configuration.redactedEntries()
        let database = try #require(entries.first { $0.name == "TOLLGATE_DATABASE_URL" })
        #expect(database.value == "postgres://app:****@db/tollgate")
        #expect(database.source == "environment")
        #expect(!entries.map(\.value).joined().contains("hunter2"))
        #expect(entries.first { $0.name == "TOLLGATE_LISTEN" }?.source == "default")
    }

    @Test(arguments: [
        ("postgres://app:hunter2@db/tollgate", "postgres://app:****@db/tollgate"),
        ("postgresql://db/tollgate?user=app&password=hunter2", "postgresql://db/tollgate?user=app&password=****"),
        ("postgres://app@db/tollgate", "postgres://app@db/tollgate"),
        ("sqlite:./tollgate.db", "sqlite:./tollgate.db"),
    ])
    func databaseURLRedaction(url: String, redacted: String) {
        #expect(Redaction.databaseURL(url) == redacted)
    }
}

@Suite struct APIKeyFormatTests {
    @Test func scopesNest() {
        #expect(APIKeyScope.admin.allows(.write))
        #expect(APIKeyScope.admin.allows(.read))
        #expect(APIKeyScope.write.allows(.read))
        #expect(!APIKeyScope.write.allows(.admin))
        #expect(!APIKeyScope.read.allows(.write))
    }

    @Test func tokenParsingAcceptsOnlyTheTollgateShape() {
        let token = APIKeyToken(id: "abcdefABCDEF", secret: String(repeating: "x", count: 40))
        #expect(APIKeyToken(parsing: token.value)?.id == "abcdefABCDEF")
        #expect(APIKeyToken(parsing: "tg_short_" + String(repeating: "x", count: 40)) == nil)
        #expect(APIKeyToken(parsing: "sk_abcdefABCDEF_" + String(repeating: "x", count: 40)) == nil)
        #expect(APIKeyToken(parsing: "tg_abcdefABCDEF_" + String(repeating: "x", count: 39)) == nil)
        #expect(APIKeyToken(parsing: "tg_abcdefABCDE!_" + String(repeating: "x", count: 40)) == nil)
        #expect(APIKeyToken(parsing: "") == nil)
    }

    @Test func pageRequestsValidateTheLimit() throws {
        #expect(try PageRequest().limit == 20)
        #expect(try PageRequest(limit: 100).limit == 100)
        #expect(throws: DomainError.self) { try PageRequest(limit: 0) }
        #expect(throws: DomainError.self) { try PageRequest(limit: 101) }
    }
}

import Foundation
import TollgateCore
import TollgateEntitlements
import TollgateLogging
import TollgateStore
import TollgateWire

/// What a running command has besides its parameters: where its output goes, whether it prints
/// JSON, its environment, and the helpers every command shares — open the services for the length
/// of a closure (``withServices(_:)``), print a result as JSON or as text (``emit(_:text:)``).
struct CommandContext {
    /// `["tollgate", "keys", "create"]`.
    var path: [String]
    var environment: [String: String]
    var output: Output
    /// Standard input: whether a person is at it, for the confirmations of destructive commands.
    var input: Input = .none
    /// `--json`: stdout gets one JSON document, a failure one error body on stderr.
    var json: Bool
    /// Remote mode (`TOLLGATE_API_URL`, `--api-url`): the HTTP API of a running `tollgate serve`
    /// instead of the store. nil: the store named by `TOLLGATE_DATABASE_URL`.
    var remote: RemoteAPI? = nil

    /// The configuration from the environment, validated.
    func configuration() throws -> Configuration {
        try Configuration(environment: environment)
    }

    /// A logger at the configured level, writing to this command's standard error.
    func logger(_ configuration: Configuration) -> Logger {
        Logger(label: "tollgate", level: configuration.logLevel, sink: output.logSink)
    }

    /// Opens the services (configuration, logger, store), runs `body`, and closes them whatever
    /// `body` does.
    ///
    /// The CLI never guesses a database: unless `creating` (`migrate`, `serve --migrate`), a SQLite
    /// file that does not exist is an error naming `TOLLGATE_DATABASE_URL` and `tollgate migrate`,
    /// not a new empty file in the current directory; unless `anySchema` (`migrate`, and `serve`,
    /// which says it itself), a store whose schema is behind this build is refused the same way.
    ///
    /// In remote mode it refuses (``requireStore()``): a command that reaches it has no API
    /// counterpart. Commands that do have one go through ``perform(_:local:)``.
    func withServices<T>(creating: Bool = false, anySchema: Bool = false, _ body: (Services) throws -> T) throws -> T {
        try requireStore()
        let configuration = try configuration()
        if !creating, case .sqlite(let path) = configuration.database, let missing = Self.missingFile(path) {
            throw CommandFailure(
                "no database at \(missing): set TOLLGATE_DATABASE_URL to your database (sqlite:PATH or postgres://…), "
                    + "or create one there with `tollgate migrate`")
        }
        let services = try Services.open(configuration: configuration, logger: logger(configuration))
        defer { services.database.close() }
        if !anySchema, let behind = try services.schema.pendingDescription() {
            throw CommandFailure("the database named by TOLLGATE_DATABASE_URL is not ready: \(behind)")
        }
        return try body(services)
    }

    /// Runs the command's one operation: `local` against the store, or in remote mode `request`
    /// through the HTTP API, its answer decoded into the same model type — so the command prints
    /// the same text, JSON and failures either way.
    func perform<T: Decodable>(_ request: @autoclosure () throws -> APIRequest, local: (Services) throws -> T) throws -> T {
        try withSession { try $0.perform(request(), local: local) }
    }

    /// ``perform(_:local:)`` where the answer needs more than decoding (its status says
    /// "created", a member holds a stored payload, …): `remote` reads it into what `local` returns.
    func perform<T>(_ request: @autoclosure () throws -> APIRequest, local: (Services) throws -> T, remote read: (APIResponse) throws -> T) throws -> T {
        try withSession { try $0.perform(request(), local: local, remote: read) }
    }

    /// ``perform(_:local:)`` for a list the command prints whole where the API pages it: every
    /// page, in order.
    func performAll<Item: Decodable & Sendable>(_ request: @autoclosure () throws -> APIRequest, cursor: (Item) -> String, local: (Services) throws -> [Item]) throws -> [Item] {
        guard let remote else { return try withServices(local) }
        return try remote.all(try request(), cursor: cursor)
    }

    /// Holds the store (or, in remote mode, the API) for several operations of one command — a
    /// file imported batch after batch — each stated once with ``Session/perform(_:local:)``.
    func withSession<T>(_ body: (Session) throws -> T) throws -> T {
        if let remote { return try body(Session(target: .remote(remote))) }
        return try withServices { try body(Session(target: .local($0))) }
    }

    /// Refuses remote mode for a command that needs the store itself (`migrate`, `serve`, a
    /// command with no API counterpart): an error naming the command and where it runs.
    func requireStore() throws {
        guard remote != nil else { return }
        throw Failure(.invalid, code: "store_only", message:
            "`\(path.joined(separator: " "))` needs the store and has no HTTP API counterpart, so it does not run in remote mode "
                + "(TOLLGATE_API_URL / --api-url): run it with TOLLGATE_DATABASE_URL on a machine that reaches the store")
    }

    /// The absolute path of a SQLite database file that does not exist; nil when it exists or
    /// `path` is not a plain file path (`:memory:`, a `file:` URI).
    static func missingFile(_ path: String) -> String? {
        guard path != ":memory:", !path.hasPrefix("file:") else { return nil }
        let absolute = URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath + "/")).standardized.path
        return FileManager.default.fileExists(atPath: absolute) ? nil : absolute
    }

    /// Prints `value`: as JSON with `--json` (the wire's JSON, as the API writes it, pretty-printed),
    /// else as `text` writes it for people.
    func emit<T: Encodable>(_ value: T, text: (Output) throws -> Void) throws {
        if json {
            try output.printJSON(value)
        } else {
            try text(output)
        }
    }

    /// Prints a stored record with its stored JSON body as member `name` (one document) with
    /// `--json`, else as `text` writes it.
    func emit<T: Encodable>(_ value: T, embedding body: String, as name: String, text: (Output) throws -> Void) throws {
        if json {
            try output.printJSON(value, embedding: body, as: name)
        } else {
            try text(output)
        }
    }

    /// Prints a page of a list: `{"data": […], "has_more": …}` with `--json`, else a table with
    /// `columns` and, when more follow, the option that continues after the last row.
    func emit<Item: Encodable>(_ page: Page<Item>, columns: [Column<Item>], cursor: ((Item) -> String)? = nil) throws {
        try emit(page) { output in
            output.printTable(columns.map(\.header), page.items.map { item in columns.map { $0.value(item) } })
            if page.hasMore, let cursor, let last = page.items.last { output.print("More: --starting-after \(cursor(last))") }
        }
    }
}

/// The store or the API, held by ``CommandContext/withSession(_:)``.
struct Session {
    enum Target {
        case local(Services)
        case remote(RemoteAPI)
    }

    let target: Target

    /// `local` on the held store, or `request` sent to the API and decoded into the same type.
    func perform<T: Decodable>(_ request: @autoclosure () throws -> APIRequest, local: (Services) throws -> T) throws -> T {
        try perform(request(), local: local) { try $0.decode(T.self) }
    }

    /// ``perform(_:local:)`` with the API's answer read by `remote`.
    func perform<T>(_ request: @autoclosure () throws -> APIRequest, local: (Services) throws -> T, remote read: (APIResponse) throws -> T) throws -> T {
        switch target {
        case .local(let services): try local(services)
        case .remote(let api): try read(try api.send(try request()))
        }
    }
}

/// A column of a table for people: its header and each row's text.
struct Column<Item> {
    var header: String
    var value: (Item) -> String

    init(_ header: String, _ value: @escaping (Item) -> String) {
        self.header = header
        self.value = value
    }
}

/// `--limit N` and `--starting-after ID`: the page of a list to show (the API's `limit` and
/// `starting_after`). A list command declares `var page = PageOptions(cursor: "EVT_ID", …)`.
struct PageOptions: ParameterGroup {
    @Option var limit: Int?
    @Option var startingAfter: String?

    init(cursor: String, _ help: String) {
        _limit = Option("--limit", "N", "How many (1–\(PageRequest.maximumLimit), default \(PageRequest.defaultLimit))")
        _startingAfter = Option("--starting-after", cursor, help)
    }

    /// The request; a limit out of range is the API's `invalid_request` naming `limit`.
    func request() throws -> PageRequest {
        try PageRequest(limit: limit, startingAfter: startingAfter)
    }
}

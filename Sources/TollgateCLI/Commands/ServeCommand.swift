import TollgateAPI
import TollgateBase
import TollgateBilling
import TollgateCore
import TollgateLogging
import TollgateOutbox
import TollgateStore

/// `tollgate serve`: runs the HTTP API until SIGTERM or SIGINT, then shuts down gracefully.
struct ServeCommand: ParsableCommand {
    static let name = "serve"
    static let summary = "Run the HTTP service"
    static let discussion = """
        Configuration comes from TOLLGATE_* environment variables (see `tollgate config check`).
        The service refuses to start on a schema that is behind unless --migrate is given.
        A background thread applies stored Stripe webhook events as they arrive; with
        TOLLGATE_MAIL_URL set, the mail templates are checked first (see `tollgate templates
        check`) and outbox workers send queued mail.
        On SIGTERM or SIGINT it stops accepting connections, finishes in-flight requests
        (up to TOLLGATE_SHUTDOWN_TIMEOUT seconds), lets the webhook applier finish the event
        in hand, and closes the store.
        """

    @Flag("--migrate", "Apply pending migrations before serving instead of refusing to start") var migrate: Bool

    func run(_ context: CommandContext) throws {
        let signals = ShutdownSignals()
        // With mail on, the templates of every mail the code sends are checked before anything starts.
        let mailConfiguration = try context.configuration()
        let templates = try mailConfiguration.mail.map { _ in try mailConfiguration.mailTemplates() }
        try context.withServices(creating: migrate, anySchema: true) { services in
            let configuration = services.configuration
            let logger = services.logger
            let timeout = Duration.seconds(configuration.shutdownTimeout)
            if let behind = try services.schema.pendingDescription() {
                guard migrate else {
                    throw CommandFailure("the schema is behind: \(behind). Run `tollgate migrate`, or start with `tollgate serve --migrate`.")
                }
                let applied = try services.schema.migrator.migrate()
                logger.notice("migrations applied", ["count": String(applied.count)])
            }

            let background = try services.backgroundServices(templates: templates)
            background.start()
            defer { background.stop(timeout: timeout) }

            let api = APIServer(services: services, logger: logger)
            try api.start()
            logger.notice("listening", [
                "url": "http://\(ListenAddress(host: configuration.listen.host, port: api.port))",
                "port": String(api.port),
                "store": services.database.dialect.rawValue,
                "stripe_webhooks": services.webhooks.isConfigured ? "enabled" : "disabled",
                "mail": configuration.mail.map { "\($0.transport)" } ?? "disabled (queued, not sent)",
            ])
            let signal = signals.wait()
            logger.notice("shutting down", ["signal": signal])
            api.shutdown(timeout: timeout)
            background.stop(timeout: timeout)
            logger.notice("stopped")
        }
    }
}

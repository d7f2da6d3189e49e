import TollgateAPI
import TollgateCore

/// `tollgate serve`: runs the HTTP API until SIGTERM or SIGINT, then shuts down gracefully.
enum ServeCommand {
    static let command = Command(
        "serve", summary: "Run the HTTP service",
        options: [.flag("--migrate", "Apply pending migrations before serving instead of refusing to start")],
        discussion: """
            Configuration comes from TOLLGATE_* environment variables (see `tollgate config check`).
            The service refuses to start on a schema that is behind unless --migrate is given.
            A background thread applies stored Stripe webhook events as they arrive; with
            TOLLGATE_MAIL_URL set, the mail templates are checked first (see `tollgate templates
            check`) and outbox workers send queued mail.
            On SIGTERM or SIGINT it stops accepting connections, finishes in-flight requests
            (up to TOLLGATE_SHUTDOWN_TIMEOUT seconds), lets the webhook applier finish the event
            in hand, and closes the store.
            """
    ) { invocation in
        let signals = ShutdownSignals()
        let environment = try CommandEnvironment(invocation)
        // With mail on, the templates of every mail the code sends are checked before anything starts.
        let templates = try environment.configuration.mail.map { _ in try environment.configuration.mailTemplates() }
        let logger = environment.logger
        let services = try environment.openServices()
        defer { services.database.close() }

        if let behind = try services.schema.pendingDescription() {
            guard invocation.flag("--migrate") else {
                throw CommandFailure("the schema is behind: \(behind). Run `tollgate migrate`, or start with `tollgate serve --migrate`.")
            }
            let applied = try services.schema.migrator.migrate()
            logger.notice("migrations applied", ["count": String(applied.count)])
        }

        let applier = StripeEventApplier(services: services)
        applier.start()
        defer { applier.stop(timeout: .seconds(environment.configuration.shutdownTimeout)) }

        let mailer = try OutboxWorker(services: services, templates: templates)
        mailer?.start()
        defer { mailer?.stop(timeout: .seconds(environment.configuration.shutdownTimeout)) }

        let api = APIServer(services: services, logger: logger)
        try api.start()
        let listen = environment.configuration.listen
        logger.notice("listening", [
            "url": "http://\(ListenAddress(host: listen.host, port: api.port))",
            "port": String(api.port),
            "store": services.database.dialect.rawValue,
            "stripe_webhooks": services.webhooks.isConfigured ? "enabled" : "disabled",
            "mail": environment.configuration.mail.map { "\($0.transport)" } ?? "disabled (queued, not sent)",
        ])
        let signal = signals.wait()
        logger.notice("shutting down", ["signal": signal])
        api.shutdown(timeout: .seconds(environment.configuration.shutdownTimeout))
        applier.stop(timeout: .seconds(environment.configuration.shutdownTimeout))
        mailer?.stop(timeout: .seconds(environment.configuration.shutdownTimeout))
        logger.notice("stopped")
    }
}

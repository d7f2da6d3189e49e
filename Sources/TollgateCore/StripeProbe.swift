package import TollgateLogging
import TollgateStripe

extension Configuration {
    /// Whether Stripe accepts the configured key: one `GET /v1/customers?limit=1` with the service's
    /// retry rules (`tollgate doctor`). Returns the API's base URL; nil when Stripe is not configured.
    package func probeStripe(logger: Logger) throws -> String? {
        guard let stripe else { return nil }
        _ = try StripeClient(configuration: stripe, logger: logger).get("/v1/customers", ["limit": "1"])
        return stripe.baseURL
    }
}

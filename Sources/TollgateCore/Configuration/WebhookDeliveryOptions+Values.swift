import Foundation
import TollgateMail
import TollgateWebhookEndpoints

extension WebhookDeliveryOptions {
    /// The options the `TOLLGATE_WEBHOOK_*` variables and `TOLLGATE_OPERATOR_EMAIL` give (finished
    /// deliveries are purged with the event log: `TOLLGATE_EVENT_RETENTION_DAYS`, ``EventRetention``).
    init(values: inout SettingValues) {
        self.init()
        workers = values[Settings.webhookWorkers]
        lease = TimeInterval(values[Settings.webhookLeaseSeconds])
        let timeout = values[Settings.webhookTimeoutSeconds]
        self.timeout = .seconds(timeout)
        connectTimeout = .seconds(min(5, timeout))
        if Double(timeout) >= lease {
            values.fail(Settings.webhookTimeoutSeconds.name, "must be less than TOLLGATE_WEBHOOK_LEASE_SECONDS (\(Int(lease)))")
        }
        retryBase = TimeInterval(values[Settings.webhookRetrySeconds])
        retryFor = TimeInterval(values[Settings.webhookRetryHours]) * 3600
        disableAfter = TimeInterval(values[Settings.webhookDisableAfterDays]) * 86_400
        operatorEmail = values[Settings.operatorEmail]?.address
    }
}

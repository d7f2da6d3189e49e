// Transactional email: Mustache templates, transports, the outbox worker (issue "Transactional email").
import TollgateLogging

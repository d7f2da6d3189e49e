import Foundation
package import TollgateHTTPClient
package import TollgateLogging

/// Settings of ``PostmarkTransport``, from `postmark://TOKEN@api.postmarkapp.com?stream=outbound`.
package struct PostmarkConfiguration: Sendable, Equatable, CustomStringConvertible {
    /// The server token (`X-Postmark-Server-Token`). Never printed.
    package var serverToken: String
    /// `https://api.postmarkapp.com` by default; tests point it at a local server (`?scheme=http`).
    package var baseURL: String
    /// The message stream (`MessageStream`). Default `outbound` (Postmark's transactional stream).
    package var messageStream: String
    package var connectTimeout: Duration
    package var timeout: Duration

    package init(
        serverToken: String, baseURL: String = "https://api.postmarkapp.com", messageStream: String = "outbound",
        connectTimeout: Duration = .seconds(10), timeout: Duration = .seconds(30)
    ) {
        self.serverToken = serverToken
        self.baseURL = baseURL
        self.messageStream = messageStream
        self.connectTimeout = connectTimeout
        self.timeout = timeout
    }

    package var description: String { "postmark \(baseURL) (stream: \(messageStream))" }
}

/// Sends mail with Postmark's single-message API:
/// [`POST /email`](https://postmarkapp.com/developer/api/email-api#send-a-single-email) with
/// `X-Postmark-Server-Token` and the JSON body `{From, To, ReplyTo, Subject, TextBody, HtmlBody,
/// MessageStream, Headers: [{Name, Value}], Metadata}`; the answer's `MessageID` becomes
/// ``SentMail/providerMessageID``.
///
/// Postmark has no idempotency key, so a retry after a lost answer can send twice. The outbox's
/// dedupe key travels as the `X-Tollgate-Dedupe` header and as `Metadata.tollgate_dedupe_key`
/// (both visible in Postmark's activity and webhooks), which is how a duplicate is recognised.
///
/// Errors: 401/403 → ``MailError/Code/authenticationFailed``; 422 with `ErrorCode` 300 (invalid
/// address) or 406 (inactive recipient) → ``MailError/Code/recipientRejected``, other 4xx →
/// ``MailError/Code/permanentFailure``; 429 and 5xx → ``MailError/Code/temporaryFailure``.
package struct PostmarkTransport: MailTransport {
    package let configuration: PostmarkConfiguration
    private let client: HTTPClient
    private let logger: Logger

    package init(configuration: PostmarkConfiguration, client: HTTPClient = HTTPClient(), logger: Logger = .disabled) {
        self.configuration = configuration
        self.client = client
        self.logger = logger.labeled("postmark")
    }

    struct Body: Encodable {
        struct Header: Encodable {
            var Name: String
            var Value: String
        }
        var From: String
        var To: String
        var ReplyTo: String?
        var Subject: String
        var TextBody: String
        var HtmlBody: String
        var MessageStream: String
        var Headers: [Header]
        var Metadata: [String: String]
    }

    struct Answer: Decodable {
        var MessageID: String?
        var ErrorCode: Int?
        var Message: String?
    }

    package func send(_ mail: OutgoingMail) throws(MailError) -> SentMail {
        try mail.validate()
        let body = Body(
            From: MIME.addressField(mail.from), To: MIME.addressField(mail.to), ReplyTo: mail.replyTo.map(MIME.addressField),
            Subject: mail.subject, TextBody: mail.text, HtmlBody: mail.html, MessageStream: configuration.messageStream,
            Headers: mail.headers.map { Body.Header(Name: $0.name, Value: $0.value) } + [Body.Header(Name: "X-Tollgate-Dedupe", Value: mail.dedupeKey)],
            Metadata: ["tollgate_dedupe_key": mail.dedupeKey])
        let encoded: Data
        do { encoded = try JSONEncoder().encode(body) } catch {
            throw MailError(code: .invalidMessage, message: "the mail could not be encoded as JSON")
        }
        let request = HTTPClient.Request(
            method: .POST, url: configuration.baseURL + "/email",
            headers: ["Accept": "application/json", "Content-Type": "application/json", "X-Postmark-Server-Token": configuration.serverToken],
            body: Array(encoded), connectTimeout: configuration.connectTimeout, timeout: configuration.timeout)
        let response: HTTPClient.Response
        do { response = try client.perform(request) } catch {
            let code: MailError.Code = switch error.code {
            case .couldNotConnect: .couldNotConnect
            case .timedOut: .timedOut
            case .connectionLost: .connectionLost
            case .tls: .tls
            default: .other
            }
            throw MailError(code: code, message: MailError.redacting("Postmark request failed: \(error.description)", secrets: [configuration.serverToken]))
        }
        let answer = try? JSONDecoder().decode(Answer.self, from: Data(response.body))
        let detail = MailError.redacting("Postmark answered \(response.status)" + (answer?.ErrorCode.map { " ErrorCode \($0)" } ?? "")
            + (answer?.Message.map { ": \($0.prefix(200))" } ?? ""), secrets: [configuration.serverToken])
        switch response.status {
        case 200..<300:
            guard let id = answer?.MessageID, !id.isEmpty else {
                throw MailError(code: .other, message: "Postmark answered \(response.status) without a MessageID", status: response.status)
            }
            return SentMail(providerMessageID: id, sentAt: Date(), serverResponse: answer?.Message)
        case 401, 403:
            throw MailError(code: .authenticationFailed, message: detail, status: response.status)
        case 429, 500..<600:
            throw MailError(code: .temporaryFailure, message: detail, status: response.status)
        case 422 where [300, 406].contains(answer?.ErrorCode ?? 0):
            throw MailError(code: .recipientRejected, message: detail, status: response.status)
        default:
            throw MailError(code: .permanentFailure, message: detail, status: response.status)
        }
    }
}

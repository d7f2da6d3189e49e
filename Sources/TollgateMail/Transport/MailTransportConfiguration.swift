import Foundation
package import TollgateHTTPClient
package import TollgateLogging

/// Which ``MailTransport`` to use, parsed once at start-up from `TOLLGATE_MAIL_URL`:
///
/// | URL | transport |
/// |---|---|
/// | `smtp://[user:password@]host[:587][/ehlo-name]` | SMTP, STARTTLS required |
/// | `smtp://host[:25]…?tls=none` | SMTP without TLS (local relays, tests) |
/// | `smtps://[user:password@]host[:465][/ehlo-name]` | SMTP over implicit TLS |
/// | `file:///path/to/dir` | one `.eml` file per mail (development) |
/// | `postmark://SERVER_TOKEN@api.postmarkapp.com[?stream=outbound]` | Postmark's HTTP API |
///
/// User name, password and token are percent-decoded. SMTP options: `cafile=/path.pem` (CA
/// certificates to trust), `connect_timeout=` and `timeout=` (seconds; defaults 10 and 30),
/// `tls=none` (`smtp://` only). Postmark options: `stream=`, `scheme=http` (tests only), the
/// same timeouts. Errors name the problem and never repeat a password or token.
package enum MailTransportConfiguration: Sendable, Equatable, CustomStringConvertible {
    case smtp(SMTPConfiguration)
    case file(directory: String)
    case postmark(PostmarkConfiguration)

    /// The environment variable read by ``fromEnvironment(_:)``.
    package static let environmentVariable = "TOLLGATE_MAIL_URL"

    /// Parses `TOLLGATE_MAIL_URL` from `environment`.
    package static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws(MailError) -> MailTransportConfiguration {
        guard let url = environment[environmentVariable], !url.isEmpty else {
            throw MailError(code: .invalidConfiguration, message: "\(environmentVariable) is not set (e.g. smtp://user:password@smtp.example.com:587 or file:///tmp/mail)")
        }
        return try parse(url: url)
    }

    /// Parses and validates a mail URL (see the table above).
    package static func parse(url: String) throws(MailError) -> MailTransportConfiguration {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased() else {
            throw invalid("\(environmentVariable) is not a valid URL")
        }
        var options: [String: String] = [:]
        for item in components.queryItems ?? [] {
            guard options[item.name] == nil else { throw invalid("option \(item.name) is given twice") }
            options[item.name] = item.value ?? ""
        }
        func take(_ name: String) -> String? { options.removeValue(forKey: name) }
        func seconds(_ name: String, default value: Duration) throws(MailError) -> Duration {
            guard let text = take(name) else { return value }
            guard let number = Double(text), number > 0, number <= 3600 else { throw invalid("option \(name) must be a number of seconds between 0 and 3600") }
            return .milliseconds(Int64(number * 1000))
        }
        let configuration: MailTransportConfiguration
        switch scheme {
        case "smtp", "smtps":
            guard let host = components.host, !host.isEmpty else { throw invalid("the \(scheme) URL has no host") }
            var security: SMTPConfiguration.Security = scheme == "smtps" ? .implicitTLS : .startTLS
            if let tls = take("tls") {
                guard scheme == "smtp", tls == "none" || tls == "starttls" else {
                    throw invalid("option tls must be none or starttls, and only on smtp:// (smtps:// is always TLS)")
                }
                if tls == "none" { security = .none }
            }
            let port = components.port ?? (scheme == "smtps" ? 465 : 587)
            guard (1...65535).contains(port) else { throw invalid("port \(port) is out of range") }
            if components.password != nil && (components.user ?? "").isEmpty { throw invalid("the URL has a password but no user name") }
            let caFile = take("cafile")
            if let caFile, !FileManager.default.isReadableFile(atPath: caFile) { throw invalid("cafile \(caFile) is not a readable file") }
            var ehlo = components.path
            if ehlo.hasPrefix("/") { ehlo.removeFirst() }
            guard !ehlo.contains("/") else { throw invalid("the EHLO name (the URL path) must not contain /") }
            configuration = .smtp(SMTPConfiguration(
                host: host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host, port: port, security: security, ehloName: ehlo,
                username: components.user.flatMap { $0.isEmpty ? nil : $0 }, password: components.password, caFile: caFile,
                connectTimeout: try seconds("connect_timeout", default: .seconds(10)), timeout: try seconds("timeout", default: .seconds(30))))
        case "file":
            guard (components.host ?? "").isEmpty || components.host == "localhost" else { throw invalid("a file URL must not name a host: use file:///path/to/dir") }
            guard components.path.hasPrefix("/"), components.path.count > 1 else { throw invalid("the file URL needs an absolute directory path") }
            configuration = .file(directory: components.path)
        case "postmark":
            guard let token = components.user, !token.isEmpty else { throw invalid("the postmark URL needs the server token as its user name: postmark://TOKEN@api.postmarkapp.com") }
            guard components.password == nil else { throw invalid("the postmark URL takes the token as user name only (no :password)") }
            guard let host = components.host, !host.isEmpty else { throw invalid("the postmark URL has no host (api.postmarkapp.com)") }
            let httpScheme = take("scheme") ?? "https"
            guard httpScheme == "https" || httpScheme == "http" else { throw invalid("option scheme must be https or http") }
            let hostPart = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
            let stream = take("stream") ?? "outbound"
            guard !stream.isEmpty else { throw invalid("option stream must not be empty") }
            configuration = .postmark(PostmarkConfiguration(
                serverToken: token, baseURL: "\(httpScheme)://\(hostPart)" + (components.port.map { ":\($0)" } ?? ""), messageStream: stream,
                connectTimeout: try seconds("connect_timeout", default: .seconds(10)), timeout: try seconds("timeout", default: .seconds(30))))
        default:
            throw invalid("unsupported scheme \(scheme): use smtp, smtps, file or postmark")
        }
        if let unknown = options.keys.sorted().first { throw invalid("unknown option \(unknown) for \(scheme)") }
        return configuration
    }

    /// The transport this configuration describes.
    package func makeTransport(httpClient: HTTPClient = HTTPClient(), logger: Logger = .disabled) -> any MailTransport {
        switch self {
        case .smtp(let smtp): SMTPTransport(configuration: smtp, logger: logger)
        case .file(let directory): FileTransport(directory: directory)
        case .postmark(let postmark): PostmarkTransport(configuration: postmark, client: httpClient, logger: logger)
        }
    }

    /// Where mail goes, without secrets (for start-up logs).
    package var description: String {
        switch self {
        case .smtp(let smtp): "smtp \(smtp)"
        case .file(let directory): "file \(directory)"
        case .postmark(let postmark): postmark.description
        }
    }

    private static func invalid(_ message: String) -> MailError {
        MailError(code: .invalidConfiguration, message: "\(environmentVariable): \(message)")
    }
}

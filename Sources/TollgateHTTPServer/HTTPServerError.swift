/// Why ``HTTPServer/start()`` failed. `description` is safe to log and show an operator.
package struct HTTPServerError: Error, Sendable, CustomStringConvertible {
    /// An open set of failure kinds.
    package struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// Another socket already listens on the address and port.
        package static let addressInUse = Code("address_in_use")
        /// The host is not an IPv4 or IPv6 literal, or the port is out of range.
        package static let invalidAddress = Code("invalid_address")
        /// The configuration has an impossible value (a negative limit, no worker threads).
        package static let invalidConfiguration = Code("invalid_configuration")
        /// socket/bind/listen failed for another reason (see the message).
        package static let listenFailed = Code("listen_failed")
        /// libmicrohttpd refused to start the daemon.
        package static let daemonFailed = Code("daemon_failed")
        /// `start()` was called on a server that is running or was shut down.
        package static let alreadyStarted = Code("already_started")

        package var description: String { name }
    }

    package var code: Code
    package var message: String

    package init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { "\(code): \(message)" }
}

/// Why ``HTTPServer/start()`` failed. `description` is safe to log and show an operator.
public struct HTTPServerError: Error, Sendable, CustomStringConvertible {
    /// An open set of failure kinds.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// Another socket already listens on the address and port.
        public static let addressInUse = Code("address_in_use")
        /// The host is not an IPv4 or IPv6 literal, or the port is out of range.
        public static let invalidAddress = Code("invalid_address")
        /// The configuration has an impossible value (a negative limit, no worker threads).
        public static let invalidConfiguration = Code("invalid_configuration")
        /// socket/bind/listen failed for another reason (see the message).
        public static let listenFailed = Code("listen_failed")
        /// libmicrohttpd refused to start the daemon.
        public static let daemonFailed = Code("daemon_failed")
        /// `start()` was called on a server that is running or was shut down.
        public static let alreadyStarted = Code("already_started")

        public var description: String { name }
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}

import Foundation
package import TollgateBase

/// A structured logger: every event becomes one JSON line handed to a ``LogSink``.
///
/// Libraries take a `Logger` and log at `info` or below; the executable decides the sink
/// and the level. Metadata set with ``with(_:_:)`` (for example the request id) is carried
/// into every line logged through the returned logger.
///
/// Every line carries the operation's trace (`trace_id`, `span_id`): the one set with
/// ``tracing(_:)``, else ``TraceContext/current`` where the line is logged.
package struct Logger: Sendable {
    package var label: String
    package var level: LogLevel
    package private(set) var metadata: [String: String]
    /// The trace of every line, when this logger belongs to one operation (a request's logger,
    /// also used after the request's own thread has let it go).
    package private(set) var trace: TraceContext?
    private let sink: any LogSink

    package init(label: String, level: LogLevel = .info, sink: any LogSink = StandardErrorSink.shared) {
        self.label = label
        self.level = level
        self.metadata = [:]
        self.trace = nil
        self.sink = sink
    }

    /// A logger that drops everything.
    package static let disabled = Logger(label: "disabled", level: .off, sink: DiscardingSink())

    /// A copy of this logger that adds `key` to the metadata of every line.
    package func with(_ key: String, _ value: String) -> Logger {
        var copy = self
        copy.metadata[key] = value
        return copy
    }

    /// A copy whose lines carry `trace` (instead of the trace current where they are logged).
    package func tracing(_ trace: TraceContext) -> Logger {
        var copy = self
        copy.trace = trace
        return copy
    }

    /// A copy with another label (the module or component that logs).
    package func labeled(_ label: String) -> Logger {
        var copy = self
        copy.label = label
        return copy
    }

    package func isEnabled(_ level: LogLevel) -> Bool { level != .off && level >= self.level }

    package func log(_ level: LogLevel, _ message: @autoclosure () -> String, _ metadata: [String: String] = [:]) {
        guard isEnabled(level) else { return }
        var fields = self.metadata
        for (key, value) in metadata { fields[key] = value }
        if let trace = trace ?? TraceContext.current {
            fields["trace_id"] = trace.traceID
            fields["span_id"] = trace.spanIDText
        }
        sink.write(LogLine.render(level: level, label: label, message: message(), metadata: fields))
    }

    package func trace(_ message: @autoclosure () -> String, _ metadata: [String: String] = [:]) { log(.trace, message(), metadata) }
    package func debug(_ message: @autoclosure () -> String, _ metadata: [String: String] = [:]) { log(.debug, message(), metadata) }
    package func info(_ message: @autoclosure () -> String, _ metadata: [String: String] = [:]) { log(.info, message(), metadata) }
    package func notice(_ message: @autoclosure () -> String, _ metadata: [String: String] = [:]) { log(.notice, message(), metadata) }
    package func warning(_ message: @autoclosure () -> String, _ metadata: [String: String] = [:]) { log(.warning, message(), metadata) }
    package func error(_ message: @autoclosure () -> String, _ metadata: [String: String] = [:]) { log(.error, message(), metadata) }
}

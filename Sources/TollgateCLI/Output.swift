import Foundation
import Synchronization
import TollgateLogging
import TollgateStore
import TollgateWire

/// Where a command's results (stdout), diagnostics (stderr) and log lines go. Tests capture all three.
package final class Output: Sendable {
    private let sink: @Sendable (String, Bool) -> Void
    /// Where the command's logger writes: standard error, line by line.
    let logSink: any LogSink

    init(logSink: any LogSink, sink: @escaping @Sendable (_ text: String, _ isError: Bool) -> Void) {
        self.sink = sink
        self.logSink = logSink
    }

    /// Standard output and standard error of the process.
    package static let standard = Output(logSink: StandardErrorSink.shared) { text, isError in
        FileHandle(fileDescriptor: isError ? 2 : 1).write(Data(text.utf8))
    }

    func print(_ line: String = "", terminator: String = "\n") { sink(line + terminator, false) }

    func error(_ line: String) { sink(line + "\n", true) }

    /// A question on standard error, the answer to be typed on the same line.
    func prompt(_ text: String) { sink(text, true) }

    /// The wire's JSON (``WireJSON``, as the API writes it), pretty-printed.
    func printJSON<T: Encodable>(_ value: T) throws {
        print(String(decoding: try WireJSON.encoder(pretty: true).encode(value), as: UTF8.self))
    }

    /// One JSON document: `value`'s object with member `name` set to the stored JSON text `json`
    /// as a value (kept as a string when it does not parse) — e.g. a stored event with its payload.
    func printJSON<T: Encodable>(_ value: T, embedding json: String, as name: String) throws {
        print(String(decoding: try WireJSON.object(value, embedding: json, as: name, pretty: true), as: UTF8.self))
    }

    /// Left-aligned columns for human output.
    func printTable(_ header: [String], _ rows: [[String]]) {
        let widths = header.indices.map { column in
            ([header[column]] + rows.map { $0[column] }).map(\.count).max() ?? 0
        }
        func line(_ cells: [String]) -> String {
            zip(cells, widths).map { cell, width in cell.padding(toLength: width, withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
        print(line(header))
        for row in rows { print(line(row)) }
    }
}

/// An output that keeps what was written — results, diagnostics and log lines — for in-process runs.
package final class CapturedOutput: Sendable {
    private let buffers = Mutex<(out: String, err: String)>(("", ""))

    package init() {}

    package var output: Output {
        Output(logSink: CapturedLog(self)) { text, isError in
            self.buffers.withLock { if isError { $0.err += text } else { $0.out += text } }
        }
    }

    package var standardOutput: String { buffers.withLock { $0.out } }
    package var standardError: String { buffers.withLock { $0.err } }

    fileprivate func appendError(_ text: String) { buffers.withLock { $0.err += text } }
}

/// Log lines of an in-process run, kept with its standard error.
private struct CapturedLog: LogSink {
    let captured: CapturedOutput

    init(_ captured: CapturedOutput) { self.captured = captured }

    func write(_ line: String) { captured.appendError(line + "\n") }
}

/// How human output writes an instant: `2026-03-14 09:30:05 UTC` — to the second, in UTC (JSON
/// keeps RFC 3339 with milliseconds).
enum HumanTime {
    static func text(_ date: Date) -> String {
        let stored = SQLTimestamp.format(date)  // 2026-03-14T09:30:05.123Z
        return stored.prefix(10) + " " + stored.dropFirst(11).prefix(8) + " UTC"
    }
}

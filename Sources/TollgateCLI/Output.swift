import Foundation
import Synchronization

/// Where a command's results (stdout) and diagnostics (stderr) go. Tests capture both.
final class Output: Sendable {
    private let sink: @Sendable (String, Bool) -> Void

    init(sink: @escaping @Sendable (_ text: String, _ isError: Bool) -> Void) {
        self.sink = sink
    }

    /// Standard output and standard error of the process.
    static let standard = Output { text, isError in
        FileHandle(fileDescriptor: isError ? 2 : 1).write(Data(text.utf8))
    }

    func print(_ line: String = "", terminator: String = "\n") { sink(line + terminator, false) }

    func error(_ line: String) { sink(line + "\n", true) }

    /// Pretty-printed JSON with the API's key conventions (snake_case, ISO-8601 dates).
    func printJSON<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
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

/// An output that keeps what was written, for in-process tests.
final class CapturedOutput: Sendable {
    private let buffers = Mutex<(out: String, err: String)>(("", ""))

    var output: Output {
        Output { text, isError in
            self.buffers.withLock { if isError { $0.err += text } else { $0.out += text } }
        }
    }

    var standardOutput: String { buffers.withLock { $0.out } }
    var standardError: String { buffers.withLock { $0.err } }
}

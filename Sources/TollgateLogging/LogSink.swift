import Foundation
import Synchronization

/// Where finished log lines go. A line is one complete JSON object without the newline.
package protocol LogSink: Sendable {
    func write(_ line: String)
}

/// Writes each line to standard error with one `write(2)`, so lines from threads never interleave.
package final class StandardErrorSink: LogSink {
    package static let shared = StandardErrorSink()
    private let lock = Mutex(())

    package init() {}

    package func write(_ line: String) {
        var bytes = Array(line.utf8)
        bytes.append(UInt8(ascii: "\n"))
        lock.withLock { _ in
            bytes.withUnsafeBytes { buffer in
                guard let base = buffer.baseAddress else { return }
                var offset = 0
                while offset < buffer.count {
                    let written = Foundation.write(2, base + offset, buffer.count - offset)
                    if written <= 0 { return }
                    offset += written
                }
            }
        }
    }
}

/// Keeps every line in memory; tests read them back (for example to prove no secret was logged).
package final class MemoryLogSink: LogSink {
    private let storage = Mutex<[String]>([])

    package init() {}

    package func write(_ line: String) { storage.withLock { $0.append(line) } }

    package var lines: [String] { storage.withLock { $0 } }
}

struct DiscardingSink: LogSink {
    func write(_ line: String) {}
}

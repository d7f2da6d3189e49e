/// W3C Trace Context (https://www.w3.org/TR/trace-context/): the trace an operation belongs to and
/// this process's span in it, so that one operation can be followed across services.
///
/// A request that carries a valid `traceparent` joins the caller's trace; any other request, and
/// every turn of a background job, starts a trace of its own. While an operation runs its context
/// is ``current`` (a task-local value, which synchronous code on a thread sees too): every log line
/// carries `trace_id` and `span_id`, and every outbound HTTP call sends `traceparent` (and the
/// caller's `tracestate`, unchanged) with this span as the parent.
///
/// Tollgate records no spans of its own, only logs; a trace it starts is marked sampled (`01`) so
/// that the services it calls keep theirs. Identifiers are correlation handles, not secrets: they
/// come from a per-process random key and a counter (``IdentifierGenerator``), not a system call each.
package struct TraceContext: Sendable, Hashable {
    /// The trace's 16 bytes, as two words (never both zero).
    package let traceHigh: UInt64
    package let traceLow: UInt64
    /// This process's span: the parent of every call it makes (never zero).
    package let spanID: UInt64
    /// The `trace-flags` byte (bit 0: sampled), passed on as received.
    package let flags: UInt8
    /// The caller's `tracestate`, passed on unchanged; nil when absent or malformed.
    package let state: String?

    /// The request header names.
    package static let parentHeader = "traceparent"
    package static let stateHeader = "tracestate"

    /// The operation running on this thread or task, if it has one.
    @TaskLocal package static var current: TraceContext?

    package init(traceHigh: UInt64, traceLow: UInt64, spanID: UInt64, flags: UInt8, state: String? = nil) {
        precondition(traceHigh | traceLow != 0 && spanID != 0, "a trace id or span id of zeros is invalid")
        self.traceHigh = traceHigh
        self.traceLow = traceLow
        self.spanID = spanID
        self.flags = flags
        self.state = state
    }

    /// 32 lowercase hex digits.
    package var traceID: String { Hex.words(traceHigh, traceLow) }
    /// 16 lowercase hex digits.
    package var spanIDText: String { Hex.words(spanID) }

    /// The `traceparent` value for a call made from this span.
    package var traceparent: String {
        "00-\(traceID)-\(spanIDText)-\(Hex.byte(flags))"
    }

    /// Joins the trace of a caller whose `traceparent` (and `tracestate`) are given, with a new
    /// span from `generator`; starts a new trace when `traceparent` is absent or invalid.
    package static func resolve(traceparent: String?, tracestate: String?, generator: IdentifierGenerator = .shared) -> TraceContext {
        guard let traceparent, let parent = Parent(traceparent) else { return start(generator) }
        return TraceContext(
            traceHigh: parent.traceHigh, traceLow: parent.traceLow, spanID: generator.nextWord(), flags: parent.flags,
            state: tracestate.flatMap(validState))
    }

    /// A new trace with its first span.
    package static func start(_ generator: IdentifierGenerator = .shared) -> TraceContext {
        TraceContext(traceHigh: generator.prefix, traceLow: generator.nextWord(), spanID: generator.nextWord(), flags: 0x01)
    }

    /// A `tracestate` Tollgate passes on: at most 512 characters of printable ASCII (the list's
    /// members are not parsed; a value that could not be one is dropped, as the specification allows).
    static func validState(_ value: String) -> String? {
        let bytes = value.utf8
        guard !bytes.isEmpty, bytes.count <= 512, bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return nil }
        return value
    }

    /// The parts of a valid `traceparent`: `VERSION-TRACEID-PARENTID-FLAGS` in lowercase hex.
    ///
    /// Version `00` is exactly 55 characters; a later version (not `ff`) may carry more after a
    /// `-`, which is ignored. A trace id or parent id of all zeros, uppercase hex, or any other
    /// shape is invalid.
    package struct Parent: Equatable {
        package var traceHigh: UInt64
        package var traceLow: UInt64
        package var parentID: UInt64
        package var flags: UInt8

        package init?(_ value: String) {
            let bytes = Array(value.utf8)
            guard bytes.count >= 55,
                  let version = Hex.parse(bytes[0..<2]), version != 0xFF,
                  bytes[2] == 0x2D, bytes[35] == 0x2D, bytes[52] == 0x2D,
                  let high = Hex.parse(bytes[3..<19]), let low = Hex.parse(bytes[19..<35]),
                  let parent = Hex.parse(bytes[36..<52]), let flags = Hex.parse(bytes[53..<55])
            else { return nil }
            if version == 0 {
                guard bytes.count == 55 else { return nil }
            } else if bytes.count > 55, bytes[55] != 0x2D {
                return nil
            }
            guard high | low != 0, parent != 0 else { return nil }
            traceHigh = high
            traceLow = low
            parentID = parent
            self.flags = UInt8(flags)
        }
    }
}

extension TraceContext {
    /// Runs `body` as a new operation with a trace of its own (a background job's turn).
    package static func startingTrace<T>(generator: IdentifierGenerator = .shared, _ body: () throws -> T) rethrows -> T {
        try $current.withValue(start(generator), operation: body)
    }
}

/// Lowercase hex for identifiers.
package enum Hex {
    /// The words as 16 lowercase hex digits each.
    package static func words(_ words: UInt64...) -> String {
        String(unsafeUninitializedCapacity: 16 * words.count) { buffer in
            for (position, word) in words.enumerated() {
                var word = word
                for index in (0..<16).reversed() {
                    buffer[position * 16 + index] = digit(UInt8(truncatingIfNeeded: word & 0xF))
                    word >>= 4
                }
            }
            return 16 * words.count
        }
    }

    static func byte(_ value: UInt8) -> String {
        String(decoding: [digit(value >> 4), digit(value & 0xF)], as: UTF8.self)
    }

    private static func digit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? nibble + 48 : nibble + 87 }

    /// The value of 1…16 lowercase hex digits; nil for anything else (uppercase included).
    static func parse(_ digits: ArraySlice<UInt8>) -> UInt64? {
        guard !digits.isEmpty, digits.count <= 16 else { return nil }
        var value: UInt64 = 0
        for byte in digits {
            let nibble: UInt8
            switch byte {
            case 0x30...0x39: nibble = byte - 0x30
            case 0x61...0x66: nibble = byte - 0x61 + 10
            default: return nil
            }
            value = value << 4 | UInt64(nibble)
        }
        return value
    }
}

package import Foundation
import TollgateCrypto

/// The one place that turns timestamps into text and back, for both dialects.
///
/// Written form (SQLite column values and PostgreSQL parameters): `2026-11-22T16:39:11.123Z`,
/// always UTC with milliseconds, so SQLite compares them correctly as text.
/// Read form: that, or PostgreSQL's `timestamptz` output in UTC (`2026-11-22 16:39:11.123456+00`).
///
/// The store keeps instants to the nearest millisecond within ``representable`` (years 0001 through
/// 9999, four-digit years so the text sorts as the time does): for those, `parse(format(t))` is `t`
/// to the millisecond. What the service accepts from outside is narrower and checked at the edge
/// (the API refuses instants before 1970 or after 9999 with a 400 naming the field); an instant
/// outside ``representable`` that still reaches this layer is written as the nearest bound, never
/// as malformed text.
package enum SQLTimestamp {
    /// 0001-01-01T00:00:00.000Z through 9999-12-31T23:59:59.999Z.
    package static let representable = Date(timeIntervalSince1970: -62_135_596_800)...Date(timeIntervalSince1970: 253_402_300_799.999)

    /// Milliseconds since 1970 of `date`, to the nearest millisecond: a stored millisecond read
    /// back as a `Double` sits a hair above or below it (by up to 15 µs in year 9999), and rounding
    /// is monotonic, so stored instants keep the order of the instants written.
    static func milliseconds(_ date: Date) -> Int64 {
        let bounded = min(max(date, representable.lowerBound), representable.upperBound)
        return Int64((bounded.timeIntervalSince1970 * 1000).rounded())
    }

    package static func format(_ date: Date) -> String {
        let total = milliseconds(date)
        let (quotient, remainder) = total.quotientAndRemainder(dividingBy: 1000)
        // Floor division: an instant before 1970 has a negative total and a positive millisecond part.
        let seconds = remainder < 0 ? quotient - 1 : quotient
        let millisecond = remainder < 0 ? remainder + 1000 : remainder
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        // Written digit by digit (`String(format:)` was a fifth of the server's CPU under a usage load).
        let fields: [(value: Int, digits: Int, after: UInt8)] = [
            (Int(parts.tm_year) + 1900, 4, UInt8(ascii: "-")), (Int(parts.tm_mon) + 1, 2, UInt8(ascii: "-")),
            (Int(parts.tm_mday), 2, UInt8(ascii: "T")), (Int(parts.tm_hour), 2, UInt8(ascii: ":")),
            (Int(parts.tm_min), 2, UInt8(ascii: ":")), (Int(parts.tm_sec), 2, UInt8(ascii: ".")), (Int(millisecond), 3, UInt8(ascii: "Z")),
        ]
        return String(unsafeUninitializedCapacity: 24) { buffer in
            var index = 0
            for field in fields {
                var value = field.value
                for position in stride(from: field.digits - 1, through: 0, by: -1) {
                    buffer[index + position] = UInt8(ascii: "0") + UInt8(value % 10)
                    value /= 10
                }
                index += field.digits
                buffer[index] = field.after
                index += 1
            }
            return index
        }
    }

    /// `date` as the store gives it back: to the millisecond, exactly the `Date` ``parse(_:)`` reads
    /// from ``format(_:)`` (so a value written need not be read back to be compared with one read).
    package static func stored(_ date: Date) -> Date {
        Date(timeIntervalSince1970: Double(milliseconds(date) * 1000) / 1_000_000)
    }

    /// The first stored instant later than `date`'s stored form (the store keeps milliseconds):
    /// what a value must be at least for the store to order it after `date`.
    package static func nextStoredInstant(after date: Date) -> Date {
        Date(timeIntervalSince1970: Double(milliseconds(date) + 1) / 1000)
    }

    package static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        func number(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[start..<start + count] {
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard bytes.count >= 19,
              let year = number(0, 4), bytes[4] == UInt8(ascii: "-"),
              let month = number(5, 2), bytes[7] == UInt8(ascii: "-"),
              let day = number(8, 2), bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: " "),
              let hour = number(11, 2), bytes[13] == UInt8(ascii: ":"),
              let minute = number(14, 2), bytes[16] == UInt8(ascii: ":"),
              let second = number(17, 2)
        else { return nil }
        var index = 19
        // The fraction in whole microseconds (PostgreSQL writes at most six digits), so a stored
        // millisecond comes back exactly.
        var microseconds = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            var digits = 0
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                if digits < 6 { microseconds = microseconds * 10 + Int(bytes[index] - 48) }
                digits += 1
                index += 1
            }
            for _ in min(digits, 6)..<6 { microseconds *= 10 }
        }
        var offsetSeconds = 0
        if index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "Z"): index += 1
            case UInt8(ascii: "+"), UInt8(ascii: "-"):
                let sign = bytes[index] == UInt8(ascii: "-") ? -1 : 1
                guard let hours = number(index + 1, 2) else { return nil }
                var minutes = 0
                if index + 3 < bytes.count {
                    let minuteStart = bytes[index + 3] == UInt8(ascii: ":") ? index + 4 : index + 3
                    minutes = number(minuteStart, 2) ?? 0
                }
                offsetSeconds = sign * (hours * 3600 + minutes * 60)
                index = bytes.count
            default: return nil
            }
        }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let epoch = timegm(&parts)
        return Date(timeIntervalSince1970: Double((Int64(epoch) - Int64(offsetSeconds)) * 1_000_000 + Int64(microseconds)) / 1_000_000)
    }

    /// Decodes PostgreSQL's `bytea` hex output (`\x0a1b…`).
    static func decodeByteaHex(_ text: String) -> [UInt8]? {
        guard text.hasPrefix("\\x") else { return nil }
        return Hex.decode(String(text.dropFirst(2)))
    }
}

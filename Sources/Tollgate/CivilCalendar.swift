#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// UTC calendar arithmetic on the proleptic Gregorian calendar, by Howard Hinnant's
/// `days_from_civil` / `civil_from_days` (<https://howardhinnant.github.io/date_algorithms.html>).
/// Exact integer arithmetic: no `Calendar`, no time zone database, no allocation.
enum CivilCalendar {
    static let secondsPerDay: Int64 = 86_400

    /// Dates this far from 1970 (about 300,000 years) are outside the arithmetic's range.
    static let supportedSeconds: Double = 1e13

    /// The day number (days since 1970-01-01 UTC) containing `date`, or nil when `date` is not
    /// finite or out of range.
    static func day(containing date: Date) -> Int64? {
        let seconds = date.timeIntervalSince1970
        guard seconds.isFinite, abs(seconds) < supportedSeconds else { return nil }
        return Int64((seconds / Double(secondsPerDay)).rounded(.down))
    }

    /// The instant at which `day` starts (00:00:00 UTC).
    static func start(ofDay day: Int64) -> Date {
        Date(timeIntervalSince1970: Double(day * secondsPerDay))
    }

    /// The day number of `year`-`month`-`day`.
    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let shiftedMonth = month > 2 ? month - 3 : month + 9
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The year, month (1–12) and day of month (1–31) of a day number.
    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }
}

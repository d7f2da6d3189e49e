import Foundation
import TollgateBase
import TollgateMail

/// The console's charts, drawn on the server as inline SVG (issue 19): the geometry is computed
/// here, once, and `console/partials/chart.mustache` writes it (every value escaped; positions and
/// sizes are SVG attributes and colours come from the stylesheet's classes, so the strict
/// Content-Security-Policy, `style-src 'self'`, holds). Each chart carries its text alternative: an
/// SVG `<title>` summing it up, a `<title>` per day, and the figures as a table.
enum ConsoleCharts {
    /// Consecutive UTC days, oldest first: where each starts, and where the last one ends.
    struct Days: Sendable, Equatable {
        var starts: [Date]
        var end: Date

        /// `count` days ending with the one that holds `now` (today included).
        static func last(_ count: Int, now: Date) -> Days {
            let calendar = ConsoleCharts.utcCalendar
            let today = calendar.startOfDay(for: now)
            let starts = (0..<count).reversed().map { calendar.date(byAdding: .day, value: -$0, to: today)! }
            return Days(starts: starts, end: calendar.date(byAdding: .day, value: 1, to: today)!)
        }

        /// The instants that bound the days: each day's start, then the end of the last.
        var boundaries: [Date] { starts + [end] }
    }

    /// One series of a daily chart: a value per day of the chart's ``Days``.
    struct Series: Sendable, Equatable {
        /// What the series counts, as the legend and the figures table name it (`started`).
        var name: String
        /// Its stylesheet class (`started`, `canceled`, `usage`).
        var style: String
        var values: [Int64]
    }

    /// How many days a daily chart shows.
    static let dayCount = 30

    static let utcCalendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    /// A day as charts label it: `2026-12-07`.
    static func dayLabel(_ date: Date) -> String {
        let parts = utcCalendar.dateComponents([.year, .month, .day], from: date)
        func two(_ value: Int?) -> String { value.map { $0 < 10 ? "0\($0)" : String($0) } ?? "00" }
        return "\(parts.year ?? 0)-\(two(parts.month))-\(two(parts.day))"
    }

    // Geometry of a daily chart, in SVG user units: one slot per day, the series' bars side by side in it.
    static let slot = 20
    static let plotTop = 16
    static let plotHeight = 100
    static let labelSpace = 16

    /// A daily bar chart for the `chart` partial: `id` names it in the page (its `<title>` is
    /// `id-title`); `subject` says what it shows (`Subscriptions per day`).
    static func daily(id: String, subject: String, days: Days, series: [Series]) -> MustacheValue {
        let highest = series.flatMap(\.values).max() ?? 0
        let barWidth = (slot - 4) / max(1, series.count)
        let baseline = plotTop + plotHeight
        func height(_ value: Int64) -> Int {
            guard value > 0, highest > 0 else { return 0 }
            return max(1, Int((Double(value) / Double(highest) * Double(plotHeight)).rounded()))
        }
        let labels = days.starts.map(dayLabel)
        let dayGroups: [MustacheValue] = labels.indices.map { index in
            let bars: [MustacheValue] = series.indices.compactMap { number in
                let value = series[number].values[index]
                let barHeight = height(value)
                guard barHeight > 0 else { return nil }
                return [
                    "style": .string(series[number].style), "x": .integer(index * slot + 2 + number * barWidth), "y": .integer(baseline - barHeight),
                    "width": .integer(barWidth), "height": .integer(barHeight),
                ]
            }
            let figures = series.map { "\($0.values[index]) \($0.name)" }.joined(separator: ", ")
            return ["label": .string("\(labels[index]): \(figures)"), "x": .integer(index * slot), "bars": .array(bars)]
        }
        let totals = series.map { "\($0.values.reduce(0, +)) \($0.name)" }.joined(separator: ", ")
        let range = "\(labels.first ?? "") to \(labels.last ?? "")"
        let width = labels.count * slot
        return [
            "id": .string(id), "width": .integer(width), "height": .integer(baseline + labelSpace),
            "top": .integer(plotTop), "plot": .integer(plotHeight), "slot": .integer(slot), "baseline": .integer(baseline),
            "labelY": .integer(baseline + labelSpace - 3), "highest": .integer(Int(highest)),
            "first": .string(labels.first ?? ""), "last": .string(labels.last ?? ""),
            "summary": .string("\(subject), \(range) (UTC): \(totals)"),
            "days": .array(dayGroups),
            "series": .array(series.map { ["name": .string($0.name), "style": .string($0.style), "total": .integer(Int($0.values.reduce(0, +)))] }),
            "rows": .array(labels.indices.reversed().map { index in
                [
                    "day": .string(labels[index]),
                    "values": .array(series.map { ["series": .string($0.name), "value": .integer(Int($0.values[index]))] }),
                ]
            }),
        ]
    }

    /// The entitlement table's usage bar: the share of the allowance used (0–100), red when exhausted.
    static func usageBar(used: Int64, allowance: Int64) -> MustacheValue {
        let share = allowance > 0 ? min(100, Int((Double(used) / Double(allowance) * 100).rounded())) : 100
        return ["width": .integer(share), "full": .bool(used >= allowance), "label": .string("\(used) of \(allowance)")]
    }
}

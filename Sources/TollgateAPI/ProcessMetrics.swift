#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TollgateBase

/// The process's own figures for `/metrics`, read from Linux's `/proc` at each scrape, under the
/// names Prometheus's client libraries give them (`process_*`, base units): CPU seconds, resident
/// and virtual memory, open and allowed file descriptors, threads, and the start time.
enum ProcessMetrics {
    /// The metrics as Prometheus text; empty where `/proc` cannot be read (not Linux).
    static func prometheusText() -> String {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")")
        else { return "" }
        // After "pid (comm)": field 3 is state; utime is 14, stime 15, num_threads 20, starttime 22, vsize 23, rss 24.
        let fields = stat[stat.index(after: close)...].split(separator: " ").map(String.init)
        func field(_ number: Int) -> Double { Double(fields[number - 3]) ?? 0 }
        guard fields.count >= 22 else { return "" }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
        var lines: [(name: String, type: MetricType, help: String, value: Double)] = [
            ("process_cpu_seconds_total", .counter, "User and system CPU time spent, in seconds", (field(14) + field(15)) / ticks),
            ("process_resident_memory_bytes", .gauge, "Resident memory size, in bytes", field(24) * pageSize),
            ("process_virtual_memory_bytes", .gauge, "Virtual memory size, in bytes", field(23)),
            ("process_threads", .gauge, "Threads of the process", field(20)),
        ]
        if let bootTime = Self.bootTime() {
            lines.append(("process_start_time_seconds", .gauge, "Start time of the process since the Unix epoch, in seconds", bootTime + field(22) / ticks))
        }
        if let descriptors = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
            lines.append(("process_open_fds", .gauge, "Open file descriptors", Double(descriptors.count)))
        }
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 {
            lines.append(("process_max_fds", .gauge, "The most file descriptors the process may open", Double(limit.rlim_cur)))
        }
        var text = PrometheusText()
        for line in lines {
            text.family(line.name, line.type, help: line.help)
            text.sample(line.name, [], Self.number(line.value))
        }
        return text.text
    }

    /// The kernel's boot time (`btime` in `/proc/stat`), seconds since the epoch.
    private static func bootTime() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst("btime ".count))
        }
        return nil
    }

    /// Whole numbers without a fraction, others with up to three decimals.
    private static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(format: "%.3f", value)
    }
}

import CCurl
import CCurlShims
import TollgateBase

/// One libcurl easy handle and its error buffer, freed in `deinit`: the single owner of the C
/// handle for every protocol Tollgate speaks through libcurl (HTTP here, SMTP in TollgateMail).
/// Callers configure it per transfer and map results to their own error types.
///
/// Not `Sendable`: one thread at a time (a pool or a lock in the caller hands it out).
public final class CurlEasy {
    /// `curl_global_init` runs once per process, before the first handle (a `static let` is
    /// initialised exactly once, thread-safely).
    private static let globalInit: CURLcode = tg_curl_global_init_all()

    private let handle: UnsafeMutableRawPointer
    /// `CURLOPT_ERRORBUFFER`: libcurl writes its most specific error text here.
    private let errorBuffer: UnsafeMutablePointer<CChar>

    /// Nil when libcurl cannot be initialised or a handle cannot be allocated.
    public init?() {
        guard Self.globalInit == CURLE_OK, let handle = curl_easy_init() else { return nil }
        self.handle = handle
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
    }

    deinit {
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    /// Clears the previous transfer's options (keeping live connections and caches), and sets the
    /// options every transfer has: no signals, the error buffer, TCP keep-alive.
    public func reset() -> CURLcode {
        curl_easy_reset(handle)
        errorBuffer[0] = 0
        for code in [
            tg_curl_easy_setopt_long(handle, CURLOPT_NOSIGNAL, 1),
            tg_curl_easy_setopt_pointer(handle, CURLOPT_ERRORBUFFER, UnsafeMutableRawPointer(errorBuffer)),
            tg_curl_easy_setopt_long(handle, CURLOPT_TCP_KEEPALIVE, 1),
        ] where code != CURLE_OK {
            return code
        }
        return CURLE_OK
    }

    public func set(_ option: CURLoption, _ value: Int) -> CURLcode { tg_curl_easy_setopt_long(handle, option, value) }
    public func set(_ option: CURLoption, string: String) -> CURLcode { tg_curl_easy_setopt_string(handle, option, string) }
    public func set(_ option: CURLoption, pointer: UnsafeMutableRawPointer?) -> CURLcode { tg_curl_easy_setopt_pointer(handle, option, pointer) }
    public func set(_ option: CURLoption, int64 value: Int64) -> CURLcode { tg_curl_easy_setopt_int64(handle, option, curl_off_t(value)) }
    public func set(_ option: CURLoption, callback: tg_curl_data_callback) -> CURLcode { tg_curl_easy_setopt_data_callback(handle, option, callback) }

    /// Runs the configured transfer.
    public func perform() -> CURLcode { curl_easy_perform(handle) }

    /// A numeric `CURLINFO_*` of the last transfer (0 when libcurl has none).
    public func info(_ item: CURLINFO) -> Int {
        var value = 0
        tg_curl_easy_getinfo_long(handle, item, &value)
        return value
    }

    /// libcurl's most specific text for `code`: the error buffer, else `curl_easy_strerror`.
    public func errorText(_ code: CURLcode) -> String {
        let detail = String(cString: errorBuffer)
        return detail.isEmpty ? Self.describe(code) : detail
    }

    public static func describe(_ code: CURLcode) -> String { String(cString: curl_easy_strerror(code)) }
}

extension Duration {
    /// Whole milliseconds for libcurl's `*_MS` timeouts: at least 1 (0 means "no timeout").
    public var curlMilliseconds: Int {
        max(1, Int(clamping: millisecondsRoundedUp))
    }
}

#ifndef TG_CURL_H
#define TG_CURL_H
#include <curl/curl.h>

// curl_easy_setopt is variadic; one typed entry point per argument type.
CURLcode tg_curl_easy_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode tg_curl_easy_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode tg_curl_easy_setopt_pointer(CURL *handle, CURLoption option, void *value);
CURLcode tg_curl_easy_setopt_int64(CURL *handle, CURLoption option, curl_off_t value);

typedef size_t (*tg_curl_data_callback)(char *data, size_t size, size_t count, void *context);
CURLcode tg_curl_easy_setopt_data_callback(CURL *handle, CURLoption option, tg_curl_data_callback callback);

// curl_easy_getinfo is variadic as well.
CURLcode tg_curl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value);

// CURL_GLOBAL_ALL is a macro built from other macros; one call with it, for a `static let`.
CURLcode tg_curl_global_init_all(void);

#endif

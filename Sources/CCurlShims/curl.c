#include "tg_curl.h"

CURLcode tg_curl_easy_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}
CURLcode tg_curl_easy_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}
CURLcode tg_curl_easy_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}
CURLcode tg_curl_easy_setopt_int64(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}
CURLcode tg_curl_easy_setopt_data_callback(CURL *handle, CURLoption option, tg_curl_data_callback callback) {
    return curl_easy_setopt(handle, option, callback);
}
CURLcode tg_curl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}
CURLcode tg_curl_global_init_all(void) {
    return curl_global_init(CURL_GLOBAL_ALL);
}

/* Diagnostics to standard error: one key=value line per event. */
#ifndef KZ_BASE_LOG_H
#define KZ_BASE_LOG_H

enum kz_log_level {
    KZ_LOG_ERROR = 0,
    KZ_LOG_WARN = 1,
    KZ_LOG_INFO = 2,
    KZ_LOG_DEBUG = 3,
};

#define kz_log(lvl, ...) kz_log_at((lvl), __func__, __VA_ARGS__)
void kz_log_at(enum kz_log_level lvl, const char *fn, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Messages above this level are dropped; default KZ_LOG_INFO. */
void kz_log_set_level(enum kz_log_level lvl);

#endif

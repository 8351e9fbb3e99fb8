/* Logging: timestamped lines on standard error, untrusted bytes escaped. */
#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "base/banned.h"

static enum kz_log_level log_level = KZ_LOG_INFO;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void
kz_log_set_level(enum kz_log_level lvl)
{
    log_level = lvl;
}

void
kz_log_at(enum kz_log_level lvl, const char *fn, const char *fmt, ...)
{
    char msg[1024], line[1400];
    struct timespec ts;
    struct tm tm;
    va_list ap;
    size_t o = 0;

    if (lvl > log_level)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    o = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%SZ", &tm);
    o += (size_t)snprintf(line + o, sizeof(line) - o, " level=%s fn=%s msg=\"", level_names[lvl], fn);
    /* Escape control characters and quotes so a message never forges a line. */
    for (const unsigned char *p = (const unsigned char *)msg; *p && o + 6 < sizeof(line); p++) {
        if (*p < 0x20 || *p == 0x7f || *p == '"' || *p == '\\')
            o += (size_t)snprintf(line + o, sizeof(line) - o, "\\x%02x", *p);
        else
            line[o++] = (char)*p;
    }
    line[o] = '\0';
    fprintf(stderr, "%s\"\n", line);
}

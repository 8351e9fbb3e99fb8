/* STIX timestamps to and from microseconds since the epoch, without the C library's tm. */
#include "base/time.h"

#include <stdio.h>
#include <time.h>

#include "base/banned.h"

int64_t
kz_time_now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Days from 1970-01-01 to a civil date (Howard Hinnant's algorithm). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int
digits(const char *p, size_t n, unsigned *out)
{
    unsigned v = 0;

    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (unsigned)(p[i] - '0');
    }
    *out = v;
    return 0;
}

kz_err
kz_time_parse(struct kz_str s, int64_t *out_us, int *fraction_digits)
{
    static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    unsigned y, mo, d, h, mi, sec, frac_us = 0;
    int nfrac = 0;
    const char *p = s.p;

    if (s.n < 20 || p[4] != '-' || p[7] != '-' || p[10] != 'T' || p[13] != ':' ||
        p[16] != ':')
        return KZ_ERR_INVALID;
    if (digits(p, 4, &y) || digits(p + 5, 2, &mo) || digits(p + 8, 2, &d) ||
        digits(p + 11, 2, &h) || digits(p + 14, 2, &mi) || digits(p + 17, 2, &sec))
        return KZ_ERR_INVALID;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || sec > 60)
        return KZ_ERR_INVALID;
    if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return KZ_ERR_INVALID;
    size_t i = 19;
    if (i < s.n && p[i] == '.') {
        i++;
        size_t start = i;
        while (i < s.n && p[i] >= '0' && p[i] <= '9') {
            if (nfrac < 6)
                frac_us = frac_us * 10 + (unsigned)(p[i] - '0');
            nfrac++;
            i++;
        }
        if (i == start || nfrac > 9)
            return KZ_ERR_INVALID;
        for (int k = nfrac; k < 6; k++)
            frac_us *= 10;
    }
    if (i + 1 != s.n || p[i] != 'Z')
        return KZ_ERR_INVALID;
    if (sec == 60)
        sec = 59; /* a leap second sorts with the second before it */
    int64_t days = days_from_civil(y, mo, d);
    *out_us = ((days * 86400) + h * 3600 + mi * 60 + sec) * 1000000 + frac_us;
    if (fraction_digits)
        *fraction_digits = nfrac;
    return KZ_OK;
}

static void
format_time(int64_t us, int frac, char out[KZ_TIME_TEXT_MAX])
{
    int64_t secs = us >= 0 ? us / 1000000 : (us - 999999) / 1000000;
    int64_t rem = us - secs * 1000000;
    int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
    int64_t sod = secs - days * 86400;
    int64_t y;
    unsigned m, d;

    civil_from_days(days, &y, &m, &d);
    if (frac == 6)
        snprintf(out, KZ_TIME_TEXT_MAX, "%04lld-%02u-%02uT%02u:%02u:%02u.%06lldZ", (long long)y, m,
                 d, (unsigned)(sod / 3600), (unsigned)(sod / 60 % 60), (unsigned)(sod % 60),
                 (long long)rem);
    else
        snprintf(out, KZ_TIME_TEXT_MAX, "%04lld-%02u-%02uT%02u:%02u:%02u.%03lldZ", (long long)y, m,
                 d, (unsigned)(sod / 3600), (unsigned)(sod / 60 % 60), (unsigned)(sod % 60),
                 (long long)(rem / 1000));
}

void
kz_time_format_us(int64_t us, char out[KZ_TIME_TEXT_MAX])
{
    format_time(us, 6, out);
}

void
kz_time_format_ms(int64_t us, char out[KZ_TIME_TEXT_MAX])
{
    format_time(us, 3, out);
}

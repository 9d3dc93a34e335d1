/* clock.c — wall and monotonic time, RFC 3339 formatting, UUIDv7 ids. */
#include "common/clock.h"

#include <stdio.h>
#include <time.h>

#include <openssl/rand.h>

int64_t hg_clock_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t hg_clock_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void hg_clock_rfc3339_ms(int64_t epoch_ms, char out[25])
{
    int64_t sec = epoch_ms / 1000;
    int64_t ms = epoch_ms % 1000;
    if (ms < 0) {
        ms += 1000;
        sec -= 1;
    }
    time_t t = (time_t)sec;
    struct tm tm;
    if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999) {
        snprintf(out, 25, "%s", "1970-01-01T00:00:00.000Z");
        return;
    }
    /* fixed-width digits by hand: every field is range-checked above */
    int f[7] = { tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                 tm.tm_sec, (int)ms };
    static const int width[7] = { 4, 2, 2, 2, 2, 2, 3 };
    static const char sep[7] = { '-', '-', 'T', ':', ':', '.', 'Z' };
    size_t o = 0;
    for (int i = 0; i < 7; i++) {
        int v = f[i];
        for (int k = width[i] - 1; k >= 0; k--) {
            out[o + (size_t)k] = (char)('0' + v % 10);
            v /= 10;
        }
        o += (size_t)width[i];
        out[o++] = sep[i];
    }
    out[o] = '\0';
}

/* RFC 9562 §5.7: 48-bit big-endian Unix ms, version 7, 12 bits rand_a,
 * variant 0b10, 62 bits rand_b. */
int hg_uuid7(char out[37])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char u[16];
    if (RAND_bytes(u + 6, 10) != 1) {
        out[0] = '\0';
        return -1;
    }
    uint64_t ms = (uint64_t)hg_clock_now_ms();
    for (int i = 0; i < 6; i++)
        u[i] = (unsigned char)(ms >> (40 - 8 * i));
    u[6] = (unsigned char)(0x70 | (u[6] & 0x0f));
    u[8] = (unsigned char)(0x80 | (u[8] & 0x3f));
    size_t o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[u[i] >> 4];
        out[o++] = hex[u[i] & 15];
    }
    out[o] = '\0';
    return 0;
}

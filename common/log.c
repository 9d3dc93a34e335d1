/* log.c — JSON-lines logging to stderr, one write(2) per line. */
#include "common/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/json.h"
#include "common/limits.h"

static enum hg_log_level log_min = HG_LOG_INFO;
static char log_prog[64] = "hookgate";

static const char *const level_names[] = { "debug", "info", "warn", "error" };

void hg_log_setup(const char *prog, enum hg_log_level min)
{
    if (prog) {
        size_t n = strlen(prog);
        if (n >= sizeof log_prog)
            n = sizeof log_prog - 1;
        memcpy(log_prog, prog, n);
        log_prog[n] = '\0';
    }
    if ((int)min >= HG_LOG_DEBUG && min <= HG_LOG_ERROR)
        log_min = min;
}

int hg_log_level_parse(const char *s, enum hg_log_level *out)
{
    if (!s)
        return -1;
    for (int i = 0; i <= HG_LOG_ERROR; i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *out = (enum hg_log_level)i;
            return 0;
        }
    }
    return -1;
}

/* Room kept at the end of the line for `..."}` and the newline. */
#define LOG_TAIL_RESERVE 8u

/* Bytes of the valid UTF-8 sequence at s[0, n), 0 when none starts there
 * (RFC 3629: no overlongs, surrogates or values over U+10FFFF). */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t need;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) { need = 1; cp = c & 0x1f; }
    else if (c >= 0xe0 && c <= 0xef) { need = 2; cp = c & 0x0f; }
    else if (c >= 0xf0 && c <= 0xf4) { need = 3; cp = c & 0x07; }
    else return 0;
    if (n <= need)
        return 0;
    for (size_t k = 1; k <= need; k++) {
        if ((s[k] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[k] & 0x3f);
    }
    if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return need + 1;
}

/* v as valid UTF-8 in out (each byte that starts no valid sequence becomes
 * U+FFFD), cut to what fits; returns out. A log line must stay valid JSON
 * whatever a value holds: an error text cut mid-character, a peer's bytes. */
static const char *utf8_repair(const char *v, char *out, size_t out_size)
{
    const unsigned char *s = (const unsigned char *)v;
    size_t n = strlen(v), o = 0;
    for (size_t i = 0; i < n;) {
        size_t l = utf8_seq_len(s + i, n - i);
        const char *src = l ? v + i : "\xef\xbf\xbd";
        size_t sl = l ? l : 3;
        if (o + sl >= out_size)
            break;
        memcpy(out + o, src, sl);
        o += sl;
        i += l ? l : 1;
    }
    out[o] = '\0';
    return out;
}

/* Append a JSON string value, truncating it (with "...") so the line stays
 * under the cap. Never splits an escape; may split a UTF-8 sequence only
 * at a byte boundary we then back off to. Returns 1 when it truncated. */
static int log_append_value(struct hg_buf *b, const char *v)
{
    static _Thread_local char repaired[HG_LOG_LINE_MAX];
    if (hg_json_utf8_check(v, strlen(v)))
        v = utf8_repair(v, repaired, sizeof repaired);
    size_t n = strlen(v);
    if (hg_buf_append_json_str(b, v, n) == 0)
        return 0;
    /* Too long: add the longest prefix that fits, then "...". */
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo + 1) / 2;
        size_t save = b->len;
        if (hg_buf_append_json_str(b, v, mid) == 0) {
            b->len = save;
            b->data[save] = '\0';
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    /* do not cut inside a UTF-8 sequence */
    while (lo > 0 && ((unsigned char)v[lo] & 0xc0) == 0x80)
        lo--;
    (void)hg_buf_append_json_str(b, v, lo);
    return 1;
}

void hg_log(enum hg_log_level level, const char *event, ...)
{
    if (level < log_min)
        return;
    if ((int)level < HG_LOG_DEBUG || level > HG_LOG_ERROR)
        level = HG_LOG_ERROR;
    int saved_errno = errno;
    char ts[25];
    hg_clock_rfc3339_ms(hg_clock_now_ms(), ts);

    /* The body is built with a cap leaving room for the closing bytes. */
    struct hg_buf b;
    hg_buf_init(&b, HG_LOG_LINE_MAX - LOG_TAIL_RESERVE);
    int truncated = 0;
    if (hg_buf_appendf(&b, "{\"ts\":\"%s\",\"level\":\"%s\",\"prog\":\"", ts,
                       level_names[level]) != 0)
        goto out;
    truncated |= log_append_value(&b, log_prog);
    if (!truncated && hg_buf_append_str(&b, "\",\"event\":\"") != 0)
        truncated = 1;
    if (!truncated)
        truncated |= log_append_value(&b, event ? event : "");

    va_list ap;
    va_start(ap, event);
    for (;;) {
        const char *k = va_arg(ap, const char *);
        if (!k)
            break;
        const char *v = va_arg(ap, const char *);
        if (truncated)
            continue;
        if (hg_buf_append_str(&b, "\",\"") != 0) {
            truncated = 1;
            continue;
        }
        size_t save = b.len;
        if (log_append_value(&b, k) || hg_buf_append_str(&b, "\":\"") != 0) {
            /* no room for the key: drop the whole field */
            b.len = save >= 3 ? save - 3 : save;
            b.data[b.len] = '\0';
            truncated = 1;
            continue;
        }
        truncated |= log_append_value(&b, v ? v : "");
    }
    va_end(ap);

    /* Close the line; the reserve guarantees room. */
    b.max = HG_LOG_LINE_MAX;
    if (truncated && hg_buf_append_str(&b, "...") != 0)
        goto out;
    if (hg_buf_append_str(&b, "\"}\n") != 0)
        goto out;

    const char *p = b.data;
    size_t left = b.len;
    while (left > 0) {
        ssize_t w = write(2, p, left);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        p += w;
        left -= (size_t)w;
    }
out:
    hg_buf_cleanup(&b);
    errno = saved_errno;
}

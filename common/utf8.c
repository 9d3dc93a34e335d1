/* utf8.c — cutting text without splitting a UTF-8 character. */
#include "common/utf8.h"

#include <stdbool.h>
#include <stdio.h>

static bool utf8_continuation(unsigned char c)
{
    return (c & 0xc0) == 0x80;
}

size_t hg_utf8_cut(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = n;
    /* The last character's first byte: at most three continuation bytes
     * before the end. */
    while (i > 0 && n - i < 3 && utf8_continuation(u[i - 1]))
        i--;
    if (i == 0)
        return n;
    unsigned char c = u[i - 1];
    size_t want = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    return n - (i - 1) < want ? i - 1 : n;
}

int hg_utf8_vsnprintf(char *out, size_t size, const char *fmt, va_list ap)
{
    int n = vsnprintf(out, size, fmt, ap);
    if (n < 0)
        out[0] = '\0';
    else if ((size_t)n >= size)
        out[hg_utf8_cut(out, size - 1)] = '\0';
    return n;
}

int hg_utf8_snprintf(char *out, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = hg_utf8_vsnprintf(out, size, fmt, ap);
    va_end(ap);
    return n;
}

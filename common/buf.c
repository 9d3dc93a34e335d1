/* buf.c — a growable byte buffer with a hard cap set at creation. */
#include "common/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void hg_buf_init(struct hg_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void hg_buf_cleanup(struct hg_buf *b)
{
    if (!b)
        return;
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void hg_buf_reset(struct hg_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

/* Make room for n more bytes plus the NUL. Returns 0 or -1. */
static int buf_reserve(struct hg_buf *b, size_t n)
{
    if (n > b->max || b->len > b->max - n)
        return -1;
    size_t need = b->len + n + 1;
    if (need <= b->cap)
        return 0;
    size_t ncap = b->cap ? b->cap : 64;
    while (ncap < need) {
        if (ncap > ((size_t)-1) / 2) {
            ncap = need;
            break;
        }
        ncap *= 2;
    }
    /* never allocate much past what the cap allows */
    if (ncap > b->max + 1 && need <= b->max + 1)
        ncap = b->max + 1;
    char *nd = realloc(b->data, ncap);
    if (!nd)
        return -1;
    b->data = nd;
    b->cap = ncap;
    return 0;
}

int hg_buf_reserve(struct hg_buf *b, size_t n)
{
    return buf_reserve(b, n);
}

int hg_buf_append(struct hg_buf *b, const void *p, size_t n)
{
    if (buf_reserve(b, n) != 0)
        return -1;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int hg_buf_append_str(struct hg_buf *b, const char *s)
{
    return hg_buf_append(b, s, strlen(s));
}

int hg_buf_appendf(struct hg_buf *b, const char *fmt, ...)
{
    va_list ap;
    char small[256];
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    if ((size_t)n < sizeof small)
        return hg_buf_append(b, small, (size_t)n);
    if (buf_reserve(b, (size_t)n) != 0)
        return -1;
    va_start(ap, fmt);
    int m = vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    if (m != n) {
        b->data[b->len] = '\0';
        return -1;
    }
    b->len += (size_t)n;
    return 0;
}

int hg_buf_append_json_str(struct hg_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    int rc = -1;
    size_t start_len = b->len;
    size_t run = 0; /* start of the pending run of plain bytes */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[7];
        size_t elen = 0;
        switch (c) {
        case '"':  esc[0] = '\\'; esc[1] = '"';  elen = 2; break;
        case '\\': esc[0] = '\\'; esc[1] = '\\'; elen = 2; break;
        case '\n': esc[0] = '\\'; esc[1] = 'n';  elen = 2; break;
        case '\r': esc[0] = '\\'; esc[1] = 'r';  elen = 2; break;
        case '\t': esc[0] = '\\'; esc[1] = 't';  elen = 2; break;
        case '\b': esc[0] = '\\'; esc[1] = 'b';  elen = 2; break;
        case '\f': esc[0] = '\\'; esc[1] = 'f';  elen = 2; break;
        default:
            if (c < 0x20 || c == 0x7f) {
                esc[0] = '\\'; esc[1] = 'u'; esc[2] = '0'; esc[3] = '0';
                esc[4] = hex[c >> 4]; esc[5] = hex[c & 15];
                elen = 6;
            }
            break;
        }
        if (!elen)
            continue;
        if (i > run && hg_buf_append(b, s + run, i - run) != 0)
            goto out;
        if (hg_buf_append(b, esc, elen) != 0)
            goto out;
        run = i + 1;
    }
    if (n > run && hg_buf_append(b, s + run, n - run) != 0)
        goto out;
    rc = 0;
out:
    if (rc != 0) {
        b->len = start_len;
        if (b->data)
            b->data[b->len] = '\0';
    }
    return rc;
}

char *hg_buf_steal(struct hg_buf *b, size_t *len)
{
    char *d = b->data;
    if (len)
        *len = d ? b->len : 0;
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    return d;
}

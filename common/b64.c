/* b64.c — strict base64 (RFC 4648 §4) decoding and base64/base64url encoding. */
#include "common/b64.h"

#include <stdint.h>

static const char b64_std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Value of one standard-alphabet character, or -1. */
static int b64_val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

long hg_b64_decode(const char *in, size_t n, unsigned char *out, size_t *err_off)
{
    size_t dummy;
    if (!err_off)
        err_off = &dummy;
    /* Strip padding: at most two '=', only when the length is a multiple of 4. */
    size_t data_len = n;
    if (n % 4 == 0 && n > 0) {
        if (in[n - 1] == '=') {
            data_len--;
            if (in[n - 2] == '=')
                data_len--;
        }
    }
    size_t rem = data_len % 4;
    if (rem == 1) {
        /* a lone character cannot encode a byte; blame a stray char first */
        for (size_t i = 0; i < data_len; i++)
            if (b64_val((unsigned char)in[i]) < 0) {
                *err_off = i;
                return -1;
            }
        *err_off = n;
        return -1;
    }
    size_t o = 0;
    size_t i = 0;
    uint32_t acc = 0;
    for (; i + 4 <= data_len; i += 4) {
        acc = 0;
        for (size_t k = 0; k < 4; k++) {
            int v = b64_val((unsigned char)in[i + k]);
            if (v < 0) {
                *err_off = i + k;
                return -1;
            }
            acc = (acc << 6) | (uint32_t)v;
        }
        out[o++] = (unsigned char)(acc >> 16);
        out[o++] = (unsigned char)(acc >> 8);
        out[o++] = (unsigned char)acc;
    }
    if (rem) {
        acc = 0;
        for (size_t k = 0; k < rem; k++) {
            int v = b64_val((unsigned char)in[i + k]);
            if (v < 0) {
                *err_off = i + k;
                return -1;
            }
            acc = (acc << 6) | (uint32_t)v;
        }
        if (rem == 2) {
            if (acc & 0xf) {
                *err_off = i + 1;
                return -1;
            }
            out[o++] = (unsigned char)(acc >> 4);
        } else {
            if (acc & 0x3) {
                *err_off = i + 2;
                return -1;
            }
            out[o++] = (unsigned char)(acc >> 10);
            out[o++] = (unsigned char)(acc >> 2);
        }
    }
    return (long)o;
}

size_t hg_b64_encode(const unsigned char *in, size_t n, char *out, int url)
{
    const char *a = url ? b64_url : b64_std;
    size_t o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8) | in[i + 2];
        out[o++] = a[(v >> 18) & 63];
        out[o++] = a[(v >> 12) & 63];
        out[o++] = a[(v >> 6) & 63];
        out[o++] = a[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = a[(v >> 18) & 63];
        out[o++] = a[(v >> 12) & 63];
        if (!url) {
            out[o++] = '=';
            out[o++] = '=';
        }
    } else if (n - i == 2) {
        uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8);
        out[o++] = a[(v >> 18) & 63];
        out[o++] = a[(v >> 12) & 63];
        out[o++] = a[(v >> 6) & 63];
        if (!url)
            out[o++] = '=';
    }
    out[o] = '\0';
    return o;
}

/* form.c — application/x-www-form-urlencoded parsing with limits. */
#include "common/form.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/limits.h"

static int hex_val(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decode s[0..n) (starting at body offset base) into a new NUL-terminated
 * heap string. Returns it (caller frees), or NULL with errstr set. */
static char *form_decode(const char *s, size_t n, size_t base, size_t *out_len,
                         char *errstr, size_t errstr_size)
{
    char *d = malloc(n + 1);
    if (!d) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '+') {
            d[o++] = ' ';
        } else if (c == '%') {
            int hi = i + 1 < n ? hex_val((unsigned char)s[i + 1]) : -1;
            int lo = i + 2 < n ? hex_val((unsigned char)s[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                snprintf(errstr, errstr_size, "bad %%-escape at offset %zu", base + i);
                free(d);
                return NULL;
            }
            d[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            d[o++] = (char)c;
        }
    }
    d[o] = '\0';
    *out_len = o;
    return d;
}

int hg_form_parse(const char *body, size_t len, struct hg_form *out,
                  char *errstr, size_t errstr_size)
{
    int rc = -1;
    out->fields = NULL;
    out->n = 0;
    size_t cap = 0;
    size_t pos = 0;
    while (pos < len) {
        const char *amp = memchr(body + pos, '&', len - pos);
        size_t end = amp ? (size_t)(amp - body) : len;
        if (end == pos) {
            pos = end + 1;
            continue;
        }
        const char *eq = memchr(body + pos, '=', end - pos);
        size_t kend = eq ? (size_t)(eq - body) : end;
        size_t vstart = eq ? kend + 1 : end;
        if (kend == pos) {
            snprintf(errstr, errstr_size, "empty key at offset %zu", pos);
            goto out;
        }
        if (out->n >= HG_FORM_MAX_FIELDS) {
            snprintf(errstr, errstr_size, "more than %u fields", HG_FORM_MAX_FIELDS);
            goto out;
        }
        size_t klen;
        char *key = form_decode(body + pos, kend - pos, pos, &klen, errstr, errstr_size);
        if (!key)
            goto out;
        if (klen > HG_FORM_MAX_KEY) {
            snprintf(errstr, errstr_size, "key at offset %zu longer than %u bytes",
                     pos, HG_FORM_MAX_KEY);
            free(key);
            goto out;
        }
        if (memchr(key, '\0', klen)) {
            snprintf(errstr, errstr_size, "key at offset %zu contains %%00", pos);
            free(key);
            goto out;
        }
        size_t vlen;
        char *val = form_decode(body + vstart, end - vstart, vstart, &vlen,
                                errstr, errstr_size);
        if (!val) {
            free(key);
            goto out;
        }
        if (out->n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            if (ncap > HG_FORM_MAX_FIELDS)
                ncap = HG_FORM_MAX_FIELDS;
            struct hg_form_field *nf = realloc(out->fields, ncap * sizeof *nf);
            if (!nf) {
                snprintf(errstr, errstr_size, "out of memory");
                free(key);
                free(val);
                goto out;
            }
            out->fields = nf;
            cap = ncap;
        }
        out->fields[out->n].key = key;
        out->fields[out->n].value = val;
        out->fields[out->n].value_len = vlen;
        out->n++;
        pos = end + 1;
    }
    rc = 0;
out:
    if (rc != 0)
        hg_form_cleanup(out);
    return rc;
}

const struct hg_form_field *hg_form_get(const struct hg_form *f, const char *key)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->fields[i].key, key) == 0)
            return &f->fields[i];
    return NULL;
}

void hg_form_cleanup(struct hg_form *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n; i++) {
        free(f->fields[i].key);
        free(f->fields[i].value);
    }
    free(f->fields);
    f->fields = NULL;
    f->n = 0;
}

/* json.c — bounded JSON parsing into a yajl tree (built from yajl's
 * callback parser so depth, UTF-8 and size limits are ours), path
 * look-ups, and compact re-serialisation. */
#include "common/json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "common/buf.h"
#include "common/limits.h"

/* What the driver (json_drive) and every callback set share. */
struct json_base {
    const char *err;   /* our reason when a callback cancels */
    yajl_handle h;
    size_t root_end;   /* offset just past the root value, once complete */
    size_t len;        /* input length */
    bool completing;   /* inside yajl_complete_parse: offsets are not ours */
    bool have_root;    /* a value began at the top */
};

struct json_ctx {
    struct json_base b;   /* first: the driver's view */
    bool nul_ok;          /* HG_JSON_NUL_OK */
    yajl_val root;
    yajl_val stack[HG_JSON_MAX_DEPTH];
    size_t depth;
    size_t values, max_values;   /* values in the tree so far, and the cap */
};

/* What utf8_check returns for valid UTF-8 holding U+0000: a reason to
 * refuse it where a C string must carry the text. */
static const char utf8_nul[] = "string contains U+0000";

static const char *utf8_check(const unsigned char *s, size_t n);

/* What follows a 0 byte of a string: utf8_nul when it is valid, else the
 * reason. Off the hot path (a 0 byte comes only from \u0000): the runs
 * between 0 bytes go through utf8_check, which finds none in them (no
 * UTF-8 sequence holds a 0 byte, so cutting there splits none that is
 * valid). */
static __attribute__((noinline, cold)) const char *utf8_after_nul(const unsigned char *s, size_t n)
{
    for (;;) {
        const unsigned char *z = n ? memchr(s, 0, n) : NULL;
        size_t run = z ? (size_t)(z - s) : n;
        const char *bad = utf8_check(s, run);
        if (bad)
            return bad;
        if (!z)
            return utf8_nul;
        s = z + 1;
        n -= run + 1;
    }
}

/* Strict UTF-8 (RFC 3629): no overlongs, no surrogates, nothing above
 * U+10FFFF. Returns NULL when valid; utf8_nul when valid but holding a 0
 * byte (in a string yajl hands over, only ever decoded from \u0000: its
 * lexer refuses raw control bytes), which a C string cannot carry; else
 * the reason it is invalid. */
static const char *utf8_check(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        /* eight ASCII bytes, none of them NUL, at a time */
        while (n - i >= 8) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if ((w & 0x8080808080808080ull) ||
                ((w - 0x0101010101010101ull) & ~w & 0x8080808080808080ull))
                break;
            i += 8;
        }
        if (i >= n)
            break;
        unsigned char c = s[i];
        if (c == 0)
            return utf8_after_nul(s + i + 1, n - i - 1);
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        uint32_t cp;
        if (c >= 0xc2 && c <= 0xdf) { need = 1; cp = c & 0x1f; }
        else if (c >= 0xe0 && c <= 0xef) { need = 2; cp = c & 0x0f; }
        else if (c >= 0xf0 && c <= 0xf4) { need = 3; cp = c & 0x07; }
        else return "invalid UTF-8";
        if (n - i <= need)
            return "invalid UTF-8";
        for (size_t k = 1; k <= need; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return "invalid UTF-8";
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return "invalid UTF-8";
        i += need + 1;
    }
    return NULL;
}

const char *hg_json_utf8_check(const void *s, size_t n)
{
    return utf8_check(s, n);
}

static yajl_val json_new(yajl_type t)
{
    yajl_val v = calloc(1, sizeof *v);
    if (v)
        v->type = t;
    return v;
}

/* Attach v to the current container (or make it the root). Returns 1 to
 * continue, 0 to cancel; on cancel v has been freed. */
static int json_attach(struct json_ctx *c, yajl_val v)
{
    if (!v) {
        c->b.err = "out of memory";
        return 0;
    }
    if (++c->values > c->max_values) {   /* each costs ~50-100 bytes: a cap on memory */
        yajl_tree_free(v);
        c->b.err = "more values than the limit";
        return 0;
    }
    if (c->depth == 0) {
        c->root = v;
        c->b.have_root = true;
        /* a scalar root ends here; a root number that runs to the end of
         * the input is only emitted by yajl_complete_parse, whose byte
         * count is of its own one-byte buffer */
        c->b.root_end = c->b.completing ? c->b.len : yajl_get_bytes_consumed(c->b.h);
        return 1;
    }
    yajl_val top = c->stack[c->depth - 1];
    if (top->type == yajl_t_object) {
        /* the key was appended with a NULL value by json_map_key */
        top->u.object.values[top->u.object.len - 1] = v;
        return 1;
    }
    size_t len = top->u.array.len;
    if ((len & (len - 1)) == 0) { /* 0, 1, 2, 4, 8, ...: double */
        size_t ncap = len ? len * 2 : 1;
        yajl_val *nv = realloc(top->u.array.values, ncap * sizeof *nv);
        if (!nv) {
            yajl_tree_free(v);
            c->b.err = "out of memory";
            return 0;
        }
        top->u.array.values = nv;
    }
    top->u.array.values[len] = v;
    top->u.array.len = len + 1;
    return 1;
}

static int json_null(void *ctx)
{
    return json_attach(ctx, json_new(yajl_t_null));
}

static int json_boolean(void *ctx, int b)
{
    return json_attach(ctx, json_new(b ? yajl_t_true : yajl_t_false));
}

static int json_number(void *ctx, const char *s, size_t n)
{
    struct json_ctx *c = ctx;
    yajl_val v = json_new(yajl_t_number);
    if (!v)
        return json_attach(c, NULL);
    v->u.number.r = malloc(n + 1);
    if (!v->u.number.r) {
        free(v);
        return json_attach(c, NULL);
    }
    memcpy(v->u.number.r, s, n);
    v->u.number.r[n] = '\0';
    char *end = NULL;
    errno = 0;
    v->u.number.i = strtoll(v->u.number.r, &end, 10);
    if (errno == 0 && end && *end == '\0')
        v->u.number.flags |= YAJL_NUMBER_INT_VALID;
    end = NULL;
    errno = 0;
    v->u.number.d = strtod(v->u.number.r, &end);
    if (errno == 0 && end && *end == '\0')
        v->u.number.flags |= YAJL_NUMBER_DOUBLE_VALID;
    return json_attach(c, v);
}

/* s[0..n) escaped as the inside of a JSON string, after prefix (0 or 1
 * bytes), in one allocation of at least head + that text + NUL; the text
 * starts head bytes in. NULL when out of memory. */
static char *json_escaped(const unsigned char *s, size_t n, size_t head, const char *prefix,
                          size_t plen)
{
    struct hg_buf b;
    char *out = NULL;
    hg_buf_init(&b, 6 * n + plen + 1);   /* worst case: every byte becomes \u00XX */
    if (hg_buf_append(&b, prefix, plen) == 0 && hg_buf_append_json_str(&b, (const char *)s, n) == 0 &&
        (out = malloc(head + b.len + 1)) != NULL)
        memcpy(out + head, b.data, b.len + 1);
    hg_buf_cleanup(&b);
    return out;
}

/* A string value holding U+0000 (HG_JSON_NUL_OK): one block, the node and
 * its escaped text, as yajl_tree_free frees a node of a type it does not
 * know (free(v)). */
static yajl_val json_nul_string(const unsigned char *s, size_t n)
{
    char *blk = json_escaped(s, n, sizeof(struct yajl_val_s), "", 0);
    if (!blk)
        return NULL;
    yajl_val v = (yajl_val)(void *)blk;
    memset(v, 0, sizeof *v);
    v->type = HG_JSON_T_NUL_STRING;
    v->u.string = blk + sizeof *v;
    return v;
}

static int json_string(void *ctx, const unsigned char *s, size_t n)
{
    struct json_ctx *c = ctx;
    const char *bad = utf8_check(s, n);
    if (bad) {
        if (bad == utf8_nul && c->nul_ok)
            return json_attach(c, json_nul_string(s, n));
        c->b.err = bad;
        return 0;
    }
    yajl_val v = json_new(yajl_t_string);
    if (!v)
        return json_attach(c, NULL);
    v->u.string = malloc(n + 1);
    if (!v->u.string) {
        free(v);
        return json_attach(c, NULL);
    }
    memcpy(v->u.string, s, n);
    v->u.string[n] = '\0';
    return json_attach(c, v);
}

static int json_push(struct json_ctx *c, yajl_type t)
{
    if (c->depth >= HG_JSON_MAX_DEPTH) {
        c->b.err = "nesting deeper than the limit";
        return 0;
    }
    yajl_val v = json_new(t);
    if (!json_attach(c, v))
        return 0;
    c->stack[c->depth++] = v;
    return 1;
}

static int json_start_map(void *ctx)
{
    return json_push(ctx, yajl_t_object);
}

static int json_start_array(void *ctx)
{
    return json_push(ctx, yajl_t_array);
}

static int json_end(void *ctx)
{
    struct json_ctx *c = ctx;
    if (c->depth > 0)
        c->depth--;
    if (c->depth == 0)
        c->b.root_end = yajl_get_bytes_consumed(c->b.h);
    return 1;
}

static int json_map_key(void *ctx, const unsigned char *s, size_t n)
{
    static const char nul_key[1] = { HG_JSON_NUL_KEY };
    struct json_ctx *c = ctx;
    const char *bad = utf8_check(s, n);
    bool nul = false;
    if (bad) {
        if (bad != utf8_nul || !c->nul_ok) {
            c->b.err = bad;
            return 0;
        }
        nul = true;
    }
    int ok = 0;
    yajl_val top = c->stack[c->depth - 1];
    size_t len = top->u.object.len;
    if ((len & (len - 1)) == 0) { /* 0, 1, 2, 4, 8, ...: double */
        size_t ncap = len ? len * 2 : 1;
        const char **nk = realloc(top->u.object.keys, ncap * sizeof *nk);
        if (!nk)
            goto out;
        top->u.object.keys = nk;
        yajl_val *nv = realloc(top->u.object.values, ncap * sizeof *nv);
        if (!nv)
            goto out;
        top->u.object.values = nv;
    }
    char *k;
    if (__builtin_expect(nul, 0)) {
        k = json_escaped(s, n, 0, nul_key, 1);   /* HG_JSON_NUL_KEY, then its JSON text */
    } else if ((k = malloc(n + 1)) != NULL) {
        memcpy(k, s, n);
        k[n] = '\0';
    }
    if (!k)
        goto out;
    top->u.object.keys[len] = k;
    top->u.object.values[len] = NULL;
    top->u.object.len = len + 1;
    ok = 1;
out:
    if (!ok)
        c->b.err = "out of memory";
    return ok;
}

static const yajl_callbacks json_callbacks = {
    .yajl_null = json_null,
    .yajl_boolean = json_boolean,
    .yajl_number = json_number,
    .yajl_string = json_string,
    .yajl_start_map = json_start_map,
    .yajl_map_key = json_map_key,
    .yajl_end_map = json_end,
    .yajl_start_array = json_start_array,
    .yajl_end_array = json_end,
};

/* Run yajl over text with the callbacks; what the callbacks keep track of
 * sits in b (the first member of their context). Returns 0, or -1 with
 * errstr. */
static int json_drive(const yajl_callbacks *cb, struct json_base *b, const char *text, size_t len,
                      char *errstr, size_t errstr_size)
{
    int rc = -1;
    yajl_handle h = yajl_alloc(cb, NULL, b);
    if (!h) {
        snprintf(errstr, errstr_size, "out of memory");
        return -1;
    }
    b->h = h;
    b->len = len;
    /* yajl's lexer takes \v and \f for whitespace; RFC 8259 §2 allows only
     * space, tab, LF and CR. A raw control byte is wrong anywhere in JSON
     * text (yajl refuses them inside strings), so refuse these two up
     * front: the gateway copies a body it accepted into its record as is. */
    for (int k = 0; k < 2 && len > 0; k++) {
        const char *bad = memchr(text, k ? '\f' : '\v', len);
        if (bad) {
            snprintf(errstr, errstr_size, "offset %zu: a raw control character (\\%c), which JSON allows nowhere",
                     (size_t)(bad - text), k ? 'f' : 'v');
            goto out;
        }
    }
    /* yajl's defaults: strings validated, no comments, no trailing
     * garbage, one value. */
    yajl_status st = yajl_parse(h, (const unsigned char *)text, len);
    size_t off = yajl_get_bytes_consumed(h);
    if (st == yajl_status_ok) {
        b->completing = true;
        st = yajl_complete_parse(h);
        off = len;
    }
    if (st == yajl_status_client_canceled) {
        snprintf(errstr, errstr_size, "offset %zu: %s", off, b->err ? b->err : "rejected");
        goto out;
    }
    if (st != yajl_status_ok) {
        unsigned char *m = yajl_get_error(h, 0, NULL, 0);
        char msg[128];
        snprintf(msg, sizeof msg, "%s", m ? (const char *)m : "parse error");
        if (m)
            yajl_free_error(h, m);
        size_t ml = strlen(msg);
        while (ml > 0 && (msg[ml - 1] == '\n' || msg[ml - 1] == ' ' || msg[ml - 1] == '.'))
            msg[--ml] = '\0';
        snprintf(errstr, errstr_size, "offset %zu: %s", off, msg);
        goto out;
    }
    if (!b->have_root) {
        snprintf(errstr, errstr_size, "offset %zu: no JSON value", len);
        goto out;
    }
    /* yajl holds back a token cut off by the end of input (`{} "x`) and
     * yajl_complete_parse ignores it once the value is complete: only
     * whitespace may follow the root value. */
    for (size_t i = b->root_end; i < len; i++)
        if (text[i] != ' ' && text[i] != '\t' && text[i] != '\n' && text[i] != '\r') {
            snprintf(errstr, errstr_size, "offset %zu: trailing garbage after the JSON value", i);
            goto out;
        }
    rc = 0;
out:
    yajl_free(h);
    return rc;
}

yajl_val hg_json_parse(const char *text, size_t len, char *errstr, size_t errstr_size)
{
    return hg_json_parse_max(text, len, HG_JSON_MAX_VALUES, errstr, errstr_size);
}

yajl_val hg_json_parse_max(const char *text, size_t len, size_t max_values, char *errstr,
                           size_t errstr_size)
{
    return hg_json_parse_opts(text, len, max_values, 0, errstr, errstr_size);
}

yajl_val hg_json_parse_opts(const char *text, size_t len, size_t max_values, unsigned flags,
                            char *errstr, size_t errstr_size)
{
    struct json_ctx c;
    memset(&c, 0, sizeof c);
    c.max_values = max_values;
    c.nul_ok = (flags & HG_JSON_NUL_OK) != 0;
    yajl_val result = NULL;
    if (json_drive(&json_callbacks, &c.b, text, len, errstr, errstr_size) == 0) {
        result = c.root;
        c.root = NULL;
    }
    yajl_tree_free(c.root);
    return result;
}

/* ---- hg_json_pick --------------------------------------------------------- */

#define PICK_MAX 16u

struct pick_frame {
    uint16_t live;    /* picks whose path runs through this container (first occurrence) */
    uint16_t match;   /* those of them whose next key is the current key */
};

struct pick_ctx {
    struct json_base b;                     /* first: the driver's view */
    struct pick_frame frame[HG_JSON_MAX_DEPTH];
    size_t depth;
    struct hg_json_pick *picks;
    size_t n;
    uint8_t plen[PICK_MAX];                 /* keys in each pick's path */
    uint8_t klen[PICK_MAX][HG_JSON_PICK_DEPTH];
    uint8_t seen[PICK_MAX];                 /* bit d: met at depth d already */
    char *arena;
    size_t arena_size, arena_used;
};

/* A value begins (a scalar, or a container's start) at the current depth.
 * Fills in the picks it is, at their path's first occurrence; returns the
 * picks whose path runs on below it. */
static uint16_t pick_value(struct pick_ctx *c, enum hg_json_pick_kind kind, const char *s, size_t n)
{
    size_t d = c->depth;
    uint16_t cand = d == 0 ? (uint16_t)((1u << c->n) - 1) : c->frame[d - 1].match;
    uint16_t below = 0;
    for (size_t i = 0; cand; i++, cand >>= 1) {
        if (!(cand & 1u))
            continue;
        if (c->seen[i] & (1u << d))
            continue;              /* a repeated key: the first one counts */
        c->seen[i] |= (uint8_t)(1u << d);
        if (c->plen[i] > d) {
            below |= (uint16_t)(1u << i);
            continue;
        }
        struct hg_json_pick *p = &c->picks[i];
        p->kind = kind;
        if (kind == HG_JSON_PICK_STRING) {   /* (HG_JSON_PICK_STRING_NUL keeps nothing) */
            if (n > p->max_len || c->arena_size - c->arena_used < n + 1) {
                p->kind = HG_JSON_PICK_TOO_LONG;
                continue;
            }
            char *dst = c->arena + c->arena_used;
            memcpy(dst, s, n);
            dst[n] = '\0';
            c->arena_used += n + 1;
            p->str = dst;
        } else if (kind == HG_JSON_PICK_INTEGER) {
            /* the tree's test: strtoll takes all of it */
            char num[32], *end = NULL;
            p->kind = HG_JSON_PICK_OTHER;
            if (n < sizeof num) {
                memcpy(num, s, n);
                num[n] = '\0';
                errno = 0;
                long long v = strtoll(num, &end, 10);
                if (errno == 0 && end && *end == '\0') {
                    p->kind = HG_JSON_PICK_INTEGER;
                    p->integer = v;
                }
            }
        }
    }
    return below;
}

static int pick_scalar(struct pick_ctx *c, enum hg_json_pick_kind kind, const char *s, size_t n)
{
    pick_value(c, kind, s, n);
    if (c->depth == 0) {
        c->b.have_root = true;
        c->b.root_end = c->b.completing ? c->b.len : yajl_get_bytes_consumed(c->b.h);
    }
    return 1;
}

static int pick_null(void *ctx)
{
    return pick_scalar(ctx, HG_JSON_PICK_OTHER, NULL, 0);
}

static int pick_boolean(void *ctx, int b)
{
    (void)b;
    return pick_scalar(ctx, HG_JSON_PICK_OTHER, NULL, 0);
}

static int pick_number(void *ctx, const char *s, size_t n)
{
    return pick_scalar(ctx, HG_JSON_PICK_INTEGER, s, n);
}

static int pick_string(void *ctx, const unsigned char *s, size_t n)
{
    struct pick_ctx *c = ctx;
    enum hg_json_pick_kind kind = HG_JSON_PICK_STRING;
    const char *bad = utf8_check(s, n);
    if (bad) {
        if (bad != utf8_nul) {
            c->b.err = bad;
            return 0;
        }
        kind = HG_JSON_PICK_STRING_NUL;   /* nothing is kept of it */
    }
    return pick_scalar(c, kind, (const char *)s, n);
}

static int pick_push(struct pick_ctx *c, bool is_object)
{
    if (c->depth >= HG_JSON_MAX_DEPTH) {
        c->b.err = "nesting deeper than the limit";
        return 0;
    }
    uint16_t below = pick_value(c, is_object ? HG_JSON_PICK_OBJECT : HG_JSON_PICK_OTHER, NULL, 0);
    c->b.have_root = true;
    struct pick_frame *f = &c->frame[c->depth++];
    f->live = is_object ? below : 0;   /* paths run through objects only */
    f->match = 0;
    return 1;
}

static int pick_start_map(void *ctx)
{
    return pick_push(ctx, true);
}

static int pick_start_array(void *ctx)
{
    return pick_push(ctx, false);
}

static int pick_end(void *ctx)
{
    struct pick_ctx *c = ctx;
    if (c->depth > 0)
        c->depth--;
    if (c->depth == 0)
        c->b.root_end = yajl_get_bytes_consumed(c->b.h);
    return 1;
}

static int pick_map_key(void *ctx, const unsigned char *s, size_t n)
{
    struct pick_ctx *c = ctx;
    const char *bad = utf8_check(s, n);
    if (bad == utf8_nul)
        bad = NULL;   /* such a key matches no path below: their keys hold no 0 byte */
    if (bad) {
        c->b.err = bad;
        return 0;
    }
    struct pick_frame *f = &c->frame[c->depth - 1];
    size_t d = c->depth - 1;   /* the key is path[d] of the picks through f */
    f->match = 0;
    for (size_t i = 0, live = f->live; live; i++, live >>= 1)
        if ((live & 1u) && c->klen[i][d] == n && memcmp(c->picks[i].path[d], s, n) == 0)
            f->match |= (uint16_t)(1u << i);
    return 1;
}

static const yajl_callbacks pick_callbacks = {
    .yajl_null = pick_null,
    .yajl_boolean = pick_boolean,
    .yajl_number = pick_number,
    .yajl_string = pick_string,
    .yajl_start_map = pick_start_map,
    .yajl_map_key = pick_map_key,
    .yajl_end_map = pick_end,
    .yajl_start_array = pick_start_array,
    .yajl_end_array = pick_end,
};

int hg_json_pick(const char *text, size_t len, struct hg_json_pick *picks, size_t n,
                 char *arena, size_t arena_size, char *errstr, size_t errstr_size)
{
    struct pick_ctx ctx, *c = &ctx;   /* frames are set as they are pushed */
    if (n > PICK_MAX) {
        snprintf(errstr, errstr_size, "too many members to pick");
        return -1;
    }
    memset(&c->b, 0, sizeof c->b);
    memset(c->seen, 0, sizeof c->seen);
    c->depth = 0;
    c->arena_used = 0;
    c->picks = picks;
    c->n = n;
    c->arena = arena;
    c->arena_size = arena_size;
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (k < HG_JSON_PICK_DEPTH && picks[i].path[k])
            k++;
        c->plen[i] = (uint8_t)k;
        for (size_t j = 0; j < k; j++) {
            size_t kl = strlen(picks[i].path[j]);
            if (kl > HG_JSON_PICK_KEY_MAX) {
                snprintf(errstr, errstr_size, "a member to pick has a key over %u bytes", HG_JSON_PICK_KEY_MAX);
                return -1;
            }
            c->klen[i][j] = (uint8_t)kl;
        }
        picks[i].kind = HG_JSON_PICK_ABSENT;
        picks[i].str = NULL;
        picks[i].integer = 0;
    }
    return json_drive(&pick_callbacks, &c->b, text, len, errstr, errstr_size);
}

static yajl_val json_member(yajl_val v, const char *key)
{
    if (!v || v->type != yajl_t_object)
        return NULL;
    for (size_t i = 0; i < v->u.object.len; i++)
        if (v->u.object.keys[i] && strcmp(v->u.object.keys[i], key) == 0)
            return v->u.object.values[i];
    return NULL;
}

static yajl_val json_vget(yajl_val v, va_list ap)
{
    const char *k;
    while ((k = va_arg(ap, const char *)) != NULL) {
        v = json_member(v, k);
        if (!v)
            return NULL;
    }
    return v;
}

yajl_val hg_json_get(yajl_val v, ...)
{
    va_list ap;
    va_start(ap, v);
    yajl_val r = json_vget(v, ap);
    va_end(ap);
    return r;
}

const char *hg_json_get_str(yajl_val v, ...)
{
    va_list ap;
    va_start(ap, v);
    yajl_val r = json_vget(v, ap);
    va_end(ap);
    return r && r->type == yajl_t_string ? r->u.string : NULL;
}

/* s as a JSON string; escaped: s is JSON string text already. */
static int json_write_str(struct hg_buf *out, const char *s, bool escaped)
{
    size_t n = s ? strlen(s) : 0;
    if (hg_buf_append(out, "\"", 1) != 0 ||
        (escaped ? hg_buf_append(out, s, n) : hg_buf_append_json_str(out, s ? s : "", n)) != 0 ||
        hg_buf_append(out, "\"", 1) != 0)
        return -1;
    return 0;
}

static int json_write_key(struct hg_buf *out, const char *k)
{
    if (k && k[0] == HG_JSON_NUL_KEY)
        return json_write_str(out, k + 1, true);
    return json_write_str(out, k, false);
}

int hg_json_write(struct hg_buf *out, yajl_val v)
{
    if (!v)
        return hg_buf_append_str(out, "null");
    switch (v->type) {
    case yajl_t_string:
        return json_write_str(out, v->u.string, false);
    case HG_JSON_T_NUL_STRING:
        return json_write_str(out, v->u.string, true);
    case yajl_t_number:
        if (v->u.number.r)
            return hg_buf_append_str(out, v->u.number.r);
        if (v->u.number.flags & YAJL_NUMBER_INT_VALID)
            return hg_buf_appendf(out, "%lld", v->u.number.i);
        return hg_buf_appendf(out, "%.17g", v->u.number.d);
    case yajl_t_object:
        if (hg_buf_append(out, "{", 1) != 0)
            return -1;
        for (size_t i = 0; i < v->u.object.len; i++) {
            if ((i && hg_buf_append(out, ",", 1) != 0) ||
                json_write_key(out, v->u.object.keys[i]) != 0 ||
                hg_buf_append(out, ":", 1) != 0 ||
                hg_json_write(out, v->u.object.values[i]) != 0)
                return -1;
        }
        return hg_buf_append(out, "}", 1);
    case yajl_t_array:
        if (hg_buf_append(out, "[", 1) != 0)
            return -1;
        for (size_t i = 0; i < v->u.array.len; i++) {
            if ((i && hg_buf_append(out, ",", 1) != 0) ||
                hg_json_write(out, v->u.array.values[i]) != 0)
                return -1;
        }
        return hg_buf_append(out, "]", 1);
    case yajl_t_true:
        return hg_buf_append_str(out, "true");
    case yajl_t_false:
        return hg_buf_append_str(out, "false");
    case yajl_t_null:
    default:
        return hg_buf_append_str(out, "null");
    }
}

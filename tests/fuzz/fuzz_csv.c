/* fuzz_csv.c — libFuzzer target: the streaming CSV validator, fed whole and in
 * arbitrary chunk splits, with and without its fast paths (the line splitter, rows
 * copied from their input bytes); all runs must agree exactly (output, counters,
 * problems). Four tables: a split multi-valued column, empty markers, and a unique
 * index (int and string) whose normalised output, when the file is valid, must hold
 * no index value twice. The uniqueness set is built small here (64 slots instead of
 * 2^18), so its merges, sorts and mono-to-hash switch happen every few rows. */
#define HG_CSV_UNIQUE_BUFFER_SLOTS 64u
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "consumer/tables.h"
/* The validator itself, for its switches (scan level, raw copies). */
#include "consumer/csv_validate.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char TABLE[] =
    "{\"project\":\"p\",\"name\":\"t\",\"schema\":\"s\","
    "\"mappings\":[{\"name\":\"id\",\"type\":\"int\"},{\"name\":\"tag\",\"type\":\"string\"},"
    "{\"name\":\"price\",\"type\":\"float\"},{\"name\":\"ok\",\"type\":\"bool\"},"
    "{\"name\":\"day\",\"type\":\"date\"},{\"name\":\"at\",\"type\":\"timestamp\"}],"
    "\"options\":{\"index_column\":\"id\",\"required\":[\"tag\"],\"on_empty\":\"drop_row\","
    "\"multi_value_column\":\"tag\",\"multi_value_separator\":\",\",\"split_multi_values\":true,"
    "\"unique_index\":true}}";

static const char TABLE_MARKERS[] =
    "{\"project\":\"p\",\"name\":\"t\",\"schema\":\"s\","
    "\"mappings\":[{\"name\":\"id\",\"type\":\"int\"},{\"name\":\"tag\",\"type\":\"string\"},"
    "{\"name\":\"note\",\"type\":\"string\"},{\"name\":\"memo\",\"type\":\"string\"}],"
    "\"options\":{\"required\":[\"id\"],\"on_empty\":\"drop_row\",\"empty_markers\":[\"-\",\"x\"],"
    "\"multi_value_column\":\"tag\",\"multi_value_separator\":\";\"}}";

/* A unique index and one more column: each output row is one input row. */
#define TABLE_UNIQ(type)                                                                     \
    "{\"project\":\"p\",\"name\":\"t\",\"schema\":\"s\","                                 \
    "\"mappings\":[{\"name\":\"id\",\"type\":\"" type "\"},{\"name\":\"v\",\"type\":\"string\"}]," \
    "\"options\":{\"index_column\":\"id\",\"unique_index\":true}}"
static const char TABLE_UNIQ_INT[] = TABLE_UNIQ("int");
static const char TABLE_UNIQ_STR[] = TABLE_UNIQ("string");

/* How a run goes. */
enum mode {
    MODE_FAST = 0,    /* the defaults: splitter and raw row copies */
    MODE_NO_RAW,      /* splitter, every row written cell by cell */
    MODE_NO_SCAN,     /* the byte state machine alone */
};

struct outcome {
    int rc;
    struct hg_buf out, msg;
    struct hgc_csv_result res;
};

static int collect(void *arg, const char *p, size_t n)
{
    return hg_buf_append(arg, p, n);
}

/* Chunk sizes come from a small PRNG seeded by the first input byte. */
static void run(const struct hgc_table *t, const uint8_t *d, size_t n, uint32_t seed,
                enum mode mode, struct outcome *o)
{
    memset(o, 0, sizeof *o);
    hg_buf_init(&o->out, 64u << 20);
    hg_buf_init(&o->msg, 1u << 20);
    struct hgc_csv_options opts = { .max_problems = 5, .write = collect, .write_arg = &o->out };
    struct hgc_csv_validator *v = hgc_csv_validator_create(t, &opts);
    if (!v)
        abort();
    if (mode == MODE_NO_SCAN)
        v->scan = HGC_CSV_SCAN_OFF;
    if (mode != MODE_FAST)
        v->raw_out = false;
    size_t at = 0;
    while (at < n) {
        size_t k = n - at;
        if (seed) {
            seed = seed * 1103515245u + 12345u;
            k = 1 + (seed >> 16) % 17;
            if (k > n - at)
                k = n - at;
        }
        if (hgc_csv_validator_feed(v, d + at, k) != 0)
            abort();
        at += k;
    }
    o->rc = hgc_csv_validator_finish(v);
    o->res = *hgc_csv_validator_result(v);
    if (hgc_csv_validator_message(v, "t.csv", &o->msg) != 0)
        abort();
    for (size_t i = 0; i < o->res.nproblems; i++) {
        const struct hgc_csv_problem *p = &o->res.problems[i];
        if (p->value_len > HG_CSV_PROBLEM_VALUE_MAX || strlen(p->value) != p->value_len)
            abort();
    }
    o->res.problems = NULL;
    hgc_csv_validator_destroy(v);
}

static bool same(const struct outcome *a, const struct outcome *b)
{
    return a->rc == b->rc && a->out.len == b->out.len &&
           (!a->out.len || memcmp(a->out.data, b->out.data, a->out.len) == 0) &&
           a->msg.len == b->msg.len && (!a->msg.len || memcmp(a->msg.data, b->msg.data, a->msg.len) == 0) &&
           a->res.problem_count == b->res.problem_count && a->res.rows_in == b->res.rows_in &&
           a->res.rows_out == b->res.rows_out && a->res.rows_dropped == b->res.rows_dropped &&
           a->res.bytes_out == b->res.bytes_out;
}

static void free_outcome(struct outcome *o)
{
    hg_buf_cleanup(&o->out);
    hg_buf_cleanup(&o->msg);
}

/* One cell of canonical output at *p (unquoted, or quoted with "" inside): its
 * value into val (reset first); *p moves past the cell. Returns what ended it:
 * ',' '\n' or 0 at the end. */
static int out_next_cell(const char **p, const char *end, struct hg_buf *val)
{
    const char *s = *p;
    val->len = 0;
    if (s < end && *s == '"') {
        for (s++; s < end; s++) {
            if (*s == '"' && (s + 1 >= end || s[1] != '"'))
                break;
            if (*s == '"')
                s++;
            if (hg_buf_append(val, s, 1) != 0)
                abort();
        }
        s++;   /* the closing quote */
    } else {
        const char *e = s;
        while (e < end && *e != ',' && *e != '\n')
            e++;
        if (hg_buf_append(val, s, (size_t)(e - s)) != 0)
            abort();
        s = e;
    }
    int ended = s < end ? *s : 0;
    *p = s < end ? s + 1 : end;
    return ended;
}

static int cmp_bytes(const void *a, const void *b)
{
    const struct hg_buf *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = n ? memcmp(x->data, y->data, n) : 0;
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* A valid file's output under a unique index (first column) holds each index
 * value once: as integers for an int index ("01" and "1" are one value), as
 * bytes otherwise. Empty cells are not index values. */
static void check_unique_output(const struct hgc_table *t, const struct outcome *o)
{
    if (o->rc != 0 || o->out.len == 0)
        return;
    bool is_int = t->columns[0].type == HGC_COL_INT;
    const char *p = o->out.data, *end = p + o->out.len;
    struct hg_buf cellv;
    hg_buf_init(&cellv, HG_CSV_MAX_ROW_BYTES);
    size_t n = 0, cap = 0;
    struct hg_buf *vals = NULL;
    bool first_cell = true, header = true;
    while (p < end) {
        int ended = out_next_cell(&p, end, &cellv);
        if (first_cell && !header && cellv.len > 0) {
            if (n == cap) {
                cap = cap ? 2 * cap : 64;
                if (!(vals = realloc(vals, cap * sizeof *vals)))
                    abort();
            }
            hg_buf_init(&vals[n], HG_CSV_MAX_ROW_BYTES);
            if (is_int) {
                int64_t iv;
                if (!check_int(cellv.data, cellv.len, &iv))
                    abort();   /* a valid file's int index that is no int */
                if (hg_buf_append(&vals[n], &iv, sizeof iv) != 0)
                    abort();
            } else if (hg_buf_append(&vals[n], cellv.data, cellv.len) != 0) {
                abort();
            }
            n++;
        }
        first_cell = ended != ',';
        if (ended != ',')
            header = false;
    }
    qsort(vals, n, sizeof *vals, cmp_bytes);
    for (size_t i = 1; i < n; i++)
        if (cmp_bytes(&vals[i - 1], &vals[i]) == 0)
            abort();   /* a duplicate index value in a file called valid */
    for (size_t i = 0; i < n; i++)
        hg_buf_cleanup(&vals[i]);
    free(vals);
    hg_buf_cleanup(&cellv);
}

static void check_table(const struct hgc_table *t, const uint8_t *data, size_t size)
{
    uint32_t seed = size ? (uint32_t)data[0] * 2654435761u + 1u : 1u;
    struct outcome a, b, c, d;
    run(t, data, size, 0, MODE_FAST, &a);
    run(t, data, size, seed, MODE_FAST, &b);
    run(t, data, size, 0, MODE_NO_RAW, &c);
    run(t, data, size, 0, MODE_NO_SCAN, &d);
    if (!same(&a, &b) || a.res.bytes_in != size)
        abort();   /* chunking changed the result */
    if (!same(&a, &c) || !same(&a, &d))
        abort();   /* a fast path changed the result */
    if (a.rc == 0 && a.res.problem_count != 0)
        abort();
    if (t->unique_index && t->multi_value_column < 0)
        check_unique_output(t, &a);
    free_outcome(&a);
    free_outcome(&b);
    free_outcome(&c);
    free_outcome(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct hgc_table *t, *tm, *tui, *tus;
    if (!t) {
        char err[256];
        t = hgc_table_parse(TABLE, sizeof TABLE - 1, NULL, err, sizeof err);
        tm = hgc_table_parse(TABLE_MARKERS, sizeof TABLE_MARKERS - 1, NULL, err, sizeof err);
        tui = hgc_table_parse(TABLE_UNIQ_INT, sizeof TABLE_UNIQ_INT - 1, NULL, err, sizeof err);
        tus = hgc_table_parse(TABLE_UNIQ_STR, sizeof TABLE_UNIQ_STR - 1, NULL, err, sizeof err);
        if (!t || !tm || !tui || !tus)
            abort();
    }
    check_table(t, data, size);
    check_table(tm, data, size);
    check_table(tui, data, size);
    check_table(tus, data, size);
    return 0;
}

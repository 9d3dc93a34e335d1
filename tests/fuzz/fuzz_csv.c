/* fuzz_csv.c — libFuzzer target: the streaming CSV validator, fed whole and in
 * arbitrary chunk splits, with and without its fast paths (the line splitter, rows
 * copied from their input bytes); all runs must agree exactly (output, counters,
 * problems). Two tables: a split multi-valued column, and empty markers. */
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
    free_outcome(&a);
    free_outcome(&b);
    free_outcome(&c);
    free_outcome(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct hgc_table *t, *tm;
    if (!t) {
        char err[256];
        t = hgc_table_parse(TABLE, sizeof TABLE - 1, NULL, err, sizeof err);
        tm = hgc_table_parse(TABLE_MARKERS, sizeof TABLE_MARKERS - 1, NULL, err, sizeof err);
        if (!t || !tm)
            abort();
    }
    check_table(t, data, size);
    check_table(tm, data, size);
    return 0;
}

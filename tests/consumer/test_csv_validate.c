/* test_csv_validate.c — the streaming CSV validator: every rule, spreadsheet habits, chunk splits. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "consumer/csv_validate.h"
#include "consumer/tables.h"
#include "tests/unit/test.h"

/* id int (index, unique), tag string (required, multi-valued ",", split),
 * price float, active bool, day date, at timestamp, note string. */
static const char *const TABLE_JSON =
    "{\"project\":\"mkt\",\"name\":\"campaign_tags\",\"schema\":\"sheets\","
    "\"mappings\":[{\"name\":\"id\",\"type\":\"int\"},{\"name\":\"tag\",\"type\":\"string\"},"
    "{\"name\":\"price\",\"type\":\"float\"},{\"name\":\"active\",\"type\":\"bool\"},"
    "{\"name\":\"day\",\"type\":\"date\"},{\"name\":\"at\",\"type\":\"timestamp\"},"
    "{\"name\":\"note\",\"type\":\"string\"}],"
    "\"options\":{\"index_column\":\"id\",\"required\":[\"tag\"],\"on_empty\":\"drop_row\","
    "\"multi_value_column\":\"tag\",\"multi_value_separator\":\",\",\"split_multi_values\":true,"
    "\"unique_index\":true}}";

#define HDR "id,tag,price,active,day,at,note"

static struct hgc_table *table_from(const char *json)
{
    char err[256];
    struct hgc_table *t = hgc_table_parse(json, strlen(json), NULL, err, sizeof err);
    if (!t)
        fprintf(stderr, "table: %s\n", err);
    return t;
}

/* The outcome of one run, for comparisons. */
struct run {
    int rc;
    struct hg_buf out;
    struct hg_buf msg;
    struct hgc_csv_result res;
    struct hgc_csv_problem problems[32];
};

static int collect(void *arg, const char *data, size_t n)
{
    return hg_buf_append(arg, data, n);
}

/* Feed csv in pieces: cuts[] are split offsets (ascending), ncuts of them. */
static void run_split(struct run *r, const struct hgc_table *t, const char *csv, size_t len,
                      const size_t *cuts, size_t ncuts, size_t max_problems)
{
    memset(r, 0, sizeof *r);
    hg_buf_init(&r->out, 16u << 20);
    hg_buf_init(&r->msg, 1u << 20);
    struct hgc_csv_options o = { .max_problems = max_problems, .write = collect, .write_arg = &r->out };
    struct hgc_csv_validator *v = hgc_csv_validator_create(t, &o);
    if (!v) {
        r->rc = -2;
        return;
    }
    size_t at = 0;
    for (size_t i = 0; i <= ncuts; i++) {
        size_t to = i < ncuts ? cuts[i] : len;
        if (hgc_csv_validator_feed(v, csv + at, to - at) != 0)
            r->rc = -3;
        at = to;
    }
    int rc = hgc_csv_validator_finish(v);
    if (r->rc == 0)
        r->rc = rc;
    const struct hgc_csv_result *res = hgc_csv_validator_result(v);
    r->res = *res;
    for (size_t i = 0; i < res->nproblems && i < 32; i++)
        r->problems[i] = res->problems[i];
    r->res.problems = NULL;
    hgc_csv_validator_message(v, "campaign_tags.csv", &r->msg);
    hgc_csv_validator_destroy(v);
}

static void run_csv(struct run *r, const struct hgc_table *t, const char *csv)
{
    run_split(r, t, csv, strlen(csv), NULL, 0, 0);
}

static void run_free(struct run *r)
{
    hg_buf_cleanup(&r->out);
    hg_buf_cleanup(&r->msg);
}

static const char *out_str(struct run *r)
{
    return r->out.data ? r->out.data : "";
}

static const char *msg_str(struct run *r)
{
    return r->msg.data ? r->msg.data : "";
}

/* Describe problem i in words. */
static const char *describe(const struct hgc_table *t, struct run *r, size_t i)
{
    static char text[1024];
    struct hg_buf b;
    hg_buf_init(&b, sizeof text - 1);
    text[0] = '\0';
    if (i < r->res.nproblems && hgc_csv_problem_describe(t, &r->problems[i], &b) == 0 && b.data)
        snprintf(text, sizeof text, "%s", b.data);
    hg_buf_cleanup(&b);
    return text;
}

static void test_valid_file(const struct hgc_table *t)
{
    struct run r;
    /* BOM, CRLF, a quoted comma, a doubled quote, a quoted newline,
     * Japanese and Korean text, a multi-valued cell split into two rows,
     * an optional cell holding the marker "ー" (becomes empty), no newline
     * at the end. */
    const char *csv =
        "\xEF\xBB\xBF" HDR "\r\n"
        "1,\"夏,セール\",1200.5,TRUE,2024-02-29,2024-02-29 09:30:00,\"say \"\"hi\"\"\"\r\n"
        "2,한국어,-0.5e3,0,2023-12-31,2023-12-31T23:59:60.123Z,\"two\r\nlines\"\r\n"
        "3,solo,7,false,0001-01-01,2024-01-01T00:00:00+09:00,ー\r\n"
        "4,x,.5,1,2024-01-31,2024-01-31 12:00:00.5-0530,-";
    run_csv(&r, t, csv);
    CHECK_INT(r.rc, 0);
    CHECK_INT(r.res.problem_count, 0);
    CHECK_INT(r.res.rows_in, 4);
    CHECK_INT(r.res.rows_out, 5);
    CHECK_INT(r.res.rows_dropped, 0);
    CHECK_INT(r.res.rows_invalid, 0);
    CHECK_INT(r.res.bytes_in, strlen(csv));
    CHECK_INT(r.res.bytes_out, r.out.len);
    CHECK_STR(out_str(&r),
              HDR "\n"
              "1,夏,1200.5,TRUE,2024-02-29,2024-02-29 09:30:00,\"say \"\"hi\"\"\"\n"
              "1,セール,1200.5,TRUE,2024-02-29,2024-02-29 09:30:00,\"say \"\"hi\"\"\"\n"
              "2,한국어,-0.5e3,0,2023-12-31,2023-12-31T23:59:60.123Z,\"two\r\nlines\"\n"
              "3,solo,7,false,0001-01-01,2024-01-01T00:00:00+09:00,\n"
              "4,x,.5,1,2024-01-31,2024-01-31 12:00:00.5-0530,\n");
    CHECK_STR(msg_str(&r), "campaign_tags.csv is valid: 4 rows read, 5 written, 0 dropped (empty required cells).");
    run_free(&r);

    /* Header only: valid, nothing but the header written. */
    run_csv(&r, t, HDR "\n");
    CHECK_INT(r.rc, 0);
    CHECK_INT(r.res.rows_in, 0);
    CHECK_STR(out_str(&r), HDR "\n");
    run_free(&r);

    /* Blank lines are skipped, "a," at EOF is two cells. */
    run_csv(&r, t, HDR "\n\n5,t,1,1,2024-01-01,2024-01-01 00:00:00,\n\r\n");
    CHECK_INT(r.rc, 0);
    CHECK_INT(r.res.blank_lines, 2);
    CHECK_INT(r.res.rows_out, 1);
    CHECK_STR(out_str(&r), HDR "\n5,t,1,1,2024-01-01,2024-01-01 00:00:00,\n");
    run_free(&r);
}

static void test_empty_markers(const struct hgc_table *t)
{
    struct run r;
    /* Required "tag" with "ー", "-", " " or nothing: dropped (on_empty=drop_row). */
    run_csv(&r, t, HDR "\n1,ー,1,1,2024-01-01,2024-01-01 00:00:00,a\n2,-,1,1,2024-01-01,2024-01-01 00:00:00,b\n"
                   "3, ,1,1,2024-01-01,2024-01-01 00:00:00,c\n4,,1,1,2024-01-01,2024-01-01 00:00:00,d\n"
                   "5,ok,ー,-, ,,\n");
    CHECK_INT(r.rc, 0);
    CHECK_INT(r.res.rows_in, 5);
    CHECK_INT(r.res.rows_dropped, 4);
    CHECK_INT(r.res.rows_out, 1);
    /* Optional cells with markers become empty values (not type errors). */
    CHECK_STR(out_str(&r), HDR "\n5,ok,,,,,\n");
    CHECK_STR(msg_str(&r), "campaign_tags.csv is valid: 5 rows read, 1 written, 4 dropped (empty required cells).");
    run_free(&r);

    /* A marker is the whole cell, not a part of it: "-5" is a number. */
    run_csv(&r, t, HDR "\n1,a,-5,1,2024-01-01,2024-01-01 00:00:00,x-y\n");
    CHECK_INT(r.rc, 0);
    CHECK_INT(r.res.rows_out, 1);
    run_free(&r);

    /* on_empty=error: an empty required cell is a problem. */
    struct hgc_table *te = table_from(
        "{\"project\":\"p\",\"name\":\"t\",\"schema\":\"s\",\"mappings\":[{\"name\":\"id\",\"type\":\"int\"},"
        "{\"name\":\"tag\",\"type\":\"string\"}],\"options\":{\"index_column\":\"id\",\"required\":[\"tag\"]}}");
    CHECK(te != NULL);
    if (!te)
        return;
    run_csv(&r, te, "id,tag\n1,ー\n2,ok\n,x\n");
    CHECK_INT(r.rc, 1);
    CHECK_INT(r.res.problem_count, 2);
    CHECK_INT(r.res.rows_invalid, 2);
    CHECK_INT(r.res.rows_out, 1);
    CHECK_INT(r.problems[0].kind, HGC_CSV_EMPTY_REQUIRED);
    CHECK_INT(r.problems[0].row, 1);
    CHECK_INT(r.problems[0].line, 2);
    CHECK_INT(r.problems[0].column, 1);
    CHECK_STR(describe(te, &r, 0), "Row 1 (line 2), column 'tag': a value is required but the cell is empty 'ー'");
    CHECK_INT(r.problems[1].kind, HGC_CSV_EMPTY_REQUIRED);   /* index column is required */
    CHECK_INT(r.problems[1].row, 3);
    CHECK_INT(r.problems[1].column, 0);
    CHECK_STR(out_str(&r), "id,tag\n2,ok\n");
    run_free(&r);
    hgc_table_destroy(te);
}

/* Feed csv whole, and byte by byte (the state machine, no line splitter or
 * raw copy), to a validator for the table config json: the normalised
 * output must be want both times, and feeding it back must give the same
 * rows. */
static void check_output_roundtrip(const char *json, const char *csv, const char *want,
                                   uint64_t rows_out, int line)
{
    struct hgc_table *t = table_from(json);
    CHECK(t != NULL);
    if (!t)
        return;
    struct run r, again;
    size_t len = strlen(csv);
    size_t *every = malloc((len ? len : 1) * sizeof *every);
    for (size_t i = 0; i < len; i++)
        every[i] = i;
    for (int pass = 0; pass < 2; pass++) {
        run_split(&r, t, csv, len, every, pass ? len : 0, 0);
        hg_test_checks++;
        if (r.rc != 0 || strcmp(out_str(&r), want) != 0 || r.res.rows_out != rows_out) {
            hg_test_failures++;
            fprintf(stderr, "%s:%d: %s: rc %d, %llu rows, output \"%s\", expected \"%s\"\n",
                    __FILE__, line, pass ? "byte by byte" : "whole", r.rc,
                    (unsigned long long)r.res.rows_out, out_str(&r), want);
        }
        run_split(&again, t, out_str(&r), r.out.len, NULL, 0, 0);
        hg_test_checks++;
        if (again.rc != 0 || again.res.rows_in != rows_out || again.res.rows_out != rows_out ||
            strcmp(out_str(&again), want) != 0) {
            hg_test_failures++;
            fprintf(stderr, "%s:%d: fed back: rc %d, %llu rows read, %llu written, expected %llu\n",
                    __FILE__, line, again.rc, (unsigned long long)again.res.rows_in,
                    (unsigned long long)again.res.rows_out, (unsigned long long)rows_out);
        }
        run_free(&again);
        run_free(&r);
    }
    free(every);
    hgc_table_destroy(t);
}
#define CHECK_OUTPUT(json, csv, want, rows) check_output_roundtrip(json, csv, want, rows, __LINE__)
#define TABLE_JSON_WITH(maps, opts) \
    "{\"project\":\"p\",\"name\":\"t\",\"schema\":\"s\",\"mappings\":[" maps "],\"options\":{" opts "}}"

/* One column: an empty cell written as nothing would be an empty line,
 * which readers (and the validator) skip, so it is written as "". */
static void test_one_column(void)
{
    const char *v = TABLE_JSON_WITH("{\"name\":\"v\",\"type\":\"string\"}", "");
    CHECK_OUTPUT(v, "v\n-\n\"\"\nx\n", "v\n\"\"\n\"\"\nx\n", 3);
    CHECK_OUTPUT(v, "v\r\n \r\nー\r\n\"x\"\r\n\"\"", "v\n\"\"\n\"\"\nx\n\"\"\n", 4);
    /* A blank line is no row (as before); a quoted comma stays quoted. */
    CHECK_OUTPUT(v, "v\n\n\"a,b\"\n-\n", "v\n\"a,b\"\n\"\"\n", 2);
    /* The column multi-valued: split, each value is a row; a cell with no
     * value (only separators or markers) is empty. Unsplit, the same. */
    CHECK_OUTPUT(TABLE_JSON_WITH("{\"name\":\"tags\",\"type\":\"string\"}",
                                 "\"multi_value_column\":\"tags\",\"split_multi_values\":true"),
                 "tags\n\"a,b\"\n\",\"\n-\nc\n\"\"\n\"-,ー\"\n",
                 "tags\na\nb\n\"\"\n\"\"\nc\n\"\"\n\"\"\n", 7);
    CHECK_OUTPUT(TABLE_JSON_WITH("{\"name\":\"tags\",\"type\":\"int\"}", "\"multi_value_column\":\"tags\""),
                 "tags\n\"1,2\"\n\",\"\n-\n3\n", "tags\n\"1,2\"\n\"\"\n\"\"\n3\n", 4);
    /* Two columns: an empty row is "," already. */
    CHECK_OUTPUT(TABLE_JSON_WITH("{\"name\":\"a\",\"type\":\"string\"},{\"name\":\"b\",\"type\":\"string\"}", ""),
                 "a,b\n-,\"\"\n,\n", "a,b\n,\n,\n", 2);
}

static void test_forbidden_separators(const struct hgc_table *t)
{
    struct run r;
    run_csv(&r, t, HDR "\n"
                   "1,夏，冬,1,1,2024-01-01,2024-01-01 00:00:00,\n"      /* full-width comma */
                   "2,夏、冬,1,1,2024-01-01,2024-01-01 00:00:00,\n"      /* ideographic comma */
                   "3,\"a, b\",1,1,2024-01-01,2024-01-01 00:00:00,\n"    /* comma + space */
                   "4,\"a,b\",1,1,2024-01-01,2024-01-01 00:00:00,x、y\n"); /* note: not multi-valued */
    CHECK_INT(r.rc, 1);
    CHECK_INT(r.res.problem_count, 3);
    CHECK_INT(r.res.rows_out, 2);
    for (size_t i = 0; i < 3; i++) {
        CHECK_INT(r.problems[i].kind, HGC_CSV_FORBIDDEN_SEPARATOR);
        CHECK_INT(r.problems[i].column, 1);
        CHECK_INT(r.problems[i].row, i + 1);
    }
    CHECK_STR(describe(t, &r, 0), "Row 1 (line 2), column 'tag': '夏，冬' separates values with '，'; use ',' instead");
    CHECK_STR(describe(t, &r, 1), "Row 2 (line 3), column 'tag': '夏、冬' separates values with '、'; use ',' instead");
    CHECK_STR(describe(t, &r, 2), "Row 3 (line 4), column 'tag': 'a, b' separates values with ', '; use ',' instead");
    CHECK_STR(out_str(&r), HDR "\n4,a,1,1,2024-01-01,2024-01-01 00:00:00,x、y\n4,b,1,1,2024-01-01,2024-01-01 00:00:00,x、y\n");
    run_free(&r);

    /* Split: empty parts and marker parts are skipped; all-empty → empty cell. */
    run_csv(&r, t, HDR "\n1,\"a,,b,\",1,1,2024-01-01,2024-01-01 00:00:00,\n2,\",\",1,1,2024-01-01,2024-01-01 00:00:00,\n");
    CHECK_INT(r.rc, 0);
    CHECK_INT(r.res.rows_out, 2);
    CHECK_INT(r.res.rows_dropped, 1);
    CHECK_STR(out_str(&r), HDR "\n1,a,1,1,2024-01-01,2024-01-01 00:00:00,\n1,b,1,1,2024-01-01,2024-01-01 00:00:00,\n");
    run_free(&r);

    /* Without splitting the cell is kept whole; parts are still type-checked. */
    struct hgc_table *tn = table_from(
        "{\"project\":\"p\",\"name\":\"t\",\"schema\":\"s\",\"mappings\":[{\"name\":\"id\",\"type\":\"int\"},"
        "{\"name\":\"nums\",\"type\":\"int\"}],\"options\":{\"multi_value_column\":\"nums\","
        "\"multi_value_separator\":\"|\"}}");
    CHECK(tn != NULL);
    if (!tn)
        return;
    run_csv(&r, tn, "id,nums\n1,1|2|3\n2,4|x\n3,\n4,|\n5,\"7,8\"\n");
    CHECK_INT(r.rc, 1);
    CHECK_INT(r.res.problem_count, 2);
    CHECK_INT(r.problems[0].kind, HGC_CSV_TYPE);
    CHECK_STR(r.problems[0].value, "x");
    CHECK_INT(r.problems[1].kind, HGC_CSV_TYPE);   /* "7,8" is one part, not an int */
    /* Only separators: an empty value, written as "". */
    CHECK_STR(out_str(&r), "id,nums\n1,1|2|3\n3,\n4,\n");
    run_free(&r);
    hgc_table_destroy(tn);
}

struct typecase {
    const char *value;
    bool ok;
};

/* Put value in column col of an otherwise valid row and check the result. */
static void type_cases(const struct hgc_table *t, size_t col, const struct typecase *cases, size_t n)
{
    static const char *const base[] = { "1", "tag", "1.5", "true", "2024-01-01", "2024-01-01 00:00:00", "n" };
    for (size_t i = 0; i < n; i++) {
        char csv[4096];
        int len = snprintf(csv, sizeof csv, HDR "\n");
        for (size_t c = 0; c < 7; c++)
            len += snprintf(csv + len, sizeof csv - (size_t)len, "%s%s", c ? "," : "",
                            c == col ? cases[i].value : base[c]);
        snprintf(csv + len, sizeof csv - (size_t)len, "\n");
        struct run r;
        run_csv(&r, t, csv);
        hg_test_checks++;
        bool ok = r.rc == 0;
        if (ok != cases[i].ok || (!ok && (r.res.problem_count != 1 || r.problems[0].kind != HGC_CSV_TYPE ||
                                          r.problems[0].column != (int)col))) {
            hg_test_failures++;
            fprintf(stderr, "type case column %zu value '%s': expected %s, rc %d, problems %llu\n", col,
                    cases[i].value, cases[i].ok ? "valid" : "a type problem", r.rc,
                    (unsigned long long)r.res.problem_count);
        }
        run_free(&r);
    }
}

static void test_types(const struct hgc_table *t)
{
    static const struct typecase ints[] = {
        { "0", true }, { "-12", true }, { "+7", true }, { "007", true },
        { "9223372036854775807", true }, { "-9223372036854775808", true },
        { "9223372036854775808", false }, { "-9223372036854775809", false },
        { "99999999999999999999", false }, { "1.5", false }, { "abc", false }, { "+", false },
        { "\" 1\"", false }, { "1e3", false }, { "１２", false }, { "0x10", false },
    };
    static const struct typecase floats[] = {
        { "0", true }, { "-0.5", true }, { "5.", true }, { ".5", true }, { "1e308", true },
        { "1.7976931348623157e308", true }, { "1e-400", true }, { "+3.25E+02", true },
        { "1e309", false }, { "1.8e308", false }, { "inf", false }, { "nan", false },
        { "Infinity", false }, { "0x1p3", false }, { ".", false }, { "e5", false }, { "1e", false },
        { "\"1,5\"", false }, { "abc", false }, { "\"1 \"", false }, { "--1", false },
        /* no integer digits: the magnitude counts from the first non-zero fraction digit */
        { "0.5e400", false }, { ".9e999", false }, { "0.0018e311", false }, { "0.001e311", true },
        { "0.0001e311", true }, { "0.000e999", true }, { "-0e99999999999", true },
        { "1e-99999999999", true }, { "0.1e-99999999999", true },
    };
    /* Long spellings near the overflow boundary B = 2^1024 - 2^970 (a value
     * at or above it overflows): strtod sees a short spelling of the same
     * value, which must give the same verdict. */
    static const char B[] = "179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497792";
    static char above[1024], e308[1024], tail[1024];
    snprintf(above, sizeof above, "%s.%0400d1", B, 0);             /* B + 10^-401: overflows */
    snprintf(e308, sizeof e308, "1%0308d.%0300d", 0, 0);            /* 1e308, 611 characters */
    int k = snprintf(tail, sizeof tail, "%s.", B);   /* B - 1 + 0.99..9: finite */
    tail[sizeof B - 2]--;                              /* B ends in 2 */
    memset(tail + k, '9', 400);
    tail[k + 400] = '\0';
    const struct typecase long_floats[] = {
        { e308, true }, { tail, true }, { above, false }, { B, false },
    };
    static const struct typecase bools[] = {
        { "true", true }, { "false", true }, { "TRUE", true }, { "False", true }, { "1", true },
        { "0", true }, { "yes", false }, { "2", false }, { "t", false }, { "truee", false },
    };
    static const struct typecase dates[] = {
        { "2024-02-29", true }, { "2000-02-29", true }, { "9999-12-31", true },
        { "2023-02-29", false }, { "1900-02-29", false }, { "2024-04-31", false }, { "2024-13-01", false },
        { "2024-00-10", false }, { "2024-01-00", false }, { "0000-01-01", false }, { "2024/01/01", false },
        { "24-01-01", false }, { "2024-1-1", false }, { "2024-01-01 ", false }, { "２０２４-01-01", false },
    };
    static const struct typecase stamps[] = {
        { "2024-01-31 09:30:00", true }, { "2024-01-31T09:30:00", true }, { "2024-01-31T09:30:00Z", true },
        { "2024-01-31T09:30:00.123456789+09:00", true }, { "2024-01-31 09:30:00-0530", true },
        { "2024-01-31T09:30:00+09", true }, { "2016-12-31T23:59:60Z", true },
        { "2024-01-31", false }, { "2024-01-31 24:00:00", false }, { "2024-01-31 09:60:00", false },
        { "2024-01-31 09:30", false }, { "2024-01-31T09:30:00.Z", false },
        { "2024-01-31T09:30:00.1234567890Z", false }, { "2024-01-31T09:30:00+9:00", false },
        { "2024-01-31T09:30:00+24:00", false }, { "2024-02-30 00:00:00", false }, { "2024-01-31X09:30:00", false },
        { "2024-01-31T09:30:00ZZ", false },
    };
    type_cases(t, 0, ints, sizeof ints / sizeof ints[0]);
    type_cases(t, 2, floats, sizeof floats / sizeof floats[0]);
    type_cases(t, 2, long_floats, sizeof long_floats / sizeof long_floats[0]);
    type_cases(t, 3, bools, sizeof bools / sizeof bools[0]);
    type_cases(t, 4, dates, sizeof dates / sizeof dates[0]);
    type_cases(t, 5, stamps, sizeof stamps / sizeof stamps[0]);

    /* The message a spreadsheet owner reads. */
    struct run r;
    run_csv(&r, t, HDR "\n1,a,1,1,2024-01-01,2024-01-01 00:00:00,\n2,b,abc,1,2024-01-01,2024-01-01 00:00:00,\n");
    CHECK_INT(r.rc, 1);
    CHECK_STR(describe(t, &r, 0), "Row 2 (line 3), column 'price': 'abc' is not a number (float)");
    CHECK_STR(msg_str(&r), "campaign_tags.csv has 1 problem in 2 rows: Row 2 (line 3), column 'price': 'abc' is not a number (float).");
    CHECK_INT(r.res.rows_out, 1);
    run_free(&r);
}

static void test_structure(const struct hgc_table *t)
{
    struct run r;
    /* Header differs (a typo) and the wrong header count. */
    run_csv(&r, t, "id,tags,price,active,day,at,note\n");
    CHECK_INT(r.rc, 1);
    CHECK_INT(r.res.problem_count, 1);
    CHECK_INT(r.problems[0].kind, HGC_CSV_HEADER);
    CHECK_INT(r.problems[0].row, 0);
    CHECK_STR(describe(t, &r, 0), "Header, column 'tag': expected 'tag' but found 'tags'");
    run_free(&r);
    run_csv(&r, t, "id,tag\n");
    CHECK_INT(r.rc, 1);
    CHECK_INT(r.problems[0].kind, HGC_CSV_HEADER_COUNT);
    CHECK_STR(describe(t, &r, 0), "Header: found 2 columns, expected 7");
    run_free(&r);

    /* Column count on a data row. */
    run_csv(&r, t, HDR "\n1,a,1,1,2024-01-01,2024-01-01 00:00:00\n2,a,1,1,2024-01-01,2024-01-01 00:00:00,,\n");
    CHECK_INT(r.rc, 1);
    CHECK_INT(r.res.problem_count, 2);
    CHECK_INT(r.problems[0].kind, HGC_CSV_COLUMN_COUNT);
    CHECK_INT(r.problems[0].count, 6);
    CHECK_INT(r.problems[1].count, 8);
    CHECK_STR(describe(t, &r, 0), "Row 1 (line 2): found 6 columns, expected 7");
    run_free(&r);

    /* Bare quote, text after a closing quote, stray CR, unterminated quote. */
    run_csv(&r, t, HDR "\n"
                   "1,a\"b,1,1,2024-01-01,2024-01-01 00:00:00,\n"
                   "2,\"ab\"c,1,1,2024-01-01,2024-01-01 00:00:00,\n"
                   "3,a,1,1,2024-01-01,2024-01-01 00:00:00,x\r"
                   "4,a,1,1,2024-01-01,2024-01-01 00:00:00,\n"
                   "5,a,1,1,2024-01-01,2024-01-01 00:00:00,\"open\nstill open");
    CHECK_INT(r.rc, 1);
    CHECK_INT(r.res.problem_count, 4);
    CHECK_INT(r.problems[0].kind, HGC_CSV_BARE_QUOTE);
    CHECK_INT(r.problems[0].column, 1);
    CHECK_STR(r.problems[0].value, "a\"b");
    CHECK_INT(r.problems[1].kind, HGC_CSV_TEXT_AFTER_QUOTE);
    CHECK_STR(r.problems[1].value, "abc");
    CHECK_INT(r.problems[2].kind, HGC_CSV_STRAY_CR);
    CHECK_INT(r.problems[2].row, 3);
    CHECK_INT(r.problems[3].kind, HGC_CSV_UNTERMINATED_QUOTE);
    CHECK_INT(r.problems[3].row, 5);
    CHECK_INT(r.problems[3].line, 6);
    CHECK_STR(r.problems[3].value, "open\\nstill open");
    CHECK_INT(r.res.rows_out, 1);   /* row 4 only */
    CHECK_STR(describe(t, &r, 0), "Row 1 (line 2), column 'tag': a double quote (\") inside a cell that does not start with one (put the whole cell in quotes and double the quote): 'a\"b'");
    run_free(&r);

    /* Line numbers count quoted newlines; rows do not. */
    run_csv(&r, t, HDR "\n1,a,1,1,2024-01-01,2024-01-01 00:00:00,\"x\n\ny\"\n2,a,zz,1,2024-01-01,2024-01-01 00:00:00,\n");
    CHECK_INT(r.problems[0].row, 2);
    CHECK_INT(r.problems[0].line, 5);
    run_free(&r);

    /* Invalid UTF-8 (Shift_JIS bytes), an overlong, a surrogate; shown escaped. */
    run_csv(&r, t, HDR "\n1,\x83\x65\x83\x58\x83\x67,1,1,2024-01-01,2024-01-01 00:00:00,\n"
                   "2,a,1,1,2024-01-01,2024-01-01 00:00:00,\xC0\xAF\n"
                   "3,a,1,1,2024-01-01,2024-01-01 00:00:00,\xED\xA0\x80\n"
                   "4,a,1,1,2024-01-01,2024-01-01 00:00:00,ok \xE6\x97\n");
    CHECK_INT(r.rc, 1);
    CHECK_INT(r.res.problem_count, 4);
    CHECK_INT(r.problems[0].kind, HGC_CSV_BAD_UTF8);
    CHECK_INT(r.problems[0].column, 1);
    CHECK_STR(r.problems[0].value, "\\x83e\\x83X\\x83g");
    CHECK_STR(describe(t, &r, 0), "Row 1 (line 2), column 'tag': the text is not valid UTF-8 (save the file as \"CSV UTF-8\"): '\\x83e\\x83X\\x83g'");
    CHECK_INT(r.problems[3].kind, HGC_CSV_BAD_UTF8);
    CHECK_STR(r.problems[3].value, "ok \\xe6\\x97");
    /* the overlong and the surrogate go into the Slack message escaped too:
     * its JSON must be valid UTF-8 */
    CHECK_STR(r.problems[1].value, "\\xc0\\xaf");
    CHECK_STR(r.problems[2].value, "\\xed\\xa0\\x80");
    run_free(&r);

    /* Empty file, only a BOM, only blank lines. */
    const char *empties[] = { "", "\xEF\xBB\xBF", "\n\n", "\r\n" };
    for (size_t i = 0; i < 4; i++) {
        run_csv(&r, t, empties[i]);
        CHECK_INT(r.rc, 1);
        CHECK_INT(r.res.problem_count, 1);
        CHECK_INT(r.problems[0].kind, HGC_CSV_EMPTY_FILE);
        CHECK_STR(describe(t, &r, 0), "The file is empty: it has no header row");
        run_free(&r);
    }
    /* A partial BOM is data (and here a wrong header). */
    run_csv(&r, t, "\xEF\xBB" HDR "\n");
    CHECK_INT(r.rc, 1);
    CHECK_INT(r.problems[0].kind, HGC_CSV_BAD_UTF8);
    run_free(&r);
}

static void test_duplicates(const struct hgc_table *t)
{
    struct run r;
    run_csv(&r, t, HDR "\n7,a,1,1,2024-01-01,2024-01-01 00:00:00,\n8,a,1,1,2024-01-01,2024-01-01 00:00:00,\n"
                   "+7,a,1,1,2024-01-01,2024-01-01 00:00:00,\n007,b,1,1,2024-01-01,2024-01-01 00:00:00,\n"
                   "8,a,zz,1,2024-01-01,2024-01-01 00:00:00,\n9,ー,1,1,2024-01-01,2024-01-01 00:00:00,\n"
                   "9,a,1,1,2024-01-01,2024-01-01 00:00:00,\n");
    CHECK_INT(r.rc, 1);
    CHECK_INT(r.res.problem_count, 4);   /* int index: compared as numbers */
    CHECK_INT(r.problems[0].kind, HGC_CSV_DUPLICATE_INDEX);
    CHECK_INT(r.problems[0].row, 3);
    CHECK_STR(describe(t, &r, 0), "Row 3 (line 4), column 'id': '+7' appears more than once (the index must be unique)");
    CHECK_INT(r.problems[1].kind, HGC_CSV_DUPLICATE_INDEX);
    CHECK_INT(r.problems[1].row, 4);
    /* A duplicate is reported even when another cell of the row is wrong. */
    CHECK_INT(r.problems[2].kind, HGC_CSV_TYPE);
    CHECK_INT(r.problems[3].kind, HGC_CSV_DUPLICATE_INDEX);
    CHECK_INT(r.problems[3].row, 5);
    /* A dropped row's index does not count: row 7 (id 9) is fine. */
    CHECK_INT(r.res.rows_dropped, 1);
    CHECK_INT(r.res.rows_out, 3);
    run_free(&r);

    /* So it is when the other cell's problem is a structural one (text
     * after a closing quote, a bare quote), found while splitting the row;
     * one in the index cell itself leaves the index unchecked. */
    run_csv(&r, t, HDR "\n7,a,1,1,2024-01-01,2024-01-01 00:00:00,\n"
                   "7,\"a\"x,1,1,2024-01-01,2024-01-01 00:00:00,\n"
                   "7,a,1,1,2024-01-01,2024-01-01 00:00:00,n\"\n"
                   "\"7\"x,a,1,1,2024-01-01,2024-01-01 00:00:00,\n");
    CHECK_INT(r.rc, 1);
    CHECK_INT(r.res.problem_count, 6);
    CHECK_INT(r.problems[0].kind, HGC_CSV_TEXT_AFTER_QUOTE);
    CHECK_INT(r.problems[1].kind, HGC_CSV_DUPLICATE_INDEX);
    CHECK_INT(r.problems[1].row, 2);
    CHECK_INT(r.problems[2].kind, HGC_CSV_BARE_QUOTE);
    CHECK_INT(r.problems[3].kind, HGC_CSV_DUPLICATE_INDEX);
    CHECK_INT(r.problems[3].row, 3);
    CHECK_INT(r.problems[4].kind, HGC_CSV_TEXT_AFTER_QUOTE);
    CHECK_INT(r.problems[4].row, 4);
    CHECK_INT(r.problems[5].kind, HGC_CSV_TYPE);   /* '7x' is no int */
    CHECK_INT(r.res.rows_invalid, 3);
    run_free(&r);

    /* Many rows: the recent set is merged into the sorted array several times. */
    size_t nrows = 3 * HG_CSV_UNIQUE_BUFFER_SLOTS / 2 + 1000;
    struct hg_buf csv;
    hg_buf_init(&csv, 64u << 20);
    hg_buf_append_str(&csv, "id,tag\n");
    for (size_t i = 0; i < nrows; i++)
        hg_buf_appendf(&csv, "k%zu,x\n", i * 7919);
    hg_buf_appendf(&csv, "k%zu,dup\n", (size_t)5 * 7919);            /* merged long ago */
    hg_buf_appendf(&csv, "k%zu,dup\n", (nrows - 3) * 7919);          /* still in the recent set */
    hg_buf_appendf(&csv, "k%zu,dup\n", (size_t)(HG_CSV_UNIQUE_BUFFER_SLOTS / 2 + 17) * 7919);
    struct hgc_table *ts = table_from(
        "{\"project\":\"p\",\"name\":\"t\",\"schema\":\"s\",\"mappings\":[{\"name\":\"id\",\"type\":\"string\"},"
        "{\"name\":\"tag\",\"type\":\"string\"}],\"options\":{\"index_column\":\"id\",\"unique_index\":true}}");
    CHECK(ts != NULL);
    if (ts) {
        run_split(&r, ts, csv.data, csv.len, NULL, 0, 0);
        CHECK_INT(r.rc, 1);
        CHECK_INT(r.res.problem_count, 3);
        CHECK_INT(r.res.rows_out, nrows);
        CHECK_INT(r.problems[0].row, nrows + 1);
        CHECK_INT(r.problems[2].row, nrows + 3);
        CHECK_STR(r.problems[0].value, "k39595");
        char want[32];
        snprintf(want, sizeof want, "k%zu", (nrows - 3) * 7919);
        CHECK_STR(r.problems[1].value, want);
        run_free(&r);
        hgc_table_destroy(ts);
    }
    hg_buf_cleanup(&csv);
}

/* The problems kept are the first N by row, although a duplicate index
 * value is found some rows late: it takes the place of a later row's. */
static void test_problem_order(void)
{
    struct hgc_table *t = table_from(TABLE_JSON_WITH(
        "{\"name\":\"id\",\"type\":\"int\"},{\"name\":\"v\",\"type\":\"int\"}",
        "\"index_column\":\"id\",\"unique_index\":true"));
    CHECK(t != NULL);
    if (!t)
        return;
    struct run r;
    const char *csv = "id,v\n1,1\n1,2\n3,3\nq,4\nr,5\n";
    run_split(&r, t, csv, strlen(csv), NULL, 0, 2);
    CHECK_INT(r.res.problem_count, 3);
    CHECK_INT(r.res.nproblems, 2);
    CHECK_INT(r.problems[0].kind, HGC_CSV_DUPLICATE_INDEX);
    CHECK_INT(r.problems[0].row, 2);
    CHECK_INT(r.problems[1].kind, HGC_CSV_TYPE);
    CHECK_INT(r.problems[1].row, 4);
    CHECK_STR(msg_str(&r), "campaign_tags.csv has 3 problems in 5 rows: Row 2 (line 3), column 'id': "
                           "'1' appears more than once (the index must be unique); Row 4 (line 5), "
                           "column 'id': 'q' is not a whole number (int); and 1 more.");
    run_free(&r);

    /* Found 16 rows late, after the list is full of later rows' problems;
     * in the duplicate's own row it comes after the row's other problems. */
    struct hg_buf b;
    hg_buf_init(&b, 1u << 20);
    hg_buf_append_str(&b, "id,v\n1,1\n1,x\n");
    for (int i = 2; i < 40; i++)
        hg_buf_appendf(&b, "%d,x%d\n", i, i);
    for (size_t max = 1; max <= 6; max++) {
        run_split(&r, t, b.data, b.len, NULL, 0, max);
        CHECK_INT(r.res.problem_count, 40);
        CHECK_INT(r.res.nproblems, max);
        CHECK_INT(r.problems[0].kind, HGC_CSV_TYPE);
        CHECK_INT(r.problems[0].row, 2);
        if (max >= 2) {
            CHECK_INT(r.problems[1].kind, HGC_CSV_DUPLICATE_INDEX);
            CHECK_INT(r.problems[1].row, 2);
        }
        for (size_t i = 2; i < max; i++)
            CHECK_INT(r.problems[i].row, i + 1);
        char more[32];
        snprintf(more, sizeof more, "; and %zu more.", 40 - max);
        CHECK(strstr(msg_str(&r), more) != NULL);
        run_free(&r);
    }
    hg_buf_cleanup(&b);
    hgc_table_destroy(t);
}

static void test_limits(const struct hgc_table *t)
{
    struct run r;
    /* A cell over the cap: reported (value cut), the next row still checked. */
    size_t big = HG_CSV_MAX_FIELD_BYTES + 10;
    struct hg_buf csv;
    hg_buf_init(&csv, 4u << 20);
    hg_buf_append_str(&csv, HDR "\n1,a,1,1,2024-01-01,2024-01-01 00:00:00,\"");
    for (size_t i = 0; i < big; i++)
        hg_buf_append(&csv, "x", 1);
    hg_buf_append_str(&csv, "\"\n2,a,bad,1,2024-01-01,2024-01-01 00:00:00,\n");
    run_split(&r, t, csv.data, csv.len, NULL, 0, 0);
    CHECK_INT(r.rc, 1);
    CHECK_INT(r.res.problem_count, 2);
    CHECK_INT(r.problems[0].kind, HGC_CSV_FIELD_TOO_LONG);
    CHECK_INT(r.problems[0].column, 6);
    CHECK(r.problems[0].value_truncated);
    CHECK_INT(r.problems[0].value_len, HG_CSV_PROBLEM_VALUE_MAX);
    CHECK_INT(r.problems[1].kind, HGC_CSV_TYPE);
    CHECK_INT(r.problems[1].row, 2);
    run_free(&r);

    /* A row over the cap (many cells, each under the cell cap). */
    hg_buf_reset(&csv);
    hg_buf_append_str(&csv, HDR "\n");
    for (size_t i = 0; i < 12; i++) {
        hg_buf_append_str(&csv, i ? "," : "");
        for (size_t k = 0; k < 100000; k++)
            hg_buf_append(&csv, "y", 1);
    }
    hg_buf_append_str(&csv, "\n3,a,1,1,2024-01-01,2024-01-01 00:00:00,\n");
    run_split(&r, t, csv.data, csv.len, NULL, 0, 0);
    CHECK_INT(r.rc, 1);
    CHECK_INT(r.res.problem_count, 1);
    CHECK_INT(r.problems[0].kind, HGC_CSV_ROW_TOO_LONG);
    CHECK_INT(r.res.rows_out, 1);
    run_free(&r);

    /* max_problems: all counted, the first N kept, the message says how many more. */
    hg_buf_reset(&csv);
    hg_buf_append_str(&csv, HDR "\n");
    for (size_t i = 0; i < 30; i++)
        hg_buf_appendf(&csv, "%zu,a,x%zu,1,2024-01-01,2024-01-01 00:00:00,\n", i, i);
    run_split(&r, t, csv.data, csv.len, NULL, 0, 5);
    CHECK_INT(r.res.problem_count, 30);
    CHECK_INT(r.res.nproblems, 5);
    CHECK_INT(r.problems[4].row, 5);
    CHECK(strstr(msg_str(&r), "has 30 problems in 30 rows: Row 1 (line 2), column 'price': 'x0' is not a number (float); ") == msg_str(&r) + strlen("campaign_tags.csv "));
    CHECK(strstr(msg_str(&r), "; and 25 more.") != NULL);
    run_free(&r);
    run_split(&r, t, csv.data, csv.len, NULL, 0, 0);
    CHECK_INT(r.res.nproblems, HG_CSV_MAX_PROBLEMS_DEFAULT);
    run_free(&r);
    hg_buf_cleanup(&csv);
}

/* Whole UTF-8 sequences only (the text goes to Slack). */
static bool utf8_whole(const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3
                   : (c & 0xF8) == 0xF0 ? 4 : 0;
        if (len == 0 || i + len > n)
            return false;
        for (size_t k = 1; k < len; k++)
            if (((unsigned char)s[i + k] & 0xC0) != 0x80)
                return false;
        i += len;
    }
    return true;
}

/* The summary fits its buffer's cap less HGC_CSV_MESSAGE_RESERVE, whole
 * problems only, the rest counted: the pipeline builds it in a buffer of
 * HGC_MESSAGE_MAX and posts ":x: ERROR: " and it in a text of that size. */
static void test_message_budget(void)
{
    /* A 128-byte column name (in 3-byte characters, 42 of them, and 2
     * ASCII), each problem a long one: a bare quote with an 80-byte value. */
    char name[HG_TABLE_COLUMN_NAME_MAX + 1] = "";
    for (int i = 0; i < 42; i++)
        strcat(name, "列");
    strcat(name, "ab");
    CHECK_INT(strlen(name), HG_TABLE_COLUMN_NAME_MAX);
    char json[512];
    snprintf(json, sizeof json,
             "{\"project\":\"p\",\"name\":\"t\",\"schema\":\"s\",\"mappings\":[{\"name\":\"%s\",\"type\":\"string\"}]}",
             name);
    struct hgc_table *t = table_from(json);
    CHECK(t != NULL);
    if (!t)
        return;
    struct hg_buf csv;
    hg_buf_init(&csv, 1u << 20);
    hg_buf_appendf(&csv, "%s\n", name);
    for (int i = 0; i < 40; i++) {
        hg_buf_append_str(&csv, "a\"");
        for (int k = 0; k < 30; k++)
            hg_buf_append_str(&csv, "値");
        hg_buf_append_str(&csv, "\n");
    }
    static const char fname[] = "campaign_tags.csv";
    static const struct { size_t max_problems, cap; } cases[] = {
        { 20, HGC_MESSAGE_MAX }, { 40, HGC_MESSAGE_MAX }, { 20, 4096 }, { 20, 600 }, { 20, 90 },
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        struct hgc_csv_options o = { .max_problems = cases[c].max_problems };
        struct hgc_csv_validator *v = hgc_csv_validator_create(t, &o);
        CHECK(v != NULL);
        if (!v)
            break;
        hgc_csv_validator_feed(v, csv.data, csv.len);
        CHECK_INT(hgc_csv_validator_finish(v), 1);
        CHECK_INT(hgc_csv_validator_result(v)->problem_count, 40);
        struct hg_buf m;
        hg_buf_init(&m, cases[c].cap);
        CHECK_INT(hgc_csv_validator_message(v, fname, &m), 0);
        const char *text = m.data ? m.data : "";
        CHECK(m.len <= cases[c].cap - HGC_CSV_MESSAGE_RESERVE);
        CHECK(utf8_whole(text, m.len));
        CHECK(strncmp(text, "campaign_tags.csv has 40 problems in 40 rows", 44) == 0);
        /* Problems listed (each starts "Row "), and the count of the rest. */
        size_t listed = 0;
        for (const char *p = text; (p = strstr(p, "Row ")) != NULL; p++)
            listed++;
        char end[48];
        snprintf(end, sizeof end, "; and %zu more.", (size_t)40 - listed);
        size_t el = strlen(end);
        if (listed == 0)
            CHECK_STR(text, "campaign_tags.csv has 40 problems in 40 rows.");
        else
            CHECK(m.len >= el && strcmp(text + m.len - el, end) == 0);
        if (cases[c].cap == HGC_MESSAGE_MAX) {
            CHECK(listed >= 20);   /* the 20 kept by default always fit */
            char post[HGC_MESSAGE_MAX];
            int n = snprintf(post, sizeof post, ":x: ERROR: %s", text);
            CHECK(n >= 0 && (size_t)n < sizeof post);
        }
        if (cases[c].cap == 600)
            CHECK_INT(listed, 1);
        hg_buf_cleanup(&m);
        hgc_csv_validator_destroy(v);
    }
    hg_buf_cleanup(&csv);

    /* A first sentence longer than the cap (a long file name, in 2-byte
     * characters) is cut where a character starts. */
    struct hgc_csv_validator *v = hgc_csv_validator_create(t, NULL);
    CHECK(v != NULL);
    if (v) {
        hgc_csv_validator_feed(v, "x\n", 2);
        hgc_csv_validator_finish(v);
        char longname[601] = "";
        for (int i = 0; i < 300; i++)
            strcat(longname, "é");
        struct hg_buf m;
        hg_buf_init(&m, 128 + HGC_CSV_MESSAGE_RESERVE + 1);
        CHECK_INT(hgc_csv_validator_message(v, longname, &m), 0);
        CHECK_INT(m.len, 128);   /* 64 whole characters of the 128.5 that would fit */
        CHECK(utf8_whole(m.data ? m.data : "", m.len));
        hg_buf_cleanup(&m);
        hgc_csv_validator_destroy(v);
    }
    hgc_table_destroy(t);
}

static int fail_writer(void *arg, const char *data, size_t n)
{
    (void)data;
    (void)n;
    return ++*(int *)arg >= 1 ? -1 : 0;
}

static void test_write_failure(const struct hgc_table *t)
{
    int calls = 0;
    struct hgc_csv_options o = { .write = fail_writer, .write_arg = &calls };
    struct hgc_csv_validator *v = hgc_csv_validator_create(t, &o);
    CHECK(v != NULL);
    if (!v)
        return;
    const char *csv = HDR "\n1,a,1,1,2024-01-01,2024-01-01 00:00:00,\n";
    CHECK_INT(hgc_csv_validator_feed(v, csv, strlen(csv)), 0);   /* batched, not yet written */
    CHECK_INT(hgc_csv_validator_finish(v), -1);
    CHECK(hgc_csv_validator_result(v)->aborted);
    CHECK_INT(hgc_csv_validator_feed(v, "x", 1), -1);
    CHECK_INT(calls, 1);
    hgc_csv_validator_destroy(v);

    /* No writer: validation only, rows_out still counted. */
    v = hgc_csv_validator_create(t, NULL);
    CHECK_INT(hgc_csv_validator_feed(v, csv, strlen(csv)), 0);
    CHECK_INT(hgc_csv_validator_finish(v), 0);
    CHECK_INT(hgc_csv_validator_result(v)->rows_out, 1);
    CHECK_INT(hgc_csv_validator_result(v)->bytes_out, 0);
    hgc_csv_validator_destroy(v);
}

static bool same_run(struct run *a, struct run *b)
{
    if (a->rc != b->rc || a->out.len != b->out.len ||
        (a->out.len && memcmp(a->out.data, b->out.data, a->out.len) != 0) ||
        a->msg.len != b->msg.len || (a->msg.len && memcmp(a->msg.data, b->msg.data, a->msg.len) != 0) ||
        a->res.problem_count != b->res.problem_count || a->res.rows_in != b->res.rows_in ||
        a->res.rows_out != b->res.rows_out || a->res.rows_dropped != b->res.rows_dropped ||
        a->res.bytes_in != b->res.bytes_in || a->res.nproblems != b->res.nproblems)
        return false;
    for (size_t i = 0; i < a->res.nproblems && i < 32; i++) {
        const struct hgc_csv_problem *p = &a->problems[i], *q = &b->problems[i];
        if (p->kind != q->kind || p->row != q->row || p->line != q->line || p->column != q->column ||
            strcmp(p->value, q->value) != 0)
            return false;
    }
    return true;
}

/* Every split point (one cut, and byte-by-byte) gives the same result. */
static void test_chunk_splits(const struct hgc_table *t)
{
    const char *files[] = {
        "\xEF\xBB\xBF" HDR "\r\n"
        "1,\"夏,セール\",1200.5,TRUE,2024-02-29,2024-02-29 09:30:00,\"say \"\"hi\"\"\"\r\n"
        "2,한국어,-0.5e3,0,2023-12-31,2023-12-31T23:59:60.123Z,\"two\r\nlines\"\r\n"
        "3,ー,7,false,0001-01-01,2024-01-01T00:00:00+09:00,ー\r\n"
        "4,夏，冬,x,1,2024-01-31,2024-01-31 12:00:00.5-0530,-\r\n"
        "5,\"a\"b,1,1,2024-01-01,2024-01-01 00:00:00,\xE6\x97\r\n"
        "1,dup,1,1,2024-01-01,2024-01-01 00:00:00,\"\"\r\n"
        "6,a,1,1,2024-01-01,2024-01-01 00:00:00,q\"r\r"
        "7,a,1\n",
        HDR "\n8,\"a,b\",1,1,2024-01-01,2024-01-01 00:00:00,\"end\"",
        "\xEF\xBB\xBF",
        "\xEF\xBB",
    };
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        const char *csv = files[f];
        size_t len = strlen(csv);
        struct run whole, part;
        run_split(&whole, t, csv, len, NULL, 0, 0);
        if (f == 0) {
            CHECK_INT(whole.res.problem_count, 7);
            CHECK_INT(whole.res.rows_out, 3);
        }
        int mismatches = 0;
        for (size_t cut = 0; cut <= len; cut++) {
            run_split(&part, t, csv, len, &cut, 1, 0);
            if (!same_run(&whole, &part))
                mismatches++;
            run_free(&part);
            for (size_t cut2 = cut; cut2 <= len && f == 0 && cut % 7 == 0; cut2 += 3) {
                size_t cuts[2] = { cut, cut2 };
                run_split(&part, t, csv, len, cuts, 2, 0);
                if (!same_run(&whole, &part))
                    mismatches++;
                run_free(&part);
            }
        }
        size_t *every = malloc((len ? len : 1) * sizeof *every);
        for (size_t i = 0; i < len; i++)
            every[i] = i;
        run_split(&part, t, csv, len, every, len, 0);
        if (!same_run(&whole, &part))
            mismatches++;
        run_free(&part);
        free(every);
        CHECK_INT(mismatches, 0);
        run_free(&whole);
    }
}

int main(void)
{
    struct hgc_table *t = table_from(TABLE_JSON);
    CHECK(t != NULL);
    if (!t)
        return TEST_DONE();
    test_valid_file(t);
    test_empty_markers(t);
    test_one_column();
    test_forbidden_separators(t);
    test_types(t);
    test_structure(t);
    test_duplicates(t);
    test_problem_order();
    test_limits(t);
    test_message_budget();
    test_write_failure(t);
    test_chunk_splits(t);
    hgc_table_destroy(t);
    return TEST_DONE();
}

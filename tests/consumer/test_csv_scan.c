/* test_csv_scan.c — the structural scanner (consumer/csv_scan.c) at every level against the
 * scalar one and against the validator without it, at 16/32/64-byte block and chunk edges;
 * and the uniqueness check's int fast path (csv_validate.c compiled in). */
#include "consumer/csv_validate.c"

#include "tests/unit/test.h"

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static const enum hgc_csv_scan_level LEVELS[] = {
    HGC_CSV_SCAN_SCALAR, HGC_CSV_SCAN_SSE2, HGC_CSV_SCAN_AVX2,
};
#define NLEVELS (sizeof LEVELS / sizeof LEVELS[0])

/* ---- blocks and lines -------------------------------------------------- */

static void test_blocks(void)
{
    unsigned char b[64];
    static const unsigned char alphabet[] = { ',', '"', '\r', '\n', 'a', 0xEA, 0x80, 0, ' ' };
    int mismatches = 0;
    for (int round = 0; round < 20000; round++) {
        for (size_t i = 0; i < 64; i++)
            b[i] = round < 256 ? (unsigned char)(round + i) : alphabet[next() % sizeof alphabet];
        uint64_t want = 0;
        for (size_t i = 0; i < 64; i++)
            if (b[i] == ',' || b[i] == '"' || b[i] == '\r' || b[i] == '\n')
                want |= 1ull << i;
        for (size_t l = 0; l < NLEVELS; l++)
            if (hgc_csv_scan_supported(LEVELS[l]) && hgc_csv_scan_block(LEVELS[l], b) != want)
                mismatches++;
    }
    CHECK_INT(mismatches, 0);
#if defined(__x86_64__)
    CHECK(hgc_csv_scan_supported(HGC_CSV_SCAN_SSE2));
    CHECK(hgc_csv_scan_best() >= HGC_CSV_SCAN_SSE2);
#endif
}

/* Split line at every level; all must agree with the scalar answer.
 * Returns the scalar answer. */
static bool split_all(const char *line, size_t n, struct hgc_csv_span *spans,
                      struct hgc_csv_line *ln, int *mismatches)
{
    static struct hgc_csv_span other[HG_CSV_MAX_FIELDS];
    bool ok = hgc_csv_scan_line(HGC_CSV_SCAN_SCALAR, (const unsigned char *)line, n, spans,
                                HG_CSV_MAX_FIELDS - 1, ln);
    for (size_t l = 1; l < NLEVELS; l++) {
        if (!hgc_csv_scan_supported(LEVELS[l]))
            continue;
        struct hgc_csv_line o;
        bool ok2 = hgc_csv_scan_line(LEVELS[l], (const unsigned char *)line, n, other,
                                     HG_CSV_MAX_FIELDS - 1, &o);
        bool same = ok2 == ok;
        if (same && ok) {
            same = o.len == ln->len && o.ncells == ln->ncells && o.quoted_lfs == ln->quoted_lfs &&
                   o.any_quoted == ln->any_quoted && o.escapes == ln->escapes;
            for (size_t c = 0; same && c < o.ncells; c++)
                same = other[c].start == spans[c].start && other[c].len == spans[c].len &&
                       other[c].flags == spans[c].flags;
        }
        if (!same)
            (*mismatches)++;
    }
    return ok;
}

/* The cells of a split line as "a|b|c" (quoted cells in [ ]). */
static const char *cells_str(const char *line, const struct hgc_csv_span *spans,
                             const struct hgc_csv_line *ln)
{
    static char out[8192];
    size_t o = 0;
    for (size_t c = 0; c < ln->ncells && o + 2 * spans[c].len + 4 < sizeof out; c++) {
        if (c)
            out[o++] = '|';
        bool q = spans[c].flags & HGC_CSV_SPAN_QUOTED;
        if (q)
            out[o++] = '[';
        memcpy(out + o, line + spans[c].start, spans[c].len);
        o += spans[c].len;
        if (q)
            out[o++] = ']';
    }
    out[o] = '\0';
    return out;
}

/* "abc...," (off letters), pat, ",z\r\n" and the start of the next line;
 * returns the bytes written, *line_len those through the LF. */
static size_t pattern_line(char *line, size_t off, const char *pat, size_t *line_len)
{
    size_t n = 0, pl = strlen(pat);
    for (size_t i = 0; i < off; i++)
        line[n++] = (char)('a' + i % 26);
    line[n++] = ',';
    memcpy(line + n, pat, pl);
    n += pl;
    memcpy(line + n, ",z\r\nrest", 8);
    *line_len = n + 4;
    return n + 8;
}

static void test_lines(void)
{
    static struct hgc_csv_span spans[HG_CSV_MAX_FIELDS];
    struct hgc_csv_line ln;
    int mm = 0;
    struct {
        const char *line, *cells;   /* cells NULL: not a fast-path line */
        size_t len, lfs;
        bool esc;
    } cases[] = {
        { "a,b,c\n", "a|b|c", 6, 0, false },
        { "a,b,c\r\nnext", "a|b|c", 7, 0, false },
        { "\n", "", 1, 0, false },
        { "\r\n", "", 2, 0, false },
        { ",\n", "|", 2, 0, false },
        { "a,\r\n", "a|", 4, 0, false },
        { "\"\"\n", "[]", 3, 0, false },
        { "\"a,b\",c\n", "[a,b]|c", 8, 0, false },
        { "\"say \"\"hi\"\"\",x\n", "[say \"\"hi\"\"]|x", 15, 0, true },
        { "\"two\r\nlines\",\"and\nmore\"\r\n", "[two\r\nlines]|[and\nmore]", 25, 2, false },
        { "\"a\"\r\n", "[a]", 5, 0, false },
        { "\"a\r\"\n", "[a\r]", 5, 0, false },
        { "\"\"\"\"\n", "[\"\"]", 5, 0, true },
        { "a\"b,c\n", NULL, 0, 0, false },       /* bare quote */
        { "\"a\"b,c\n", NULL, 0, 0, false },     /* text after the closing quote */
        { "\"a\" ,c\n", NULL, 0, 0, false },
        { "a\rb\n", NULL, 0, 0, false },          /* stray CR */
        { "a,b\r", NULL, 0, 0, false },           /* CR at the end of the data */
        { "a,b", NULL, 0, 0, false },             /* no line end yet */
        { "\"a\nb", NULL, 0, 0, false },          /* the line end is inside quotes */
        { "\"abc\n", NULL, 0, 0, false },
        { "\"a\"\"\n", NULL, 0, 0, false },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bool ok = split_all(cases[i].line, strlen(cases[i].line), spans, &ln, &mm);
        CHECK_INT(ok, cases[i].cells != NULL);
        if (!ok || !cases[i].cells)
            continue;
        CHECK_STR(cells_str(cases[i].line, spans, &ln), cases[i].cells);
        CHECK_INT(ln.len, cases[i].len);
        CHECK_INT(ln.quoted_lfs, cases[i].lfs);
        CHECK_INT(ln.escapes, cases[i].esc);
    }

    /* Each special pattern at every offset across the 64-byte block edges
     * (and so the 16- and 32-byte lanes inside the vector levels). */
    static const char *const pats[] = {
        "\"\"", "\"a\"\"b\"", "\"\r\n\"", "\",\"", "\"x\ny\"", "\"q\r\"", "", "\xEA\xB0\x80",
        "\"\"\"\"",
    };
    char line[512];
    size_t n, want_len;
    for (size_t p = 0; p < sizeof pats / sizeof pats[0]; p++) {
        for (size_t off = 0; off < 200; off++) {
            n = pattern_line(line, off, pats[p], &want_len);
            bool ok = split_all(line, n, spans, &ln, &mm);
            CHECK(ok);
            if (!ok)
                continue;
            CHECK_INT(ln.len, want_len);
            CHECK_INT(ln.ncells, 3);
            /* and cut just before the line end: not complete */
            CHECK(!split_all(line, want_len - 1, spans, &ln, &mm));
        }
    }

    /* Not plain, at every offset: never the fast path. */
    static const char *const badpats[] = { "\"a\"b", "a\"b", "a\rb", "\"\"\"", "\"a\" ", "\r" };
    for (size_t p = 0; p < sizeof badpats / sizeof badpats[0]; p++)
        for (size_t off = 0; off < 200; off++)
            CHECK(!split_all(line, pattern_line(line, off, badpats[p], &want_len), spans, &ln, &mm));

    /* Random lines of the special bytes, text and multibyte UTF-8. */
    static const char *const bits[] = { ",", "\"", "\r", "\n", "\r\n", "\"\"", "x", "yz",
                                        "\xE3\x81\x82", "       ", "\xF0\x9F\x98\x80" };
    for (int round = 0; round < 200000; round++) {
        size_t want = 1 + next() % 300;
        n = 0;
        while (n < want && n + 8 < sizeof line) {
            const char *b = bits[next() % (sizeof bits / sizeof bits[0])];
            size_t bl = strlen(b);
            memcpy(line + n, b, bl);
            n += bl;
        }
        split_all(line, n, spans, &ln, &mm);
    }

    /* Longer than HG_CSV_FAST_LINE_MAX: never the fast path. */
    char *big = malloc(HG_CSV_FAST_LINE_MAX + 16);
    memset(big, 'a', HG_CSV_FAST_LINE_MAX + 16);
    big[HG_CSV_FAST_LINE_MAX - 1] = '\n';
    CHECK(split_all(big, HG_CSV_FAST_LINE_MAX + 16, spans, &ln, &mm));
    big[HG_CSV_FAST_LINE_MAX - 1] = 'a';
    big[HG_CSV_FAST_LINE_MAX] = '\n';
    CHECK(!split_all(big, HG_CSV_FAST_LINE_MAX + 16, spans, &ln, &mm));
    /* Too many cells for max_cells. */
    for (size_t i = 0; i < HG_CSV_FAST_LINE_MAX - 1; i++)
        big[i] = ',';
    big[HG_CSV_FAST_LINE_MAX - 1] = '\n';
    CHECK(!hgc_csv_scan_line(HGC_CSV_SCAN_SCALAR, (const unsigned char *)big,
                             HG_CSV_FAST_LINE_MAX, spans, 100, &ln));
    free(big);
    CHECK_INT(mm, 0);
}

/* ---- the validator with and without the scanner -------------------------- */

static const char TABLE[] =
    "{\"project\":\"p\",\"name\":\"t\",\"schema\":\"s\","
    "\"mappings\":[{\"name\":\"id\",\"type\":\"int\"},{\"name\":\"tag\",\"type\":\"string\"},"
    "{\"name\":\"price\",\"type\":\"float\"},{\"name\":\"ok\",\"type\":\"bool\"},"
    "{\"name\":\"note\",\"type\":\"string\"}],"
    "\"options\":{\"index_column\":\"id\",\"required\":[\"tag\"],\"on_empty\":\"drop_row\","
    "\"empty_markers\":[\"-\"],"
    "\"multi_value_column\":\"tag\",\"multi_value_separator\":\",\",\"split_multi_values\":true,"
    "\"unique_index\":true}}";

struct outcome {
    int rc;
    struct hg_buf out, msg;
    struct hgc_csv_result res;
};

static int collect(void *arg, const char *p, size_t n)
{
    return hg_buf_append(arg, p, n);
}

/* Run the validator at level over csv, in chunks of 1..max_chunk bytes from
 * seed (0: whole); raw_out off writes every row cell by cell. */
static void run_ex(const struct hgc_table *t, enum hgc_csv_scan_level level, bool raw_out,
                   size_t max_chunk, const char *csv, size_t n, uint64_t seed, struct outcome *o)
{
    memset(o, 0, sizeof *o);
    hg_buf_init(&o->out, 64u << 20);
    hg_buf_init(&o->msg, 1u << 20);
    struct hgc_csv_options opts = { .max_problems = 50, .write = collect, .write_arg = &o->out };
    struct hgc_csv_validator *v = hgc_csv_validator_create(t, &opts);
    if (!v)
        abort();
    v->scan = level;
    v->raw_out = raw_out;
    size_t at = 0;
    while (at < n) {
        size_t k = n - at;
        if (seed) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            k = 1 + (size_t)(seed >> 33) % max_chunk;
            if (k > n - at)
                k = n - at;
        }
        hgc_csv_validator_feed(v, csv + at, k);
        at += k;
    }
    o->rc = hgc_csv_validator_finish(v);
    o->res = *hgc_csv_validator_result(v);
    hgc_csv_validator_message(v, "t.csv", &o->msg);
    o->res.problems = NULL;
    hgc_csv_validator_destroy(v);
}

static void run(const struct hgc_table *t, enum hgc_csv_scan_level level, const char *csv,
                size_t n, uint64_t seed, struct outcome *o)
{
    run_ex(t, level, true, 150, csv, n, seed, o);
}

static bool same(const struct outcome *a, const struct outcome *b)
{
    return a->rc == b->rc && a->out.len == b->out.len &&
           (!a->out.len || !memcmp(a->out.data, b->out.data, a->out.len)) &&
           a->msg.len == b->msg.len && (!a->msg.len || !memcmp(a->msg.data, b->msg.data, a->msg.len)) &&
           a->res.bytes_in == b->res.bytes_in && a->res.bytes_out == b->res.bytes_out &&
           a->res.rows_in == b->res.rows_in && a->res.rows_out == b->res.rows_out &&
           a->res.rows_dropped == b->res.rows_dropped && a->res.rows_invalid == b->res.rows_invalid &&
           a->res.blank_lines == b->res.blank_lines && a->res.problem_count == b->res.problem_count &&
           a->res.nproblems == b->res.nproblems && a->res.aborted == b->res.aborted;
}

static void free_outcome(struct outcome *o)
{
    hg_buf_cleanup(&o->out);
    hg_buf_cleanup(&o->msg);
}

/* One random row: mostly well-formed, sometimes not, cells of every
 * length so that quotes, CR, LF and multibyte characters land on block
 * and chunk edges. */
static void random_row(struct hg_buf *b, size_t i)
{
    static const char *const text[] = { "a", "bc", "\xE6\x97\xA5\xE6\x9C\xAC", "\xED\x95\x9C",
                                        " ", "xyzxyzxyzxyzxyz", "-", "\xF0\x9F\x98\x80" };
    static const char *const bad[] = { "\"", "\r", "\xFF", "\xE3\x81", "\"x\"y", "\x80" };
    uint64_t r = next();
    size_t id = (r & 31) == 0 ? i / 2 : i;   /* now and then a duplicate or a step back */
    hg_buf_appendf(b, "%zu,", id);
    /* tag: plain, quoted with separators, or empty */
    switch ((r >> 5) % 4) {
    case 0: hg_buf_append_str(b, "t1"); break;
    case 1: hg_buf_append_str(b, "\"t1,\xE3\x81\x82,t3\""); break;
    case 2: hg_buf_append_str(b, "\"t,\"\"q\"\"\""); break;
    default: hg_buf_append_str(b, (r >> 7) & 1 ? "-" : ""); break;
    }
    hg_buf_appendf(b, ",%s,%s,", (r >> 9) % 9 ? "1.5" : "x", (r >> 13) % 2 ? "TRUE" : "0");
    /* note: random text, quoted or not, with the hard cases inside */
    bool quoted = (r >> 14) & 1;
    if (quoted)
        hg_buf_append_str(b, "\"");
    size_t parts = (r >> 15) % 40;
    for (size_t k = 0; k < parts; k++) {
        uint64_t q = next();
        if (quoted && q % 11 == 0)
            hg_buf_append_str(b, q % 3 ? "\"\"" : (q % 2 ? "\r\n" : ",\n"));
        else if (q % 1499 == 0)
            hg_buf_append_str(b, bad[(q >> 8) % (sizeof bad / sizeof bad[0])]);
        else
            hg_buf_append_str(b, text[(q >> 8) % (sizeof text / sizeof text[0])]);
    }
    if (quoted)
        hg_buf_append_str(b, "\"");
    if ((r >> 22) % 50 == 0)
        hg_buf_append_str(b, ",extra");
    hg_buf_append_str(b, (r >> 28) % 3 ? "\r\n" : "\n");
    if ((r >> 30) % 60 == 0)
        hg_buf_append_str(b, "\n");   /* a blank line */
}

static void test_validator_levels(const struct hgc_table *t)
{
    int mismatches = 0, files = 0;
    uint64_t rows_ok = 0;
    for (int f = 0; f < 60; f++) {
        struct hg_buf csv;
        hg_buf_init(&csv, 64u << 20);
        hg_buf_append_str(&csv, f % 2 ? "\xEF\xBB\xBFid,tag,price,ok,note\r\n" : "id,tag,price,ok,note\n");
        size_t rows = 50 + next() % 400;
        for (size_t i = 1; i <= rows; i++)
            random_row(&csv, i);
        if (f % 5 == 0)
            hg_buf_append_str(&csv, "999999,\"unterminated");
        struct outcome ref, o;
        run(t, HGC_CSV_SCAN_OFF, csv.data, csv.len, 0, &ref);
        for (size_t l = 0; l < NLEVELS; l++) {
            if (!hgc_csv_scan_supported(LEVELS[l]))
                continue;
            for (uint64_t seed = 0; seed < 3; seed++) {
                run(t, LEVELS[l], csv.data, csv.len, seed * 0x1234567ull, &o);
                if (!same(&ref, &o) && mismatches++ < 3)
                    fprintf(stderr, "file %d level %d seed %llu differs:\n%.300s\n---\n%.300s\n", f,
                            (int)LEVELS[l], (unsigned long long)seed, ref.msg.data, o.msg.data);
                free_outcome(&o);
            }
            /* Rows copied from their input bytes or written cell by cell,
             * in chunks long enough for most lines to be whole in one. */
            for (int raw = 0; raw < 2; raw++) {
                run_ex(t, LEVELS[l], raw, 2000, csv.data, csv.len, 0x9876543ull + (uint64_t)f, &o);
                if (!same(&ref, &o) && mismatches++ < 3)
                    fprintf(stderr, "file %d level %d raw %d differs\n", f, (int)LEVELS[l], raw);
                free_outcome(&o);
            }
        }
        if (ref.res.problem_count)
            files++;
        rows_ok += ref.res.rows_out;
        free_outcome(&ref);
        hg_buf_cleanup(&csv);
    }
    CHECK_INT(mismatches, 0);
    CHECK(files > 0);   /* the generator does produce problems */
    CHECK(rows_ok > 5000);   /* and mostly good rows */
}

/* ---- rows copied from their input bytes (write_row_raw) ------------------ */

/* tag is required, multi-valued and split; note and memo are optional; "-"
 * and "ー" are empty markers. */
static const char RAW_TABLE[] =
    "{\"project\":\"p\",\"name\":\"t\",\"schema\":\"s\","
    "\"mappings\":[{\"name\":\"id\",\"type\":\"int\"},{\"name\":\"tag\",\"type\":\"string\"},"
    "{\"name\":\"note\",\"type\":\"string\"},{\"name\":\"memo\",\"type\":\"string\"}],"
    "\"options\":{\"index_column\":\"id\",\"required\":[\"tag\"],\"on_empty\":\"drop_row\","
    "\"empty_markers\":[\"-\",\"\xE3\x83\xBC\"],"
    "\"multi_value_column\":\"tag\",\"multi_value_separator\":\",\",\"split_multi_values\":true}}";

/* Each input row and what it must become: every case where the input
 * bytes are not the output (CR, markers, split and dropped rows, quotes
 * that are not needed) next to quoted cells that are already canonical. */
static const char *const RAW_CASES[][2] = {
    { "1,a,b,c\n", "1,a,b,c\n" },
    { "2,a,b,c\r\n", "2,a,b,c\n" },
    { "3,a,\xE3\x83\xBC,c\n", "3,a,,c\n" },
    { "4,a,-,-\r\n", "4,a,,\n" },
    { "5,\"x,y\",b,c\n", "5,x,b,c\n5,y,b,c\n" },
    { "6,\"x,y\",\xE3\x83\xBC,\"q,r\"\r\n", "6,x,,\"q,r\"\n6,y,,\"q,r\"\n" },
    { "7,\xE3\x83\xBC,b,c\n", "" },                          /* dropped */
    { "8,\"\",b,c\n", "" },                                   /* dropped */
    { "9,a,\"b\",c\n", "9,a,b,c\n" },                          /* quotes not needed */
    { "10,a,\"\",c\n", "10,a,,c\n" },
    { "11,a,\"b\"\"c\",\"d\ne\"\n", "11,a,\"b\"\"c\",\"d\ne\"\n" },
    { "12,a,\"b\r\nc\",d\r\n", "12,a,\"b\r\nc\",d\n" },
    { "13,a,\"b\rc\",d\n", "13,a,\"b\rc\",d\n" },
    { "14,\"x,,\xE3\x83\xBC,y\",\"a,b\",\"\"\n", "14,x,\"a,b\",\n14,y,\"a,b\",\n" },
    { "15,\"x\ny,z\",b,c\n", "15,\"x\ny\",b,c\n15,z,b,c\n" },
    { "16,\"x\"\"q,z\",b,c\n", "16,\"x\"\"q\",b,c\n16,z,b,c\n" },
    { "17,a,  ,c\n", "17,a,  ,c\n" },
    { "18,\"a\",\"b\",\"c\"\n", "18,a,b,c\n" },
    { "19,a,b,\"c\"\r\n", "19,a,b,c\n" },
    { "20,\",\",b,c\n", "" },                                 /* no value left: dropped */
    { "21,\"x,y\",\"b\",c\n", "21,x,b,c\n21,y,b,c\n" },
    { "22,\"x,y\",\"b,\",\"-\"\n", "22,x,\"b,\",\n22,y,\"b,\",\n" },
    { "23,a,b,\"\"\"\"\n", "23,a,b,\"\"\"\"\n" },
    { "24,\"a\",\"b\r\",\"\"\r\n", "24,a,\"b\r\",\n" },
    { "25,z,b,c", "25,z,b,c\n" },                             /* no line end at the end */
};
#define NRAW_CASES (sizeof RAW_CASES / sizeof RAW_CASES[0])

/* Every way of running it: levels, raw copies on and off, whole, two
 * pieces cut at each offset, random chunks. All must give want. */
static void check_all_ways(const struct hgc_table *t, const char *csv, const char *want,
                           int *mismatches)
{
    size_t n = strlen(csv), wn = strlen(want);
    struct outcome ref, o;
    run_ex(t, HGC_CSV_SCAN_OFF, false, 1, csv, n, 0, &ref);
    if (ref.rc != 0 || ref.out.len != wn || memcmp(ref.out.data, want, wn) != 0) {
        if ((*mismatches)++ < 3)
            fprintf(stderr, "cell by cell: rc %d\n%.*s\n--- want\n%s\n", ref.rc, (int)ref.out.len,
                    ref.out.data ? ref.out.data : "", want);
    }
    for (size_t l = 0; l < NLEVELS; l++) {
        if (!hgc_csv_scan_supported(LEVELS[l]))
            continue;
        for (int raw = 0; raw < 2; raw++) {
            for (uint64_t seed = 0; seed < 6; seed++) {
                run_ex(t, LEVELS[l], raw, seed < 3 ? 40 : 400, csv, n, seed * 0x51ED27ull, &o);
                if (!same(&ref, &o) && (*mismatches)++ < 3)
                    fprintf(stderr, "level %d raw %d seed %llu:\n%.*s\n--- want\n%s\n",
                            (int)LEVELS[l], raw, (unsigned long long)seed, (int)o.out.len,
                            o.out.data ? o.out.data : "", want);
                free_outcome(&o);
            }
        }
    }
    /* Two pieces, cut at every offset: rows straddle the chunk edge. */
    enum hgc_csv_scan_level best = hgc_csv_scan_best();
    for (size_t cut = 1; cut < n; cut++) {
        struct hgc_csv_validator *v;
        struct hg_buf out;
        hg_buf_init(&out, 1u << 20);
        struct hgc_csv_options opts = { .max_problems = 50, .write = collect, .write_arg = &out };
        v = hgc_csv_validator_create(t, &opts);
        if (!v)
            abort();
        v->scan = best;
        hgc_csv_validator_feed(v, csv, cut);
        hgc_csv_validator_feed(v, csv + cut, n - cut);
        int rc = hgc_csv_validator_finish(v);
        if ((rc != 0 || out.len != wn || memcmp(out.data, want, wn) != 0) && (*mismatches)++ < 3)
            fprintf(stderr, "cut at %zu: rc %d\n%.*s\n--- want\n%s\n", cut, rc, (int)out.len,
                    out.data ? out.data : "", want);
        hgc_csv_validator_destroy(v);
        hg_buf_cleanup(&out);
    }
    free_outcome(&ref);
}

static struct hgc_table *table_of(const char *json, size_t n)
{
    char err[256];
    struct hgc_table *t = hgc_table_parse(json, n, NULL, err, sizeof err);
    CHECK(t != NULL);
    return t;
}

static void test_raw_rows(void)
{
    struct hgc_table *t = table_of(RAW_TABLE, sizeof RAW_TABLE - 1);
    if (!t)
        return;
    int mismatches = 0;
    /* Each case alone, after a header with CRLF or LF, with and without a BOM. */
    for (size_t i = 0; i < NRAW_CASES; i++) {
        for (int form = 0; form < 3; form++) {
            struct hg_buf csv, want;
            hg_buf_init(&csv, 1u << 20);
            hg_buf_init(&want, 1u << 20);
            hg_buf_append_str(&csv, form == 0 ? "id,tag,note,memo\n"
                                    : form == 1 ? "id,tag,note,memo\r\n"
                                                : "\xEF\xBB\xBFid,tag,note,memo\r\n");
            hg_buf_append_str(&csv, RAW_CASES[i][0]);
            hg_buf_append_str(&want, "id,tag,note,memo\n");
            hg_buf_append_str(&want, RAW_CASES[i][1]);
            check_all_ways(t, csv.data, want.data, &mismatches);
            hg_buf_cleanup(&csv);
            hg_buf_cleanup(&want);
        }
    }
    /* All of them in one file, twice (the last case only at the end). */
    struct hg_buf csv, want;
    hg_buf_init(&csv, 1u << 20);
    hg_buf_init(&want, 1u << 20);
    hg_buf_append_str(&csv, "\xEF\xBB\xBFid,tag,note,memo\r\n");
    hg_buf_append_str(&want, "id,tag,note,memo\n");
    for (int round = 0; round < 2; round++)
        for (size_t i = 0; i + 1 < NRAW_CASES; i++) {
            hg_buf_append_str(&csv, RAW_CASES[i][0]);
            hg_buf_append_str(&want, RAW_CASES[i][1]);
        }
    hg_buf_append_str(&csv, RAW_CASES[NRAW_CASES - 1][0]);
    hg_buf_append_str(&want, RAW_CASES[NRAW_CASES - 1][1]);
    check_all_ways(t, csv.data, want.data, &mismatches);
    hg_buf_cleanup(&csv);
    hg_buf_cleanup(&want);
    CHECK_INT(mismatches, 0);
    hgc_table_destroy(t);

    /* More blanked cells than a raw copy replaces: written cell by cell. */
    static const char WIDE[] =
        "{\"project\":\"p\",\"name\":\"t\",\"schema\":\"s\",\"mappings\":["
        "{\"name\":\"a\",\"type\":\"string\"},{\"name\":\"b\",\"type\":\"string\"},"
        "{\"name\":\"c\",\"type\":\"string\"},{\"name\":\"d\",\"type\":\"string\"},"
        "{\"name\":\"e\",\"type\":\"string\"},{\"name\":\"f\",\"type\":\"string\"},"
        "{\"name\":\"g\",\"type\":\"string\"},{\"name\":\"h\",\"type\":\"string\"},"
        "{\"name\":\"i\",\"type\":\"string\"},{\"name\":\"j\",\"type\":\"string\"},"
        "{\"name\":\"k\",\"type\":\"string\"}],\"options\":{\"empty_markers\":[\"-\"]}}";
    t = table_of(WIDE, sizeof WIDE - 1);
    if (!t)
        return;
    mismatches = 0;
    check_all_ways(t, "a,b,c,d,e,f,g,h,i,j,k\r\n"
                      "x,-,-,-,-,-,-,-,-,-,\"y\"\r\n"
                      "-,-,-,-,-,-,-,-,\"q,\",-,-\r\n"
                      "-,-,-,-,-,-,-,-,-,-,-\n"
                      "1,2,-,4,-,6,\"\",8,-,\"a\"\"\",z\n",
                   "a,b,c,d,e,f,g,h,i,j,k\n"
                   "x,,,,,,,,,,y\n"
                   ",,,,,,,,\"q,\",,\n"
                   ",,,,,,,,,,\n"
                   "1,2,,4,,6,,8,,\"a\"\"\",z\n", &mismatches);
    CHECK_INT(mismatches, 0);
    hgc_table_destroy(t);
}

/* Random files of the cells above (and long ones), in random chunks: the
 * rows copied from their input bytes against the cell-by-cell path. */
static void test_raw_random(void)
{
    static const char *const cells[] = {
        "a", "", "-", "\xE3\x83\xBC", "\"\"", "\"b\"", "\"b,c\"", "\"b\"\"c\"", "\"b\nc\"",
        "\"b\r\nc\"", "\"b\rc\"", "\"-\"", "  ", "\xED\x95\x9C\xEA\xB8\x80", "\"\"\"\"",
    };
    static const char *const tags[] = {
        "t", "\"t,u\"", "\"t,,u,\"", "\"-,t\"", "\"t\nu,v\"", "\"t\"\"u,v\"", "-", "\"\"",
        "\"t ,u\"", "\",\"",
    };
    struct hgc_table *t = table_of(RAW_TABLE, sizeof RAW_TABLE - 1);
    if (!t)
        return;
    int mismatches = 0;
    uint64_t rows_out = 0;
    for (int f = 0; f < 40; f++) {
        struct hg_buf csv;
        hg_buf_init(&csv, 64u << 20);
        hg_buf_append_str(&csv, f % 2 ? "\xEF\xBB\xBFid,tag,note,memo\r\n" : "id,tag,note,memo\n");
        size_t rows = 100 + next() % 500;
        for (size_t i = 1; i <= rows; i++) {
            uint64_t r = next();
            hg_buf_appendf(&csv, "%zu,%s,%s,", i, tags[r % (sizeof tags / sizeof tags[0])],
                           cells[(r >> 8) % (sizeof cells / sizeof cells[0])]);
            if ((r >> 16) % 40 == 0) {   /* a long memo: past HG_CSV_FAST_LINE_MAX */
                for (size_t k = 0; k < HG_CSV_FAST_LINE_MAX / 8; k++)
                    hg_buf_append_str(&csv, "abcdefgh");
            } else {
                hg_buf_append_str(&csv, cells[(r >> 24) % (sizeof cells / sizeof cells[0])]);
            }
            hg_buf_append_str(&csv, (r >> 32) % 3 ? "\r\n" : "\n");
        }
        struct outcome ref, o;
        run_ex(t, HGC_CSV_SCAN_OFF, false, 1, csv.data, csv.len, 0, &ref);
        for (uint64_t seed = 0; seed < 4; seed++) {
            run_ex(t, hgc_csv_scan_best(), true, seed % 2 ? 300 : 9000, csv.data, csv.len,
                   seed * 0xABCDEFull, &o);
            if (!same(&ref, &o) && mismatches++ < 3)
                fprintf(stderr, "random raw file %d seed %llu differs\n", f, (unsigned long long)seed);
            free_outcome(&o);
        }
        if (ref.rc != 0)
            fprintf(stderr, "%.300s\n", ref.msg.data);
        CHECK_INT(ref.rc, 0);
        rows_out += ref.res.rows_out;
        free_outcome(&ref);
        hg_buf_cleanup(&csv);
    }
    CHECK_INT(mismatches, 0);
    CHECK(rows_out > 10000);
    hgc_table_destroy(t);
}

/* ---- uniqueness: the int fast path ------------------------------------- */

static void test_uniq_mono(void)
{
    char err[256];
    struct hgc_table *t = hgc_table_parse(
        "{\"project\":\"p\",\"name\":\"t\",\"schema\":\"s\",\"mappings\":[{\"name\":\"id\",\"type\":\"int\"},"
        "{\"name\":\"v\",\"type\":\"string\"}],\"options\":{\"index_column\":\"id\",\"unique_index\":true}}",
        strlen("{\"project\":\"p\",\"name\":\"t\",\"schema\":\"s\",\"mappings\":[{\"name\":\"id\",\"type\":\"int\"},"
               "{\"name\":\"v\",\"type\":\"string\"}],\"options\":{\"index_column\":\"id\",\"unique_index\":true}}"),
        NULL, err, sizeof err);
    CHECK(t != NULL);
    if (!t)
        return;
    /* Growing ids past several growth steps, then duplicates of old and
     * recent ones (the fast path ends: values become hashes), then more. */
    size_t n = 3 * HGC_UNIQ_MONO_GROW + 77;
    struct hg_buf csv;
    hg_buf_init(&csv, 64u << 20);
    hg_buf_append_str(&csv, "id,v\n");
    for (size_t i = 0; i < n; i++)
        hg_buf_appendf(&csv, "%zu,x\n", 10 + 3 * i);
    hg_buf_append_str(&csv, "+13,dup\n");               /* = 13, row 2 */
    hg_buf_appendf(&csv, "%zu,dup\n", 10 + 3 * (n - 1)); /* the last one */
    hg_buf_append_str(&csv, "11,new\n-5,new\n0011,dup\n");
    for (size_t i = 0; i < HG_CSV_UNIQUE_BUFFER_SLOTS; i++)   /* through a merge */
        hg_buf_appendf(&csv, "%zu,y\n", 10 + 3 * n + 3 * i);
    hg_buf_append_str(&csv, "16,dup\n");
    struct outcome o, o2;
    run(t, hgc_csv_scan_best(), csv.data, csv.len, 0, &o);
    CHECK_INT(o.rc, 1);
    CHECK_INT(o.res.problem_count, 4);
    CHECK_INT(o.res.rows_out, n + 2 + HG_CSV_UNIQUE_BUFFER_SLOTS);
    run(t, HGC_CSV_SCAN_OFF, csv.data, csv.len, 77, &o2);
    CHECK(same(&o, &o2));
    free_outcome(&o);
    free_outcome(&o2);
    hg_buf_cleanup(&csv);

    /* Decreasing from the start, and a single row. */
    hg_buf_init(&csv, 1u << 20);
    hg_buf_append_str(&csv, "id,v\n5,a\n4,a\n3,a\n5,a\n-9223372036854775808,a\n9223372036854775807,a\n"
                            "-9223372036854775808,a\n");
    run(t, HGC_CSV_SCAN_SCALAR, csv.data, csv.len, 0, &o);
    CHECK_INT(o.res.problem_count, 2);
    free_outcome(&o);
    hg_buf_cleanup(&csv);
    hgc_table_destroy(t);

    /* The in-place sort, radix buckets and the heap-sort fallback. */
    size_t m = 50000;
    uint64_t *a = malloc(m * sizeof *a), *b = malloc(m * sizeof *b), tmp[64];
    for (int round = 0; round < 2; round++) {
        for (size_t i = 0; i < m; i++)
            a[i] = b[i] = round ? next() % 1000 : next();
        sort_in_place(a, m, tmp, round ? 0 : 64);   /* 64 entries: most buckets heap-sorted */
        heap_sort(b, m);
        bool sorted = true;
        for (size_t i = 0; i < m; i++)
            sorted &= a[i] == b[i] && (i == 0 || b[i - 1] <= b[i]);
        CHECK(sorted);
    }
    free(a);
    free(b);
}

int main(void)
{
    test_blocks();
    test_lines();
    char err[256];
    struct hgc_table *t = hgc_table_parse(TABLE, sizeof TABLE - 1, NULL, err, sizeof err);
    CHECK(t != NULL);
    if (t) {
        test_validator_levels(t);
        hgc_table_destroy(t);
    }
    test_raw_rows();
    test_raw_random();
    test_uniq_mono();
    return TEST_DONE();
}

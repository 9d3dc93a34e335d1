/* csv_validate.c — streaming CSV validator and normaliser: RFC 4180 state machine,
 * per-cell type checks, empty markers, multi-valued cells, index uniqueness. */
#include "consumer/csv_validate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"

/* ---- parser state ------------------------------------------------------ */

enum pstate {
    ST_FIELD_START = 0,  /* at the start of a cell */
    ST_UNQUOTED,         /* inside an unquoted cell */
    ST_QUOTED,           /* inside a quoted cell */
    ST_QUOTED_QUOTE,     /* saw " inside a quoted cell: "" or the closing quote */
    ST_CR,               /* saw CR outside quotes: expect LF */
};

/* Index uniqueness: hashes of the index values seen. Recent ones live in a
 * fixed open-addressing set; when it is half full they are sorted and merged
 * into one sorted array (8 bytes a row, grown with realloc, which for large
 * blocks is mremap: untouched capacity is never resident). Look-ups probe the
 * set, then interpolation-search the sorted array (hashes are uniform). */
struct uniq {
    uint64_t *recent;        /* HG_CSV_UNIQUE_BUFFER_SLOTS slots, 0 = empty */
    size_t nrecent;
    uint64_t *sorted;
    size_t nsorted;
    uint64_t *scratch;       /* radix-sort buffer, HG_CSV_UNIQUE_BUFFER_SLOTS / 2 */
};

struct hgc_csv_validator {
    const struct hgc_table *t;
    struct hgc_csv_options opts;
    struct hgc_csv_result res;
    struct hgc_csv_problem *problems;

    enum pstate st;
    bool header_done;
    bool finished;
    unsigned char bom[3];
    size_t bom_n;
    bool bom_done;

    uint64_t line;           /* current physical line, 1-based */
    uint64_t row_line;       /* line where the current row started */

    /* Current row: cells stored back to back, each followed by a NUL. */
    char *row;
    size_t rowlen;
    size_t field_start;      /* offset of the current cell */
    uint32_t *fend;          /* end offset of each stored cell */
    size_t nfields;          /* cells counted */
    size_t nstored;          /* cells whose end is in fend (complete, not cut by a cap) */
    bool row_quoted;         /* a quote was opened in this row */
    bool row_overflow;       /* a cap was hit: stop storing */
    int pending_kind;        /* first structural problem of the row, or -1 */
    size_t pending_field;
    size_t pending_off;      /* where that cell starts in row */

    /* Output batching. */
    char *out;
    size_t outlen;

    struct uniq uq;
};

/* Bytes that end an unquoted run. */
static const unsigned char special[256] = {
    ['"'] = 1, [','] = 1, ['\r'] = 1, ['\n'] = 1,
};
/* Bytes that force quoting on output. */
static const unsigned char needs_quote[256] = {
    ['"'] = 1, [','] = 1, ['\r'] = 1, ['\n'] = 1,
};

/* ---- problems ---------------------------------------------------------- */

/* Copy a value for a problem: at most HG_CSV_PROBLEM_VALUE_MAX bytes, whole
 * UTF-8 sequences only, invalid bytes and control characters escaped. */
static void problem_value(struct hgc_csv_problem *p, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0, i = 0, max = HG_CSV_PROBLEM_VALUE_MAX;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        size_t len = 1;
        bool valid = true;
        if (c >= 0x80) {
            len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
            if (len == 0 || c == 0xC0 || c == 0xC1 || c > 0xF4 || i + len > n) {
                valid = false;
            } else {
                for (size_t k = 1; k < len; k++)
                    if (((unsigned char)s[i + k] & 0xC0) != 0x80)
                        valid = false;
            }
            if (!valid)
                len = 1;
        }
        if (c < 0x20 || c == 0x7f || !valid) {
            char esc[4];
            size_t el = 4;
            if (c == '\n') { esc[0] = '\\'; esc[1] = 'n'; el = 2; }
            else if (c == '\r') { esc[0] = '\\'; esc[1] = 'r'; el = 2; }
            else if (c == '\t') { esc[0] = '\\'; esc[1] = 't'; el = 2; }
            else { esc[0] = '\\'; esc[1] = 'x'; esc[2] = hex[c >> 4]; esc[3] = hex[c & 15]; }
            if (o + el > max)
                break;
            memcpy(p->value + o, esc, el);
            o += el;
            i += 1;
            continue;
        }
        if (o + len > max)
            break;
        memcpy(p->value + o, s + i, len);
        o += len;
        i += len;
    }
    p->value[o] = '\0';
    p->value_len = o;
    p->value_truncated = i < n;
}

static uint64_t current_row_no(const struct hgc_csv_validator *v)
{
    return v->header_done ? v->res.rows_in : 0;
}

static void add_problem(struct hgc_csv_validator *v, enum hgc_csv_problem_kind kind, int col,
                        const char *val, size_t vlen, uint64_t count)
{
    v->res.problem_count++;
    if (v->res.nproblems >= v->opts.max_problems)
        return;
    struct hgc_csv_problem *p = &v->problems[v->res.nproblems++];
    memset(p, 0, offsetof(struct hgc_csv_problem, value) + 1);
    p->kind = kind;
    p->row = current_row_no(v);
    p->line = v->row_line;
    p->column = col;
    p->count = count;
    problem_value(p, val ? val : "", val ? vlen : 0);
}

/* ---- output ------------------------------------------------------------ */

static int out_flush(struct hgc_csv_validator *v)
{
    if (v->outlen == 0 || v->res.aborted)
        return v->res.aborted ? -1 : 0;
    if (v->opts.write(v->opts.write_arg, v->out, v->outlen) != 0) {
        v->res.aborted = true;
        return -1;
    }
    v->res.bytes_out += v->outlen;
    v->outlen = 0;
    return 0;
}

static int out_put(struct hgc_csv_validator *v, const char *s, size_t n)
{
    while (n > 0) {
        size_t room = HG_CSV_OUT_BUF_BYTES - v->outlen;
        if (room == 0) {
            if (out_flush(v) != 0)
                return -1;
            continue;
        }
        size_t k = n < room ? n : room;
        memcpy(v->out + v->outlen, s, k);
        v->outlen += k;
        s += k;
        n -= k;
    }
    return 0;
}

static int out_cell(struct hgc_csv_validator *v, const char *s, size_t n, bool first)
{
    if (!first && out_put(v, ",", 1) != 0)
        return -1;
    bool q = false;
    for (size_t i = 0; i < n; i++)
        if (needs_quote[(unsigned char)s[i]]) {
            q = true;
            break;
        }
    if (!q)
        return out_put(v, s, n);
    if (out_put(v, "\"", 1) != 0)
        return -1;
    const char *p = s, *end = s + n;
    while (p < end) {
        const char *qq = memchr(p, '"', (size_t)(end - p));
        if (!qq)
            return out_put(v, p, (size_t)(end - p)) == 0 && out_put(v, "\"", 1) == 0 ? 0 : -1;
        if (out_put(v, p, (size_t)(qq - p) + 1) != 0 || out_put(v, "\"", 1) != 0)
            return -1;
        p = qq + 1;
    }
    return out_put(v, "\"", 1);
}

/* ---- cell checks ------------------------------------------------------- */

/* Strict UTF-8 (RFC 3629): no overlongs, surrogates or code points above
 * U+10FFFF. ASCII is skipped eight bytes at a time. */
static bool utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if ((w & 0x8080808080808080ull) == 0) {
                i += 8;
                continue;
            }
        }
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
        } else if (c >= 0xC2 && c <= 0xDF) {
            if (i + 1 >= n || (s[i + 1] & 0xC0) != 0x80)
                return false;
            i += 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            if (i + 2 >= n || (s[i + 1] & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80)
                return false;
            if (c == 0xE0 && s[i + 1] < 0xA0)
                return false;   /* overlong */
            if (c == 0xED && s[i + 1] > 0x9F)
                return false;   /* surrogate */
            i += 3;
        } else if (c >= 0xF0 && c <= 0xF4) {
            if (i + 3 >= n || (s[i + 1] & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80 ||
                (s[i + 3] & 0xC0) != 0x80)
                return false;
            if (c == 0xF0 && s[i + 1] < 0x90)
                return false;   /* overlong */
            if (c == 0xF4 && s[i + 1] > 0x8F)
                return false;   /* > U+10FFFF */
            i += 4;
        } else {
            return false;
        }
    }
    return true;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* int: optional sign + digits, within int64. *out gets the value. */
static bool check_int(const char *s, size_t n, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    if (i == n)
        return false;
    uint64_t v = 0;
    const uint64_t limit = neg ? (uint64_t)INT64_MAX + 1u : (uint64_t)INT64_MAX;
    for (; i < n; i++) {
        if (!is_digit(s[i]))
            return false;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (limit - d) / 10)
            return false;
        v = v * 10 + d;
    }
    if (out)
        *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

/* float: [+-] (d+ [. d*] | . d+) [(e|E) [+-] d+], finite as a double. */
static bool check_float(const char *s, size_t n)
{
    size_t i = 0, intd = 0, fracd = 0, lead = 0;
    bool seen_nonzero = false;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    for (; i < n && is_digit(s[i]); i++, intd++) {
        if (s[i] != '0')
            seen_nonzero = true;
        if (seen_nonzero)
            lead++;
    }
    if (i < n && s[i] == '.')
        for (i++; i < n && is_digit(s[i]); i++)
            fracd++;
    if (intd + fracd == 0)
        return false;
    long long ex = 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            eneg = s[i++] == '-';
        if (i == n || !is_digit(s[i]))
            return false;
        for (; i < n && is_digit(s[i]); i++)
            if (ex < 100000)
                ex = ex * 10 + (s[i] - '0');
        if (eneg)
            ex = -ex;
    }
    if (i != n)
        return false;
    /* Decimal magnitude: the value is below 10^(lead + ex). DBL_MAX ~ 1.8e308. */
    long long mag = (long long)lead + ex;
    if (!seen_nonzero || mag <= 308)
        return true;     /* zero, tiny (underflows to 0 or denormal) or in range */
    if (mag > 309)
        return false;
    /* Borderline (10^308 .. 10^309): let strtod decide. */
    char tmp[512];
    if (n >= sizeof tmp)
        return false;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    return isfinite(strtod(tmp, NULL));
}

static bool check_bool(const char *s, size_t n)
{
    if (n == 1)
        return s[0] == '0' || s[0] == '1';
    return (n == 4 && !strncasecmp(s, "true", 4)) || (n == 5 && !strncasecmp(s, "false", 5));
}

static int two(const char *s)
{
    if (!is_digit(s[0]) || !is_digit(s[1]))
        return -1;
    return (s[0] - '0') * 10 + (s[1] - '0');
}

/* YYYY-MM-DD, a real calendar date, year 0001..9999. */
static bool check_date(const char *s, size_t n)
{
    static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (n != 10 || s[4] != '-' || s[7] != '-')
        return false;
    int y1 = two(s), y2 = two(s + 2), m = two(s + 5), d = two(s + 8);
    if (y1 < 0 || y2 < 0 || m < 1 || m > 12 || d < 1)
        return false;
    int y = y1 * 100 + y2;
    if (y == 0)
        return false;
    int dim = mdays[m - 1];
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        dim = 29;
    return d <= dim;
}

/* YYYY-MM-DD(T| )HH:MM:SS[.f{1,9}][Z|(+|-)HH[[:]MM]] */
static bool check_timestamp(const char *s, size_t n)
{
    if (n < 19 || !check_date(s, 10))
        return false;
    if (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
        return false;
    int hh = two(s + 11), mm = two(s + 14), ss = two(s + 17);
    if (s[13] != ':' || s[16] != ':' || hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 ||
        ss > 60)
        return false;
    size_t i = 19;
    if (i < n && s[i] == '.') {
        size_t f = 0;
        for (i++; i < n && is_digit(s[i]); i++)
            f++;
        if (f < 1 || f > 9)
            return false;
    }
    if (i == n)
        return true;
    if (s[i] == 'Z' || s[i] == 'z')
        return i + 1 == n;
    if (s[i] != '+' && s[i] != '-')
        return false;
    size_t rest = n - i - 1;
    const char *o = s + i + 1;
    int oh, om = 0;
    if (rest == 2) {
        oh = two(o);
    } else if (rest == 4) {
        oh = two(o);
        om = two(o + 2);
    } else if (rest == 5 && o[2] == ':') {
        oh = two(o);
        om = two(o + 3);
    } else {
        return false;
    }
    return oh >= 0 && oh <= 23 && om >= 0 && om <= 59;
}

static bool check_type(enum hgc_col_type type, const char *s, size_t n)
{
    switch (type) {
    case HGC_COL_INT:       return check_int(s, n, NULL);
    case HGC_COL_FLOAT:     return check_float(s, n);
    case HGC_COL_BOOL:      return check_bool(s, n);
    case HGC_COL_DATE:      return check_date(s, n);
    case HGC_COL_TIMESTAMP: return check_timestamp(s, n);
    case HGC_COL_STRING:    return true;
    }
    return false;
}

static bool is_empty(const struct hgc_table *t, const char *s, size_t n)
{
    if (n == 0)
        return true;
    for (size_t i = 0; i < t->empty_markers.count; i++)
        if (t->empty_markers.lens[i] == n && !memcmp(t->empty_markers.items[i], s, n))
            return true;
    return false;
}

/* Next part of a multi-valued cell starting at *pos; returns its length and
 * advances *pos past the separator (to n + 1 after the last part). */
static size_t next_part(const struct hgc_table *t, const char *s, size_t n, size_t *pos,
                        const char **part)
{
    size_t start = *pos;
    *part = s + start;
    const char *sep = t->multi_value_separator;
    size_t sl = t->multi_value_separator_len;
    const char *hit = start <= n ? memmem(s + start, n - start, sep, sl) : NULL;
    if (!hit) {
        *pos = n + 1;
        return n - start;
    }
    *pos = (size_t)(hit - s) + sl;
    return (size_t)(hit - s) - start;
}

/* ---- uniqueness -------------------------------------------------------- */

static uint64_t mix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

/* 64-bit hash of a byte string (8 bytes a step, then a full avalanche). */
static uint64_t hash_bytes(const char *s, size_t n, uint64_t seed)
{
    uint64_t h = seed ^ (n * 0x9E3779B97F4A7C15ull);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        h = (h ^ mix64(w)) * 0x9E3779B97F4A7C15ull;
        h ^= h >> 29;
    }
    if (i < n) {
        uint64_t w = 0;
        memcpy(&w, s + i, n - i);
        h = (h ^ mix64(w ^ ((uint64_t)(n - i) << 56))) * 0x9E3779B97F4A7C15ull;
    }
    h = mix64(h);
    return h ? h : 1;   /* 0 marks an empty slot */
}

static void radix_sort(uint64_t *a, uint64_t *tmp, size_t n)
{
    for (unsigned shift = 0; shift < 64; shift += 8) {
        size_t count[257] = { 0 };
        for (size_t i = 0; i < n; i++)
            count[((a[i] >> shift) & 0xff) + 1]++;
        for (size_t i = 0; i < 256; i++)
            count[i + 1] += count[i];
        for (size_t i = 0; i < n; i++)
            tmp[count[(a[i] >> shift) & 0xff]++] = a[i];
        uint64_t *sw = a;
        a = tmp;
        tmp = sw;
    }
    /* 8 passes: the data ends back in the original array. */
}

static bool sorted_contains(const struct uniq *u, uint64_t h)
{
    if (u->nsorted == 0)
        return false;
    const uint64_t *a = u->sorted;
    size_t lo = 0, hi = u->nsorted - 1;
    if (h < a[lo] || h > a[hi])
        return false;
    /* Interpolation steps while the range is large, then binary search. */
    for (int step = 0; step < 6 && hi - lo > 32; step++) {
        uint64_t lov = a[lo], hiv = a[hi];
        if (hiv == lov)
            break;
        double frac = (double)(h - lov) / (double)(hiv - lov);
        size_t mid = lo + (size_t)(frac * (double)(hi - lo));
        if (mid < lo) mid = lo;
        if (mid > hi) mid = hi;
        if (a[mid] == h)
            return true;
        if (a[mid] < h)
            lo = mid + 1;
        else
            hi = mid > lo ? mid - 1 : lo;
        if (lo > hi || h < a[lo] || h > a[hi])
            return false;
    }
    while (lo <= hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a[mid] == h)
            return true;
        if (a[mid] < h)
            lo = mid + 1;
        else if (mid == 0)
            return false;
        else
            hi = mid - 1;
    }
    return false;
}

/* Move the recent set into the sorted array. Returns 0 or -1 (memory). */
static int uniq_merge(struct uniq *u)
{
    size_t m = 0;
    for (size_t i = 0; i < HG_CSV_UNIQUE_BUFFER_SLOTS; i++)
        if (u->recent[i])
            u->recent[m++] = u->recent[i];   /* compact to the front */
    radix_sort(u->recent, u->scratch, m);
    uint64_t *ns = realloc(u->sorted, (u->nsorted + m) * sizeof *ns);
    if (!ns)
        return -1;
    u->sorted = ns;
    /* Merge backwards in place. */
    size_t i = u->nsorted, j = m, k = u->nsorted + m;
    while (j > 0) {
        if (i > 0 && ns[i - 1] > u->recent[j - 1])
            ns[--k] = ns[--i];
        else
            ns[--k] = u->recent[--j];
    }
    u->nsorted += m;
    memset(u->recent, 0, HG_CSV_UNIQUE_BUFFER_SLOTS * sizeof *u->recent);
    u->nrecent = 0;
    return 0;
}

/* Returns 1 when h was seen before, 0 when it is new (now recorded), -1 on
 * memory failure (treated as "not a duplicate"). */
static int uniq_check_insert(struct uniq *u, uint64_t h)
{
    const size_t mask = HG_CSV_UNIQUE_BUFFER_SLOTS - 1;
    size_t i = (size_t)(h >> 20) & mask;
    while (u->recent[i]) {
        if (u->recent[i] == h)
            return 1;
        i = (i + 1) & mask;
    }
    if (sorted_contains(u, h))
        return 1;
    u->recent[i] = h;
    if (++u->nrecent >= HG_CSV_UNIQUE_BUFFER_SLOTS / 2)
        return uniq_merge(u);
    return 0;
}

/* ---- rows -------------------------------------------------------------- */

static const char *cell(const struct hgc_csv_validator *v, size_t i, size_t *len)
{
    size_t start = i == 0 ? 0 : v->fend[i - 1] + 1;
    *len = v->fend[i] - start;
    return v->row + start;
}

/* Record the row's first structural problem, with the cell it is about (or
 * what was stored of it before a cap cut it). */
static void report_pending(struct hgc_csv_validator *v)
{
    size_t n;
    const char *s;
    if (v->pending_field < v->nstored) {
        s = cell(v, v->pending_field, &n);
    } else {
        s = v->row + v->pending_off;
        n = v->rowlen - v->pending_off;
    }
    int col = v->pending_field < v->t->ncolumns ? (int)v->pending_field : -1;
    add_problem(v, (enum hgc_csv_problem_kind)v->pending_kind, col, s, n, 0);
}

static void process_header(struct hgc_csv_validator *v)
{
    const struct hgc_table *t = v->t;
    size_t stored = v->nstored;
    for (size_t i = 0; i < stored; i++) {
        size_t n;
        const char *s = cell(v, i, &n);
        if (!utf8_valid((const unsigned char *)s, n))
            add_problem(v, HGC_CSV_BAD_UTF8, i < t->ncolumns ? (int)i : -1, s, n, 0);
    }
    if (v->nfields != t->ncolumns)
        add_problem(v, HGC_CSV_HEADER_COUNT, -1, NULL, 0, v->nfields);
    size_t cmp = stored < t->ncolumns ? stored : t->ncolumns;
    for (size_t i = 0; i < cmp; i++) {
        size_t n;
        const char *s = cell(v, i, &n);
        if (strlen(t->columns[i].name) != n || memcmp(t->columns[i].name, s, n) != 0)
            add_problem(v, HGC_CSV_HEADER, (int)i, s, n, 0);
    }
    /* The output header is the configured one. */
    if (v->opts.write) {
        for (size_t i = 0; i < t->ncolumns; i++)
            out_cell(v, t->columns[i].name, strlen(t->columns[i].name), i == 0);
        out_put(v, "\n", 1);
    }
}

/* Check one value of column c (a whole cell or one part of a multi-valued
 * cell). Returns true when it is fine. */
static bool check_value(struct hgc_csv_validator *v, size_t c, const char *s, size_t n)
{
    if (check_type(v->t->columns[c].type, s, n))
        return true;
    add_problem(v, HGC_CSV_TYPE, (int)c, s, n, 0);
    return false;
}

static void process_row(struct hgc_csv_validator *v)
{
    const struct hgc_table *t = v->t;
    uint64_t problems_before = v->res.problem_count;
    bool drop = false;
    /* Which cells are empty (becomes "" on output); at most ncolumns. */
    v->res.rows_in++;
    if (v->pending_kind >= 0)
        report_pending(v);
    if (v->row_overflow)
        goto done;
    if (v->nfields != t->ncolumns) {
        add_problem(v, HGC_CSV_COLUMN_COUNT, -1, NULL, 0, v->nfields);
        goto done;
    }
    int64_t ival = 0;
    bool have_ival = false;
    uint64_t index_problems = 1;   /* set when the index cell is checked */
    size_t mv_parts = 0;
    for (size_t c = 0; c < t->ncolumns; c++) {
        size_t n;
        const char *s = cell(v, c, &n);
        if (!utf8_valid((const unsigned char *)s, n)) {
            add_problem(v, HGC_CSV_BAD_UTF8, (int)c, s, n, 0);
            continue;
        }
        bool empty = is_empty(t, s, n);
        if (!empty && (int)c == t->multi_value_column) {
            bool bad = false;
            for (size_t f = 0; f < t->forbidden_separators.count; f++)
                if (memmem(s, n, t->forbidden_separators.items[f], t->forbidden_separators.lens[f])) {
                    add_problem(v, HGC_CSV_FORBIDDEN_SEPARATOR, (int)c, s, n, f);
                    bad = true;
                    break;
                }
            if (bad)
                continue;
            size_t pos = 0, nonempty = 0;
            while (pos <= n) {
                const char *part;
                size_t pl = next_part(t, s, n, &pos, &part);
                if (is_empty(t, part, pl))
                    continue;
                nonempty++;
                if (!check_value(v, c, part, pl))
                    break;
            }
            mv_parts = nonempty;
            if (nonempty == 0)
                empty = true;
        } else if (!empty) {
            if ((int)c == t->index_column && t->columns[c].type == HGC_COL_INT) {
                if (check_int(s, n, &ival))
                    have_ival = true;
                else
                    add_problem(v, HGC_CSV_TYPE, (int)c, s, n, 0);
            } else {
                check_value(v, c, s, n);
            }
        }
        if ((int)c == t->index_column)
            index_problems = v->res.problem_count - problems_before;
        if (empty && t->columns[c].required) {
            if (t->on_empty == HGC_ON_EMPTY_DROP_ROW)
                drop = true;
            else
                add_problem(v, HGC_CSV_EMPTY_REQUIRED, (int)c, s, n, 0);
        }
    }
    /* Uniqueness: every row not dropped whose index cell is itself valid
     * (even when another cell has a problem, so duplicates are reported). */
    if (t->unique_index && !drop && index_problems == 0) {
        size_t n;
        const char *s = cell(v, (size_t)t->index_column, &n);
        uint64_t h = have_ival ? mix64((uint64_t)ival ^ 0x5bd1e9955bd1e995ull) | 1
                               : hash_bytes(s, n, 0x2545F4914F6CDD1Dull);
        if (!is_empty(t, s, n) && uniq_check_insert(&v->uq, h) == 1)
            add_problem(v, HGC_CSV_DUPLICATE_INDEX, t->index_column, s, n, 0);
    }
    if (v->res.problem_count != problems_before)
        goto done;
    if (drop) {
        v->res.rows_dropped++;
        return;
    }
    if (!v->opts.write) {
        v->res.rows_out += (t->split_multi_values && mv_parts > 1) ? mv_parts : 1;
        return;
    }
    /* Write: one row, or one per value of the multi-valued cell. */
    size_t mc = (size_t)t->multi_value_column;
    bool split = t->split_multi_values && mv_parts > 0;
    size_t mpos = 0, mlen = 0;
    const char *mcell = split ? cell(v, mc, &mlen) : NULL;
    for (;;) {
        const char *part = NULL;
        size_t pl = 0;
        if (split) {
            do {
                if (mpos > mlen)
                    return;
                pl = next_part(t, mcell, mlen, &mpos, &part);
            } while (is_empty(t, part, pl));
        }
        for (size_t c = 0; c < t->ncolumns; c++) {
            size_t n;
            const char *s = cell(v, c, &n);
            if (split && c == mc) {
                s = part;
                n = pl;
            } else if (is_empty(t, s, n)) {
                n = 0;
            }
            if (out_cell(v, s, n, c == 0) != 0)
                return;
        }
        if (out_put(v, "\n", 1) != 0)
            return;
        v->res.rows_out++;
        if (!split)
            return;
    }
done:
    v->res.rows_invalid++;
}

static void reset_row(struct hgc_csv_validator *v)
{
    v->rowlen = 0;
    v->field_start = 0;
    v->nfields = 0;
    v->nstored = 0;
    v->row_quoted = false;
    v->row_overflow = false;
    v->pending_kind = -1;
    v->pending_field = 0;
    v->row_line = v->line;
}

static void end_row(struct hgc_csv_validator *v)
{
    bool blank = v->nfields == 1 && v->rowlen == 1 && !v->row_quoted && v->pending_kind < 0 &&
                 !v->row_overflow;
    if (blank) {
        v->res.blank_lines++;
    } else if (!v->header_done) {
        if (v->pending_kind >= 0)
            report_pending(v);
        if (!v->row_overflow)
            process_header(v);
        v->header_done = true;
    } else {
        process_row(v);
    }
    reset_row(v);
}

static void set_pending(struct hgc_csv_validator *v, enum hgc_csv_problem_kind kind)
{
    if (v->pending_kind < 0) {
        v->pending_kind = (int)kind;
        v->pending_field = v->nfields;
        v->pending_off = v->field_start;
    }
}

static void field_append(struct hgc_csv_validator *v, const void *p, size_t n)
{
    if (v->row_overflow)
        return;
    size_t field = v->rowlen - v->field_start;
    enum hgc_csv_problem_kind kind;
    size_t room;
    if (field + n > HG_CSV_MAX_FIELD_BYTES) {
        kind = HGC_CSV_FIELD_TOO_LONG;
        room = HG_CSV_MAX_FIELD_BYTES - field;
    } else if (v->rowlen + n + 1 > HG_CSV_MAX_ROW_BYTES) {
        kind = HGC_CSV_ROW_TOO_LONG;
        room = HG_CSV_MAX_ROW_BYTES - 1 - v->rowlen;
    } else {
        memcpy(v->row + v->rowlen, p, n);
        v->rowlen += n;
        return;
    }
    /* Keep what fits (shown, cut, in the problem), then stop storing. */
    if (room > HG_CSV_MAX_ROW_BYTES - 1 - v->rowlen)
        room = HG_CSV_MAX_ROW_BYTES - 1 - v->rowlen;
    memcpy(v->row + v->rowlen, p, room);
    v->rowlen += room;
    set_pending(v, kind);
    v->row_overflow = true;
}

static void end_field(struct hgc_csv_validator *v)
{
    if (!v->row_overflow && v->nfields < HG_CSV_MAX_FIELDS) {
        if (v->rowlen + 1 > HG_CSV_MAX_ROW_BYTES) {
            set_pending(v, HGC_CSV_ROW_TOO_LONG);
            v->row_overflow = true;
        } else {
            v->fend[v->nfields] = (uint32_t)v->rowlen;
            v->row[v->rowlen++] = '\0';
            v->nstored = v->nfields + 1;
        }
    }
    v->nfields++;
    v->field_start = v->rowlen;
}

/* The state machine. Runs over any chunk; all state lives in v. */
static void parse(struct hgc_csv_validator *v, const unsigned char *p, size_t n)
{
    const unsigned char *end = p + n;
    while (p < end && !v->res.aborted) {
        switch (v->st) {
        case ST_FIELD_START:
            if (*p == '"') {
                v->st = ST_QUOTED;
                v->row_quoted = true;
                p++;
                break;
            }
            v->st = ST_UNQUOTED;
            /* fall through */
        case ST_UNQUOTED: {
            const unsigned char *q = p;
            while (q < end && !special[*q])
                q++;
            if (q > p)
                field_append(v, p, (size_t)(q - p));
            if (q == end) {
                p = q;
                break;
            }
            unsigned char c = *q;
            p = q + 1;
            if (c == ',') {
                end_field(v);
                v->st = ST_FIELD_START;
            } else if (c == '\n') {
                v->line++;
                end_field(v);
                end_row(v);
                v->st = ST_FIELD_START;
            } else if (c == '\r') {
                v->st = ST_CR;
            } else { /* a bare quote: kept as text, reported */
                set_pending(v, HGC_CSV_BARE_QUOTE);
                field_append(v, "\"", 1);
            }
            break;
        }
        case ST_QUOTED: {
            const unsigned char *q = memchr(p, '"', (size_t)(end - p));
            const unsigned char *stop = q ? q : end;
            for (const unsigned char *nl = p;
                 (nl = memchr(nl, '\n', (size_t)(stop - nl))) != NULL; nl++)
                v->line++;
            field_append(v, p, (size_t)(stop - p));
            p = stop;
            if (q) {
                p++;
                v->st = ST_QUOTED_QUOTE;
            }
            break;
        }
        case ST_QUOTED_QUOTE:
            if (*p == '"') {
                field_append(v, "\"", 1);
                v->st = ST_QUOTED;
                p++;
            } else if (*p == ',') {
                end_field(v);
                v->st = ST_FIELD_START;
                p++;
            } else if (*p == '\n') {
                v->line++;
                end_field(v);
                end_row(v);
                v->st = ST_FIELD_START;
                p++;
            } else if (*p == '\r') {
                v->st = ST_CR;
                p++;
            } else { /* text after the closing quote: kept, reported */
                set_pending(v, HGC_CSV_TEXT_AFTER_QUOTE);
                v->st = ST_UNQUOTED;
            }
            break;
        case ST_CR:
            if (*p == '\n') {
                p++;
            } else {
                set_pending(v, HGC_CSV_STRAY_CR);
            }
            v->line++;
            end_field(v);
            end_row(v);
            v->st = ST_FIELD_START;
            break;
        }
    }
}

/* ---- public API -------------------------------------------------------- */

struct hgc_csv_validator *hgc_csv_validator_create(const struct hgc_table *table,
                                                   const struct hgc_csv_options *opts)
{
    struct hgc_csv_validator *v = calloc(1, sizeof *v), *ret = NULL;
    if (!v)
        goto out;
    v->t = table;
    if (opts)
        v->opts = *opts;
    if (v->opts.max_problems == 0)
        v->opts.max_problems = HG_CSV_MAX_PROBLEMS_DEFAULT;
    if (v->opts.max_problems > HG_CSV_MAX_PROBLEMS_CEILING)
        v->opts.max_problems = HG_CSV_MAX_PROBLEMS_CEILING;
    v->problems = calloc(v->opts.max_problems, sizeof *v->problems);
    v->row = malloc(HG_CSV_MAX_ROW_BYTES);
    v->fend = malloc(HG_CSV_MAX_FIELDS * sizeof *v->fend);
    if (!v->problems || !v->row || !v->fend)
        goto out;
    if (v->opts.write && !(v->out = malloc(HG_CSV_OUT_BUF_BYTES)))
        goto out;
    if (table->unique_index) {
        v->uq.recent = calloc(HG_CSV_UNIQUE_BUFFER_SLOTS, sizeof *v->uq.recent);
        v->uq.scratch = malloc(HG_CSV_UNIQUE_BUFFER_SLOTS / 2 * sizeof *v->uq.scratch);
        if (!v->uq.recent || !v->uq.scratch)
            goto out;
    }
    v->line = 1;
    reset_row(v);
    v->res.problems = v->problems;
    ret = v;
    v = NULL;
out:
    hgc_csv_validator_destroy(v);
    return ret;
}

int hgc_csv_validator_feed(struct hgc_csv_validator *v, const void *bytes, size_t n)
{
    static const unsigned char bom[3] = { 0xEF, 0xBB, 0xBF };
    const unsigned char *p = bytes;
    if (v->res.aborted || v->finished)
        return -1;
    v->res.bytes_in += n;
    /* A UTF-8 BOM at the very start is dropped; a partial match is replayed. */
    while (!v->bom_done && n > 0) {
        v->bom[v->bom_n++] = *p++;
        n--;
        if (v->bom[v->bom_n - 1] != bom[v->bom_n - 1]) {
            v->bom_done = true;
            parse(v, v->bom, v->bom_n);
        } else if (v->bom_n == 3) {
            v->bom_done = true;
        }
    }
    if (n > 0)
        parse(v, p, n);
    return v->res.aborted ? -1 : 0;
}

int hgc_csv_validator_finish(struct hgc_csv_validator *v)
{
    if (v->finished || v->res.aborted)
        return -1;
    v->finished = true;
    if (!v->bom_done) {
        v->bom_done = true;
        if (v->bom_n < 3)
            parse(v, v->bom, v->bom_n);
    }
    switch (v->st) {
    case ST_FIELD_START:
        if (v->nfields > 0) {   /* "a," at EOF: one more empty cell */
            end_field(v);
            end_row(v);
        }
        break;
    case ST_UNQUOTED:
    case ST_QUOTED_QUOTE:
        end_field(v);
        end_row(v);
        break;
    case ST_QUOTED:
        set_pending(v, HGC_CSV_UNTERMINATED_QUOTE);
        end_field(v);
        end_row(v);
        break;
    case ST_CR:
        set_pending(v, HGC_CSV_STRAY_CR);
        end_field(v);
        end_row(v);
        break;
    }
    v->st = ST_FIELD_START;
    if (!v->header_done)
        add_problem(v, HGC_CSV_EMPTY_FILE, -1, NULL, 0, 0);
    if (v->opts.write && out_flush(v) != 0)
        return -1;
    if (v->res.aborted)
        return -1;
    return v->res.problem_count ? 1 : 0;
}

const struct hgc_csv_result *hgc_csv_validator_result(const struct hgc_csv_validator *v)
{
    return &v->res;
}

void hgc_csv_validator_destroy(struct hgc_csv_validator *v)
{
    if (!v)
        return;
    free(v->uq.scratch);
    free(v->uq.sorted);
    free(v->uq.recent);
    free(v->out);
    free(v->fend);
    free(v->row);
    free(v->problems);
    free(v);
}

/* ---- messages ---------------------------------------------------------- */

static int describe_where(struct hg_buf *out, const struct hgc_table *t,
                          const struct hgc_csv_problem *p)
{
    int rc;
    if (p->row == 0)
        rc = hg_buf_append_str(out, "Header");
    else
        rc = hg_buf_appendf(out, "Row %llu (line %llu)", (unsigned long long)p->row,
                            (unsigned long long)p->line);
    if (rc == 0 && p->column >= 0 && (size_t)p->column < t->ncolumns)
        rc = hg_buf_appendf(out, ", column '%s'", t->columns[p->column].name);
    return rc;
}

static int quoted_value(struct hg_buf *out, const struct hgc_csv_problem *p)
{
    return hg_buf_appendf(out, "'%s%s'", p->value, p->value_truncated ? "..." : "");
}

int hgc_csv_problem_describe(const struct hgc_table *t, const struct hgc_csv_problem *p,
                             struct hg_buf *out)
{
    static const char *const type_words[] = {
        [HGC_COL_INT] = "is not a whole number (int)",
        [HGC_COL_FLOAT] = "is not a number (float)",
        [HGC_COL_BOOL] = "is not true/false (bool)",
        [HGC_COL_DATE] = "is not a date like 2024-01-31 (date)",
        [HGC_COL_TIMESTAMP] = "is not a date and time like 2024-01-31 09:30:00 (timestamp)",
        [HGC_COL_STRING] = "is not text (string)",
    };
    if (p->kind == HGC_CSV_EMPTY_FILE)
        return hg_buf_append_str(out, "The file is empty: it has no header row");
    if (describe_where(out, t, p) != 0 || hg_buf_append_str(out, ": ") != 0)
        return -1;
    switch (p->kind) {
    case HGC_CSV_BAD_UTF8:
        return hg_buf_append_str(out, "the text is not valid UTF-8 (save the file as \"CSV UTF-8\"): ") ||
               quoted_value(out, p);
    case HGC_CSV_BARE_QUOTE:
        return hg_buf_append_str(out, "a double quote (\") inside a cell that does not start "
                                      "with one (put the whole cell in quotes and double the "
                                      "quote): ") || quoted_value(out, p);
    case HGC_CSV_TEXT_AFTER_QUOTE:
        return hg_buf_append_str(out, "text after the closing quote of a cell: ") ||
               quoted_value(out, p);
    case HGC_CSV_UNTERMINATED_QUOTE:
        return hg_buf_append_str(out, "a quoted cell is never closed (the file ends inside "
                                      "quotes): ") || quoted_value(out, p);
    case HGC_CSV_STRAY_CR:
        return hg_buf_append_str(out, "a line ends with a lone carriage return (save with "
                                      "Windows or Unix line ends)");
    case HGC_CSV_FIELD_TOO_LONG:
        return hg_buf_appendf(out, "a cell is longer than %u bytes: ", HG_CSV_MAX_FIELD_BYTES) ||
               quoted_value(out, p);
    case HGC_CSV_ROW_TOO_LONG:
        return hg_buf_appendf(out, "the row is longer than %u bytes", HG_CSV_MAX_ROW_BYTES);
    case HGC_CSV_EMPTY_FILE:
        return 0;
    case HGC_CSV_HEADER:
        return hg_buf_appendf(out, "expected '%s' but found ",
                              p->column >= 0 ? t->columns[p->column].name : "?") ||
               quoted_value(out, p);
    case HGC_CSV_HEADER_COUNT:
    case HGC_CSV_COLUMN_COUNT:
        return hg_buf_appendf(out, "found %llu column%s, expected %zu",
                              (unsigned long long)p->count, p->count == 1 ? "" : "s",
                              t->ncolumns);
    case HGC_CSV_TYPE:
        if (quoted_value(out, p) != 0 || hg_buf_append_str(out, " ") != 0)
            return -1;
        return hg_buf_append_str(out, p->column >= 0 ? type_words[t->columns[p->column].type]
                                                     : "has the wrong type");
    case HGC_CSV_EMPTY_REQUIRED:
        return hg_buf_append_str(out, "a value is required but the cell is empty") ||
               (p->value_len ? hg_buf_append_str(out, " ") || quoted_value(out, p) : 0);
    case HGC_CSV_DUPLICATE_INDEX:
        return quoted_value(out, p) ||
               hg_buf_append_str(out, " appears more than once (the index must be unique)");
    case HGC_CSV_FORBIDDEN_SEPARATOR: {
        const char *sep = p->count < t->forbidden_separators.count
                              ? t->forbidden_separators.items[p->count] : "?";
        return quoted_value(out, p) ||
               hg_buf_appendf(out, " separates values with '%s'; use '%s' instead", sep,
                              t->multi_value_separator ? t->multi_value_separator : ",");
    }
    }
    return 0;
}

int hgc_csv_validator_message(const struct hgc_csv_validator *v, const char *file_name,
                              struct hg_buf *out)
{
    const struct hgc_csv_result *r = &v->res;
    const char *f = file_name ? file_name : "The file";
    if (r->problem_count == 0)
        return hg_buf_appendf(out, "%s is valid: %llu rows read, %llu written, %llu dropped "
                                   "(empty required cells).", f,
                              (unsigned long long)r->rows_in, (unsigned long long)r->rows_out,
                              (unsigned long long)r->rows_dropped);
    if (hg_buf_appendf(out, "%s has %llu problem%s in %llu rows", f,
                       (unsigned long long)r->problem_count, r->problem_count == 1 ? "" : "s",
                       (unsigned long long)r->rows_in) != 0)
        return -1;
    for (size_t i = 0; i < r->nproblems; i++) {
        if (hg_buf_append_str(out, i == 0 ? ": " : "; ") != 0 ||
            hgc_csv_problem_describe(v->t, &r->problems[i], out) != 0)
            return -1;
    }
    if (r->problem_count > r->nproblems)
        return hg_buf_appendf(out, "; and %llu more.",
                              (unsigned long long)(r->problem_count - r->nproblems));
    return hg_buf_append_str(out, ".");
}

/* csv_validate.c — streaming CSV validator and normaliser: RFC 4180 state machine,
 * per-cell type checks, empty markers, multi-valued cells, index uniqueness. */
#include "consumer/csv_validate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/utf8.h"
#include "consumer/csv_scan.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HGC_HAVE_SSSE3_PATH 1
#endif

/* ---- parser state ------------------------------------------------------ */

enum pstate {
    ST_FIELD_START = 0,  /* at the start of a cell */
    ST_UNQUOTED,         /* inside an unquoted cell */
    ST_QUOTED,           /* inside a quoted cell */
    ST_QUOTED_QUOTE,     /* saw " inside a quoted cell: "" or the closing quote */
    ST_CR,               /* saw CR outside quotes: expect LF */
};

/* Index uniqueness: 64-bit hashes of the index values seen. Recent ones live
 * in a fixed open-addressing set; when it is half full they are radix-sorted
 * and merged into one sorted array (8 bytes a row, grown with realloc, which
 * for large blocks is mremap: untouched capacity is never resident). A
 * directory of bucket offsets (by the hash's top bits, at most
 * 2^HGC_UNIQ_DIR_BITS_MAX entries) finds the few entries to compare. Random
 * memory reads dominate, so a check is deferred by HGC_UNIQ_PENDING rows:
 * the slots it will read are prefetched when the row ends and compared
 * later, overlapping the cache misses of consecutive rows. */
#define HGC_UNIQ_PENDING      16u
#define HGC_UNIQ_DIR_BITS_MAX 18u
/* While int index values only grow ("mono"), they are kept as they are, in
 * their sorted array, without hashing, a set or a sort: a value larger than
 * the last is new. The first value that is not larger turns them into the
 * hashes the general scheme would have held (sorted in place), and the
 * general scheme goes on from there. The array grows by this many entries. */
#define HGC_UNIQ_MONO_GROW    (HG_CSV_UNIQUE_BUFFER_SLOTS / 2)
_Static_assert(HG_CSV_UNIQUE_BUFFER_SLOTS >= 4 * HGC_UNIQ_PENDING &&
                   (HG_CSV_UNIQUE_BUFFER_SLOTS & (HG_CSV_UNIQUE_BUFFER_SLOTS - 1)) == 0,
               "HG_CSV_UNIQUE_BUFFER_SLOTS: a power of two, at least 64");

struct uniq_pending {
    uint64_t h;
    int64_t ival;            /* the int value, when has_ival */
    bool has_ival;
    uint64_t row, line;
    uint64_t rows_written;   /* output rows the row produced (taken back if a duplicate) */
    size_t len;              /* the index value's full length */
    char val[HG_CSV_PROBLEM_VALUE_MAX];  /* its first bytes, for the problem */
};

struct uniq {
    uint64_t *recent;        /* HG_CSV_UNIQUE_BUFFER_SLOTS slots, 0 = empty */
    size_t nrecent;
    uint64_t *sorted;
    size_t nsorted;
    uint64_t *scratch;       /* radix-sort buffer, HG_CSV_UNIQUE_BUFFER_SLOTS / 2 */
    uint32_t *dir;           /* 2^dir_bits + 1 offsets into sorted */
    unsigned dir_bits;
    struct uniq_pending pend[HGC_UNIQ_PENDING];
    size_t pend_head, npend;
    bool mono;               /* sorted holds int values, each larger than the one before */
    bool broken;             /* out of memory: checks stopped (nothing reported) */
    size_t cap_sorted;       /* entries allocated in sorted while mono */
};

#define HGC_MV_VALUES_KEPT 16u

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
    unsigned char *fquoted;  /* whether each stored cell was quoted */
    size_t nquoted;          /* stored cells that were quoted */
    bool cur_quoted;         /* the current cell was quoted */
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
    unsigned char forbid_first[256];   /* first bytes of forbidden separators */
    bool ssse3;              /* the CPU has SSSE3: vector UTF-8 check */
    bool avx2;               /* the CPU has AVX2: the 32-byte UTF-8 check */
    enum hgc_csv_scan_level scan;   /* the line splitter's level (csv_scan.h) */
    struct hgc_csv_span *spans;     /* HG_CSV_MAX_FIELDS cells of the line being split */
    /* The current row's input bytes, when the splitter took it (fast_line):
     * the line without its LF or CRLF, in the chunk being fed; the cells'
     * places in it are in spans. NULL for rows built byte by byte. */
    const unsigned char *raw;
    size_t raw_len;
    const unsigned char *raw_end;   /* end of that chunk (raw_copy reads ahead up to it) */
    bool raw_out;            /* copy rows whose input is already canonical straight to
                              * the output (write_row_raw); off only in tests */
    /* The values of the current row's multi-valued cell, as process_row
     * found them (offset and length in the cell), when there are at most
     * HGC_MV_VALUES_KEPT; mv_kept is 0 otherwise. */
    size_t mv_kept;
    uint32_t mv_off[HGC_MV_VALUES_KEPT], mv_len[HGC_MV_VALUES_KEPT];
    uint64_t marker_lens;    /* bit n set: some empty marker is n bytes long */
    unsigned char marker_first[256];   /* first bytes of the empty markers */
};

/* Bytes that end an unquoted run. */
static const unsigned char special[256] = {
    ['"'] = 1, [','] = 1, ['\r'] = 1, ['\n'] = 1,
};
/* Length of the run before the next , " CR or LF (n when none): 16 bytes a
 * step with SSE2 (x86-64 baseline), a byte table otherwise. */
static inline size_t scan_special(const unsigned char *p, size_t n)
{
    size_t i = 0;
#if defined(__SSE2__)
    const __m128i c1 = _mm_set1_epi8(','), c2 = _mm_set1_epi8('"');
    const __m128i c3 = _mm_set1_epi8('\r'), c4 = _mm_set1_epi8('\n');
    for (; i + 16 <= n; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, c1), _mm_cmpeq_epi8(x, c2)),
                                 _mm_or_si128(_mm_cmpeq_epi8(x, c3), _mm_cmpeq_epi8(x, c4)));
        unsigned mask = (unsigned)_mm_movemask_epi8(m);
        if (mask)
            return i + (size_t)__builtin_ctz(mask);
    }
#endif
    while (i < n && !special[p[i]])
        i++;
    return i;
}


/* The same for text in the row buffer, which is readable 32 bytes past
 * any cell's end: whole 16-byte blocks, no byte-by-byte tail. With commas
 * unset only " CR and LF count. */
static inline size_t row_scan_chars(const unsigned char *p, size_t n, bool commas)
{
#if defined(__SSE2__)
    const __m128i c1 = _mm_set1_epi8(commas ? ',' : '"'), c2 = _mm_set1_epi8('"');
    const __m128i c3 = _mm_set1_epi8('\r'), c4 = _mm_set1_epi8('\n');
    for (size_t i = 0; i < n; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, c1), _mm_cmpeq_epi8(x, c2)),
                                 _mm_or_si128(_mm_cmpeq_epi8(x, c3), _mm_cmpeq_epi8(x, c4)));
        unsigned mask = (unsigned)_mm_movemask_epi8(m);
        if (mask) {
            size_t at = i + (size_t)__builtin_ctz(mask);
            return at < n ? at : n;
        }
    }
    return n;
#else
    size_t i = 0;
    while (i < n && (!special[p[i]] || (!commas && p[i] == ',')))
        i++;
    return i;
#endif
}

/* Length of the run before the next , " CR or LF in the row buffer. */
static inline size_t row_scan_special(const unsigned char *p, size_t n)
{
    return row_scan_chars(p, n, true);
}

/* ---- problems ---------------------------------------------------------- */

static bool utf8_valid_scalar(const unsigned char *s, size_t n);

/* Copy a value for a problem: at most HG_CSV_PROBLEM_VALUE_MAX bytes, whole
 * UTF-8 sequences only, invalid bytes and control characters escaped (the
 * value goes into a Slack message: not even a surrogate or an overlong
 * form may pass as it is). */
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
                valid = utf8_valid_scalar((const unsigned char *)s + i, len);
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

static struct hgc_csv_problem *add_problem_at(struct hgc_csv_validator *v,
                                              enum hgc_csv_problem_kind kind, int col,
                                              uint64_t row, uint64_t line,
                                              const char *val, size_t vlen, uint64_t count)
{
    v->res.problem_count++;
    /* The list holds the first max_problems by row, in row order (stable
     * within a row). Problems come in row order except duplicate index
     * values, found up to HGC_UNIQ_PENDING rows late: such a one goes in
     * before the later rows' problems, and when the list is full it takes
     * the place of the last one (which stays counted in problem_count). */
    size_t n = v->res.nproblems, at = n;
    while (at > 0 && v->problems[at - 1].row > row)
        at--;
    if (n >= v->opts.max_problems) {
        if (at == n)
            return NULL;
        n--;   /* the last one leaves the list */
    }
    if (at < n)
        memmove(&v->problems[at + 1], &v->problems[at], (n - at) * sizeof *v->problems);
    v->res.nproblems = n + 1;
    struct hgc_csv_problem *p = &v->problems[at];
    memset(p, 0, offsetof(struct hgc_csv_problem, value) + 1);
    p->kind = kind;
    p->row = row;
    p->line = line;
    p->column = col;
    p->count = count;
    problem_value(p, val ? val : "", val ? vlen : 0);
    return p;
}

static void add_problem(struct hgc_csv_validator *v, enum hgc_csv_problem_kind kind, int col,
                        const char *val, size_t vlen, uint64_t count)
{
    add_problem_at(v, kind, col, current_row_no(v), v->row_line, val, vlen, count);
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

static int out_put_slow(struct hgc_csv_validator *v, const char *s, size_t n)
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

static inline int out_put(struct hgc_csv_validator *v, const char *s, size_t n)
{
    if (n <= HG_CSV_OUT_BUF_BYTES - v->outlen) {
        memcpy(v->out + v->outlen, s, n);
        v->outlen += n;
        return 0;
    }
    return out_put_slow(v, s, n);
}

/* Copy n bytes of row-buffer text into the output buffer in 16-byte moves:
 * up to 15 bytes past either end are read and written, which the row
 * buffer's padding and the output buffer's (HGC_OUT_PAD) allow. */
#define HGC_OUT_PAD 32u
static inline void row_copy(char *dst, const char *src, size_t n)
{
#if defined(__SSE2__)
    for (size_t i = 0; i < n; i += 16)
        _mm_storeu_si128((__m128i *)(void *)(dst + i),
                         _mm_loadu_si128((const __m128i *)(const void *)(src + i)));
#else
    memcpy(dst, src, n);
#endif
}

/* out_put for text in the row buffer. */
static inline int out_put_row(struct hgc_csv_validator *v, const char *s, size_t n)
{
    if (n <= HG_CSV_OUT_BUF_BYTES - v->outlen) {
        row_copy(v->out + v->outlen, s, n);
        v->outlen += n;
        return 0;
    }
    return out_put_slow(v, s, n);
}

/* Copy n input bytes at src (from the current row's chunk) into the output
 * buffer, which has room for n + HGC_OUT_PAD: 32 bytes a step (up to 31
 * read and written past the end) when the chunk goes on far enough past
 * src + n, memcpy otherwise. */
static inline void raw_copy(const struct hgc_csv_validator *v, char *dst, const char *src, size_t n)
{
#if defined(__SSE2__)
    if ((size_t)((const char *)v->raw_end - src) >= n + 32) {
        for (size_t i = 0; i < n; i += 32) {
            __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(src + i));
            __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(src + i + 16));
            _mm_storeu_si128((__m128i *)(void *)(dst + i), a);
            _mm_storeu_si128((__m128i *)(void *)(dst + i + 16), b);
        }
        return;
    }
#endif
    memcpy(dst, src, n);
}

static int out_cell_quoted(struct hgc_csv_validator *v, const char *s, size_t n);

/* Append one cell; quote it when `check` is set and it holds , " CR or LF
 * (cells that were unquoted in the input cannot). in_row: s is in the row
 * buffer (see row_scan_special). */
static int out_cell(struct hgc_csv_validator *v, const char *s, size_t n, bool first, bool check,
                    bool in_row)
{
    if (!first && out_put(v, ",", 1) != 0)
        return -1;
    if (!in_row)
        return !check || scan_special((const unsigned char *)s, n) == n ? out_put(v, s, n)
                                                                          : out_cell_quoted(v, s, n);
    if (!check || row_scan_special((const unsigned char *)s, n) == n)
        return out_put_row(v, s, n);
    return out_cell_quoted(v, s, n);
}

static int out_cell_quoted(struct hgc_csv_validator *v, const char *s, size_t n)
{
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
static bool utf8_valid_scalar(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
#if defined(__SSE2__)
        while (i + 16 <= n &&
               _mm_movemask_epi8(_mm_loadu_si128((const __m128i *)(const void *)(s + i))) == 0)
            i += 16;
#endif
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (w & 0x8080808080808080ull)
                break;
            i += 8;
        }
        if (i >= n)
            break;
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        /* Runs of three-byte characters (CJK, Hangul, kana) in a tight loop. */
        while ((c & 0xF0) == 0xE0 && i + 2 < n) {
            unsigned c1 = s[i + 1], c2 = s[i + 2];
            if (((c1 & 0xC0) ^ 0x80) | ((c2 & 0xC0) ^ 0x80))
                return false;
            if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 > 0x9F))
                return false;   /* overlong, surrogate */
            i += 3;
            if (i >= n)
                return true;
            c = s[i];
        }
        if (c < 0x80) {
            i++;
        } else if (c >= 0xC2 && c <= 0xDF) {
            if (i + 1 >= n || (s[i + 1] & 0xC0) != 0x80)
                return false;
            i += 2;
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
            return false;       /* 0x80..0xC1, 0xF5..0xFF, or a truncated 3-byte sequence */
        }
    }
    return true;
}

#if HGC_HAVE_SSSE3_PATH
/* UTF-8 validation 16 bytes at a time with SSSE3 table look-ups: the
 * "lookup" algorithm of Keiser & Lemire, "Validating UTF-8 In Less Than One
 * Instruction Per Byte" (Software: Practice and Experience, 2021; the same
 * tables as simdjson's utf8_lookup4_algorithm.h). Each byte pair (previous,
 * current) is classified by three 16-entry tables; errors are the bits all
 * three agree on, plus continuation bytes required after 3/4-byte leads.
 * s must be readable (and zero) up to the next multiple of 16 past n + 1:
 * the zero padding is what exposes a sequence cut at the end. Same answers
 * as utf8_valid_scalar (checked by tests/consumer/test_csv_utf8.c). */
#define U8_TOO_SHORT  (1u << 0)
#define U8_TOO_LONG   (1u << 1)
#define U8_OVERLONG_3 (1u << 2)
#define U8_TOO_LARGE  (1u << 3)
#define U8_SURROGATE  (1u << 4)
#define U8_OVERLONG_2 (1u << 5)
#define U8_TOO_LARGE_1000 (1u << 6)
#define U8_OVERLONG_4 (1u << 6)
#define U8_TWO_CONTS  (1u << 7)
#define U8_CARRY (U8_TOO_SHORT | U8_TOO_LONG | U8_TWO_CONTS)

/* The three tables (previous byte's high and low nibble, current byte's
 * high nibble), shared by the 16- and 32-byte versions. */
static const unsigned char u8_t1_high[16] = {
    U8_TOO_LONG, U8_TOO_LONG, U8_TOO_LONG, U8_TOO_LONG,
    U8_TOO_LONG, U8_TOO_LONG, U8_TOO_LONG, U8_TOO_LONG,
    U8_TWO_CONTS, U8_TWO_CONTS, U8_TWO_CONTS, U8_TWO_CONTS,
    U8_TOO_SHORT | U8_OVERLONG_2,
    U8_TOO_SHORT,
    U8_TOO_SHORT | U8_OVERLONG_3 | U8_SURROGATE,
    U8_TOO_SHORT | U8_TOO_LARGE | U8_TOO_LARGE_1000 | U8_OVERLONG_4};
static const unsigned char u8_t1_low[16] = {
    (U8_CARRY | U8_OVERLONG_3 | U8_OVERLONG_2 | U8_OVERLONG_4),
    (U8_CARRY | U8_OVERLONG_2),
    U8_CARRY, U8_CARRY,
    (U8_CARRY | U8_TOO_LARGE),
    (U8_CARRY | U8_TOO_LARGE | U8_TOO_LARGE_1000),
    (U8_CARRY | U8_TOO_LARGE | U8_TOO_LARGE_1000),
    (U8_CARRY | U8_TOO_LARGE | U8_TOO_LARGE_1000),
    (U8_CARRY | U8_TOO_LARGE | U8_TOO_LARGE_1000),
    (U8_CARRY | U8_TOO_LARGE | U8_TOO_LARGE_1000),
    (U8_CARRY | U8_TOO_LARGE | U8_TOO_LARGE_1000),
    (U8_CARRY | U8_TOO_LARGE | U8_TOO_LARGE_1000),
    (U8_CARRY | U8_TOO_LARGE | U8_TOO_LARGE_1000),
    (U8_CARRY | U8_TOO_LARGE | U8_TOO_LARGE_1000 | U8_SURROGATE),
    (U8_CARRY | U8_TOO_LARGE | U8_TOO_LARGE_1000),
    (U8_CARRY | U8_TOO_LARGE | U8_TOO_LARGE_1000)};
static const unsigned char u8_t2_high[16] = {
    U8_TOO_SHORT, U8_TOO_SHORT, U8_TOO_SHORT, U8_TOO_SHORT,
    U8_TOO_SHORT, U8_TOO_SHORT, U8_TOO_SHORT, U8_TOO_SHORT,
    (U8_TOO_LONG | U8_OVERLONG_2 | U8_TWO_CONTS | U8_OVERLONG_3 | U8_TOO_LARGE_1000 | U8_OVERLONG_4),
    (U8_TOO_LONG | U8_OVERLONG_2 | U8_TWO_CONTS | U8_OVERLONG_3 | U8_TOO_LARGE),
    (U8_TOO_LONG | U8_OVERLONG_2 | U8_TWO_CONTS | U8_SURROGATE | U8_TOO_LARGE),
    (U8_TOO_LONG | U8_OVERLONG_2 | U8_TWO_CONTS | U8_SURROGATE | U8_TOO_LARGE),
    U8_TOO_SHORT, U8_TOO_SHORT, U8_TOO_SHORT, U8_TOO_SHORT};

__attribute__((target("ssse3")))
static bool utf8_valid_ssse3(const unsigned char *s, size_t n)
{
    const __m128i t1_high = _mm_loadu_si128((const __m128i *)(const void *)u8_t1_high);
    const __m128i t1_low = _mm_loadu_si128((const __m128i *)(const void *)u8_t1_low);
    const __m128i t2_high = _mm_loadu_si128((const __m128i *)(const void *)u8_t2_high);
    const __m128i nib = _mm_set1_epi8(0x0F);
    __m128i prev = _mm_setzero_si128(), err = _mm_setzero_si128();
    for (size_t i = 0; i < n + 1; i += 16) {
        __m128i in = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        if (_mm_movemask_epi8(_mm_or_si128(in, prev)) == 0) {
            prev = in;   /* ASCII after ASCII: nothing to check */
            continue;
        }
        __m128i prev1 = _mm_alignr_epi8(in, prev, 15);
        __m128i b1h = _mm_shuffle_epi8(t1_high, _mm_and_si128(_mm_srli_epi16(prev1, 4), nib));
        __m128i b1l = _mm_shuffle_epi8(t1_low, _mm_and_si128(prev1, nib));
        __m128i b2h = _mm_shuffle_epi8(t2_high, _mm_and_si128(_mm_srli_epi16(in, 4), nib));
        __m128i sc = _mm_and_si128(_mm_and_si128(b1h, b1l), b2h);
        __m128i prev2 = _mm_alignr_epi8(in, prev, 14);
        __m128i prev3 = _mm_alignr_epi8(in, prev, 13);
        __m128i third = _mm_subs_epu8(prev2, _mm_set1_epi8((char)(0xE0 - 0x80)));
        __m128i fourth = _mm_subs_epu8(prev3, _mm_set1_epi8((char)(0xF0 - 0x80)));
        __m128i must23 = _mm_and_si128(_mm_or_si128(third, fourth), _mm_set1_epi8((char)0x80));
        err = _mm_or_si128(err, _mm_xor_si128(must23, sc));
        prev = in;
    }
    return _mm_movemask_epi8(_mm_cmpeq_epi8(err, _mm_setzero_si128())) == 0xFFFF;
}

/* The same, 32 bytes at a time (AVX2: the look-ups work per 16-byte lane,
 * the previous bytes come across the lane boundary by a permute). s must be
 * readable (and zero) up to the next multiple of 32 past n + 1. */
__attribute__((target("avx2")))
static bool utf8_valid_avx2(const unsigned char *s, size_t n)
{
    const __m256i t1_high =
        _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(const void *)u8_t1_high));
    const __m256i t1_low =
        _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(const void *)u8_t1_low));
    const __m256i t2_high =
        _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(const void *)u8_t2_high));
    const __m256i nib = _mm256_set1_epi8(0x0F);
    __m256i prev = _mm256_setzero_si256(), err = _mm256_setzero_si256();
    for (size_t i = 0; i < n + 1; i += 32) {
        __m256i in = _mm256_loadu_si256((const __m256i *)(const void *)(s + i));
        if (_mm256_movemask_epi8(_mm256_or_si256(in, prev)) == 0) {
            prev = in;   /* ASCII after ASCII: nothing to check */
            continue;
        }
        __m256i pp = _mm256_permute2x128_si256(prev, in, 0x21);   /* prev.hi, in.lo */
        __m256i prev1 = _mm256_alignr_epi8(in, pp, 15);
        __m256i b1h = _mm256_shuffle_epi8(t1_high, _mm256_and_si256(_mm256_srli_epi16(prev1, 4), nib));
        __m256i b1l = _mm256_shuffle_epi8(t1_low, _mm256_and_si256(prev1, nib));
        __m256i b2h = _mm256_shuffle_epi8(t2_high, _mm256_and_si256(_mm256_srli_epi16(in, 4), nib));
        __m256i sc = _mm256_and_si256(_mm256_and_si256(b1h, b1l), b2h);
        __m256i prev2 = _mm256_alignr_epi8(in, pp, 14);
        __m256i prev3 = _mm256_alignr_epi8(in, pp, 13);
        __m256i third = _mm256_subs_epu8(prev2, _mm256_set1_epi8((char)(0xE0 - 0x80)));
        __m256i fourth = _mm256_subs_epu8(prev3, _mm256_set1_epi8((char)(0xF0 - 0x80)));
        __m256i must23 = _mm256_and_si256(_mm256_or_si256(third, fourth), _mm256_set1_epi8((char)0x80));
        err = _mm256_or_si256(err, _mm256_xor_si256(must23, sc));
        prev = in;
    }
    return _mm256_testz_si256(err, err);
}
#endif

/* Is the whole current row valid UTF-8? */
static bool row_utf8_valid(struct hgc_csv_validator *v)
{
#if HGC_HAVE_SSSE3_PATH
    if (v->avx2) {
        memset(v->row + v->rowlen, 0, 32);
        return utf8_valid_avx2((const unsigned char *)v->row, v->rowlen);
    }
    if (v->ssse3) {
        memset(v->row + v->rowlen, 0, 16);
        return utf8_valid_ssse3((const unsigned char *)v->row, v->rowlen);
    }
#endif
    return utf8_valid_scalar((const unsigned char *)v->row, v->rowlen);
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* int: optional sign + digits, within int64. *out gets the value. */
static inline bool check_int(const char *s, size_t n, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    if (i == n)
        return false;
    uint64_t v = 0;
    const uint64_t limit = neg ? (uint64_t)INT64_MAX + 1u : (uint64_t)INT64_MAX;
    size_t safe = i + 18 < n ? i + 18 : n;   /* 18 digits cannot overflow */
    for (; i < safe; i++) {
        if (!is_digit(s[i]))
            return false;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
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

/* Significant digits kept when strtod decides a borderline float: the
 * boundary between DBL_MAX and overflow (2^1024 - 2^970) has 309, so more
 * than that plus a sticky digit decide the rounding exactly. */
#define HGC_FLOAT_DIGITS 320

/* float: [+-] (d+ [. d*] | . d+) [(e|E) [+-] d+], finite as a double. */
static bool check_float(const char *s, size_t n)
{
    size_t i = 0, intd = 0, fracd = 0, lead = 0, fzeros = 0;
    bool seen_nonzero = false;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    size_t digits_at = i;
    for (; i < n && is_digit(s[i]); i++, intd++) {
        if (s[i] != '0')
            seen_nonzero = true;
        if (seen_nonzero)
            lead++;
    }
    if (i < n && s[i] == '.')
        for (i++; i < n && is_digit(s[i]); i++) {
            if (!seen_nonzero && s[i] == '0')
                fzeros++;
            else
                seen_nonzero = true;
            fracd++;
        }
    if (intd + fracd == 0)
        return false;
    size_t digits_end = i;
    long long ex = 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            eneg = s[i++] == '-';
        if (i == n || !is_digit(s[i]))
            return false;
        /* Clamped far beyond any cell's digit count (the cell cap), so the
         * clamp cannot change the verdict. */
        for (; i < n && is_digit(s[i]); i++)
            if (ex < 100000000)
                ex = ex * 10 + (s[i] - '0');
        if (eneg)
            ex = -ex;
    }
    if (i != n)
        return false;
    if (!seen_nonzero)
        return true;     /* zero, whatever the exponent */
    /* The value is 0.d1d2... x 10^mag, d1 its first non-zero digit. */
    long long mag = lead ? (long long)lead + ex : ex - (long long)fzeros;
    if (mag <= 308)
        return true;     /* in range, or tiny (underflows to 0 or a denormal) */
    if (mag > 309)
        return false;
    /* Borderline (10^308 .. 10^309): strtod decides, on the same value
     * spelt 0.<significant digits>e<mag>, the digits cut at
     * HGC_FLOAT_DIGITS with a 1 standing for any non-zero one cut off. */
    char tmp[HGC_FLOAT_DIGITS + 32];
    size_t o = 0;
    tmp[o++] = '0';
    tmp[o++] = '.';
    bool started = false, cut = false;
    for (size_t k = digits_at; k < digits_end; k++) {
        if (s[k] == '.' || (!started && s[k] == '0'))
            continue;
        started = true;
        if (o < 2 + HGC_FLOAT_DIGITS)
            tmp[o++] = s[k];
        else if (s[k] != '0')
            cut = true;
    }
    if (cut)
        tmp[o++] = '1';
    snprintf(tmp + o, sizeof tmp - o, "e%lld", mag);
    return isfinite(strtod(tmp, NULL));
}

/* true/false in any letter case, or 1/0. */
static bool check_bool(const char *s, size_t n)
{
    if (n == 1)
        return s[0] == '0' || s[0] == '1';
    uint64_t w = 0;
    if (n != 4 && n != 5)
        return false;
    memcpy(&w, s, n);
    /* Letters only differ from their capitals in bit 0x20; force it on. */
    uint64_t lower = w | 0x2020202020ull >> (8 * (5 - n));
    uint64_t t = 0, f = 0;
    memcpy(&t, "true", 4);
    memcpy(&f, "false", 5);
    return n == 4 ? lower == t : lower == f;
}

static int two(const char *s)
{
    if (!is_digit(s[0]) || !is_digit(s[1]))
        return -1;
    return (s[0] - '0') * 10 + (s[1] - '0');
}

/* Eight bytes at s against a pattern of digits and fixed bytes: pattern
 * has '0' where a digit goes and the byte itself elsewhere, fixed marks
 * the fixed bytes (0xFF). On a match *digits gets each digit's value in
 * its byte (0 in the fixed ones). Little-endian load order: byte i = s[i]. */
static inline bool match8(const char *s, uint64_t pattern, uint64_t fixed, uint64_t *digits)
{
    uint64_t w;
    memcpy(&w, s, 8);
    uint64_t x = w ^ pattern;   /* a digit byte: 0..9 iff it was '0'..'9' */
    if ((((x + 0x7676767676767676ull) | x) & 0x8080808080808080ull) || (x & fixed))
        return false;
    *digits = x;
    return true;
}

static inline int digit_at(uint64_t x, unsigned i)
{
    return (int)((x >> (8 * i)) & 0xFF);
}

/* Little-endian 8-byte patterns: "YYYY-MM-" and "HH:MM:SS". */
#define DATE8_PATTERN  0x2d30302d30303030ull
#define DATE8_FIXED    0xFF0000FF00000000ull
#define TIME8_PATTERN  0x30303a30303a3030ull
#define TIME8_FIXED    0x0000FF0000FF0000ull

/* YYYY-MM-DD, a real calendar date, year 0001..9999. */
static inline bool check_date(const char *s, size_t n)
{
    static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    uint64_t x;
    if (n != 10 || !match8(s, DATE8_PATTERN, DATE8_FIXED, &x))
        return false;
    int m = digit_at(x, 5) * 10 + digit_at(x, 6), d = two(s + 8);
    if (m < 1 || m > 12 || d < 1)
        return false;
    int y = digit_at(x, 0) * 1000 + digit_at(x, 1) * 100 + digit_at(x, 2) * 10 + digit_at(x, 3);
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
    uint64_t x;
    if (!match8(s + 11, TIME8_PATTERN, TIME8_FIXED, &x))
        return false;
    int hh = digit_at(x, 0) * 10 + digit_at(x, 1), mm = digit_at(x, 3) * 10 + digit_at(x, 4);
    int ss = digit_at(x, 6) * 10 + digit_at(x, 7);
    if (hh > 23 || mm > 59 || ss > 60)
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

static inline bool check_type(enum hgc_col_type type, const char *s, size_t n)
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

/* An empty cell: nothing, or exactly one of the empty markers. */
static inline bool is_empty(const struct hgc_csv_validator *v, const char *s, size_t n)
{
    if (n == 0)
        return true;
    if (n > HG_TABLE_MARKER_MAX || !((v->marker_lens >> n) & 1) ||
        !v->marker_first[(unsigned char)s[0]])
        return false;   /* no marker has this length (most cells) */
    const struct hgc_strlist *m = &v->t->empty_markers;
    for (size_t i = 0; i < m->count; i++)
        if (m->lens[i] == n && !memcmp(m->items[i], s, n))
            return true;
    return false;
}

/* Next part of a multi-valued cell starting at *pos; returns its length and
 * advances *pos past the separator (to n + 1 after the last part). */
/* First c in s[0, n), or NULL; s lies in the row buffer, which is
 * readable 16 bytes past any cell, so whole 16-byte blocks are read. */
static inline const char *row_find_byte(const char *s, size_t n, char c)
{
#if defined(__SSE2__)
    const __m128i k = _mm_set1_epi8(c);
    for (size_t i = 0; i < n; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, k));
        if (m) {
            size_t at = i + (size_t)__builtin_ctz(m);
            return at < n ? s + at : NULL;
        }
    }
    return NULL;
#else
    return memchr(s, c, n);
#endif
}

/* (s is a cell in the row buffer.) */
static inline size_t next_part(const struct hgc_table *t, const char *s, size_t n, size_t *pos,
                        const char **part)
{
    size_t start = *pos;
    *part = s + start;
    const char *sep = t->multi_value_separator;
    size_t sl = t->multi_value_separator_len;
    const char *hit = start > n ? NULL
                    : sl == 1 ? row_find_byte(s + start, n - start, sep[0])
                              : memmem(s + start, n - start, sep, sl);
    if (!hit) {
        *pos = n + 1;
        return n - start;
    }
    *pos = (size_t)(hit - s) + sl;
    return (size_t)(hit - s) - start;
}

/* Index of the first forbidden separator found in s (one pass, candidates
 * picked by their first byte), or -1. */
static int find_forbidden(const struct hgc_csv_validator *v, const char *s, size_t n)
{
    const struct hgc_strlist *fl = &v->t->forbidden_separators;
    int best = -1;
    size_t best_at = n;
    size_t i = 0;
    if (fl->count == 0)
        return -1;
#if defined(__SSE2__)
    /* Candidates by the first two bytes of each separator, 16 at a time.
     * Cells live in the row buffer, which is readable 32 bytes past any
     * cell's end. */
    if (fl->count > 0 && fl->count <= 4) {
        __m128i b0[4], b1[4];
        for (size_t f = 0; f < fl->count; f++) {
            b0[f] = _mm_set1_epi8(fl->items[f][0]);
            b1[f] = _mm_set1_epi8(fl->lens[f] > 1 ? fl->items[f][1] : 0);
        }
        for (; i < n; i += 16) {
            __m128i x0 = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
            __m128i x1 = _mm_loadu_si128((const __m128i *)(const void *)(s + i + 1));
            __m128i hit = _mm_setzero_si128();
            for (size_t f = 0; f < fl->count; f++) {
                __m128i m = _mm_cmpeq_epi8(x0, b0[f]);
                if (fl->lens[f] > 1)
                    m = _mm_and_si128(m, _mm_cmpeq_epi8(x1, b1[f]));
                hit = _mm_or_si128(hit, m);
            }
            unsigned mask = (unsigned)_mm_movemask_epi8(hit);
            while (mask) {
                size_t at = i + (size_t)__builtin_ctz(mask);
                mask &= mask - 1;
                if (at >= n)
                    break;
                for (size_t f = 0; f < fl->count; f++)
                    if (fl->lens[f] <= n - at && !memcmp(s + at, fl->items[f], fl->lens[f]))
                        return (int)f;
            }
        }
        return -1;
    }
#endif
    for (; i < n && i < best_at; i++) {
        if (!v->forbid_first[(unsigned char)s[i]])
            continue;
        for (size_t f = 0; f < fl->count; f++)
            if (fl->lens[f] <= n - i && (unsigned char)fl->items[f][0] == (unsigned char)s[i] &&
                !memcmp(s + i, fl->items[f], fl->lens[f]) && i < best_at) {
                best = (int)f;
                best_at = i;
            }
    }
    return best;
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

/* Fewer values than this are sorted by insertion: a radix pass costs its
 * 256 counters whatever n is (and sort_in_place sorts 256 buckets). */
#define HGC_SORT_SMALL 48u

static void insertion_sort(uint64_t *a, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        uint64_t x = a[i];
        size_t j = i;
        for (; j > 0 && a[j - 1] > x; j--)
            a[j] = a[j - 1];
        a[j] = x;
    }
}

static void radix_sort(uint64_t *a, uint64_t *tmp, size_t n)
{
    if (n < HGC_SORT_SMALL) {
        insertion_sort(a, n);
        return;
    }
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

static size_t dir_index(const struct uniq *u, uint64_t h)
{
    return u->dir_bits ? (size_t)(h >> (64 - u->dir_bits)) : 0;
}

static bool sorted_contains(const struct uniq *u, uint64_t h)
{
    if (u->nsorted == 0)
        return false;
    size_t b = dir_index(u, h);
    for (size_t i = u->dir[b], end = u->dir[b + 1]; i < end; i++)
        if (u->sorted[i] >= h)
            return u->sorted[i] == h;
    return false;
}

/* Move the recent set into the sorted array and rebuild the directory.
 * Returns 0 or -1 (memory; the recent set is kept). */
/* Size the directory for total entries; returns 0 or -1 (memory). */
static int uniq_dir_size(struct uniq *u, size_t total)
{
    unsigned bits = 0;
    while (bits < HGC_UNIQ_DIR_BITS_MAX && ((size_t)8 << bits) < total)
        bits++;
    if (bits != u->dir_bits || !u->dir) {
        uint32_t *nd = realloc(u->dir, (((size_t)1 << bits) + 1) * sizeof *nd);
        if (!nd)
            return -1;
        u->dir = nd;
        u->dir_bits = bits;
    }
    return 0;
}

/* Fill the directory of the sorted array. */
static void uniq_dir_fill(struct uniq *u)
{
    const uint64_t *ns = u->sorted;
    size_t total = u->nsorted, nb = (size_t)1 << u->dir_bits, at = 0;
    for (size_t b = 0; b < nb; b++) {
        while (at < total && dir_index(u, ns[at]) < b)
            at++;
        u->dir[b] = (uint32_t)at;
    }
    u->dir[nb] = (uint32_t)total;
}

static uint64_t uniq_int_hash(int64_t ival)
{
    return mix64((uint64_t)ival ^ 0x5bd1e9955bd1e995ull) | 1;
}

/* Heap sort, for a bucket too big for the radix buffer (over 33 million
 * rows with one leading hash byte). */
static void heap_sort(uint64_t *a, size_t n)
{
    for (size_t k = n / 2; k-- > 0;) {
        for (size_t i = k;;) {
            size_t c = 2 * i + 1;
            if (c >= n)
                break;
            if (c + 1 < n && a[c + 1] > a[c])
                c++;
            if (a[i] >= a[c])
                break;
            uint64_t t = a[i]; a[i] = a[c]; a[c] = t;
            i = c;
        }
    }
    for (size_t end = n; end > 1; end--) {
        uint64_t t = a[0]; a[0] = a[end - 1]; a[end - 1] = t;
        for (size_t i = 0;;) {
            size_t c = 2 * i + 1;
            if (c >= end - 1)
                break;
            if (c + 1 < end - 1 && a[c + 1] > a[c])
                c++;
            if (a[i] >= a[c])
                break;
            t = a[i]; a[i] = a[c]; a[c] = t;
            i = c;
        }
    }
}

/* Sort a in place: an American-flag pass on the top byte, then each bucket
 * by radix sort through tmp (tmp_n entries), or heap sort when it is
 * larger. No memory beyond tmp. */
static void sort_in_place(uint64_t *a, size_t n, uint64_t *tmp, size_t tmp_n)
{
    if (n < 2)
        return;   /* a may be NULL (no values yet) */
    size_t count[256] = { 0 }, start[257], next[256];
    for (size_t i = 0; i < n; i++)
        count[a[i] >> 56]++;
    start[0] = 0;
    for (size_t b = 0; b < 256; b++)
        start[b + 1] = start[b] + count[b];
    memcpy(next, start, sizeof next);
    for (size_t b = 0; b < 256; b++) {
        while (next[b] < start[b + 1]) {
            uint64_t x = a[next[b]];
            size_t d = (size_t)(x >> 56);
            while (d != b) {
                uint64_t t = a[next[d]];
                a[next[d]++] = x;
                x = t;
                d = (size_t)(x >> 56);
            }
            a[next[b]++] = x;
        }
    }
    for (size_t b = 0; b < 256; b++) {
        size_t m = start[b + 1] - start[b];
        if (m <= tmp_n)
            radix_sort(a + start[b], tmp, m);
        else
            heap_sort(a + start[b], m);
    }
}

/* Leave the mono mode: the values become their hashes, sorted, with a
 * directory. Returns 0 or -1 (memory: checks stop). */
static int uniq_leave_mono(struct uniq *u)
{
    u->mono = false;
    for (size_t i = 0; i < u->nsorted; i++)
        u->sorted[i] = uniq_int_hash((int64_t)u->sorted[i]);
    sort_in_place(u->sorted, u->nsorted, u->scratch, HG_CSV_UNIQUE_BUFFER_SLOTS / 2);
    if (uniq_dir_size(u, u->nsorted) != 0)
        return -1;
    uniq_dir_fill(u);
    return 0;
}

/* Mono mode: record ival when it is larger than the last value (returns 0),
 * or return 1 when the mode must end. -1: memory. */
static int uniq_mono_add(struct uniq *u, int64_t ival)
{
    if (u->nsorted > 0 && ival <= (int64_t)u->sorted[u->nsorted - 1])
        return 1;
    if (u->nsorted == u->cap_sorted) {
        uint64_t *ns = realloc(u->sorted, (u->cap_sorted + HGC_UNIQ_MONO_GROW) * sizeof *ns);
        if (!ns)
            return -1;
        u->sorted = ns;
        u->cap_sorted += HGC_UNIQ_MONO_GROW;
    }
    u->sorted[u->nsorted++] = (uint64_t)ival;
    return 0;
}

static int uniq_merge(struct uniq *u)
{
    size_t m = 0;
    for (size_t i = 0; i < HG_CSV_UNIQUE_BUFFER_SLOTS; i++)
        if (u->recent[i])
            u->scratch[m++] = u->recent[i];
    size_t total = u->nsorted + m;
    if (total > UINT32_MAX)
        return -1;
    uint64_t *ns = realloc(u->sorted, total * sizeof *ns);
    if (!ns)
        return -1;
    u->sorted = ns;
    if (uniq_dir_size(u, total) != 0)
        return -1;
    /* Sort the new hashes (scratch) using recent as the radix buffer. */
    radix_sort(u->scratch, u->recent, m);
    /* Merge backwards in place. */
    size_t i = u->nsorted, j = m, k = total;
    while (j > 0) {
        if (i > 0 && ns[i - 1] > u->scratch[j - 1])
            ns[--k] = ns[--i];
        else
            ns[--k] = u->scratch[--j];
    }
    u->nsorted = total;
    uniq_dir_fill(u);
    memset(u->recent, 0, HG_CSV_UNIQUE_BUFFER_SLOTS * sizeof *u->recent);
    u->nrecent = 0;
    return 0;
}

static size_t recent_slot(uint64_t h)
{
    return (size_t)(h >> 20) & (HG_CSV_UNIQUE_BUFFER_SLOTS - 1);
}

/* Returns 1 when h was seen before, 0 when it is new (now recorded), -1 on
 * memory failure (treated as "not a duplicate"). */
static int uniq_check_insert(struct uniq *u, uint64_t h)
{
    const size_t mask = HG_CSV_UNIQUE_BUFFER_SLOTS - 1;
    if (u->nrecent >= HG_CSV_UNIQUE_BUFFER_SLOTS - 1)
        return -1;   /* a merge failed for lack of memory: stop checking */
    size_t i = recent_slot(h);
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

/* Prefetch what a check of h will read, in two stages so that no stage
 * waits for memory: when the row ends, its recent-set slot and directory
 * entry; eight rows later (the directory entry is cached by then) its
 * bucket; eight rows after that, the check. Macros: gcc's pure/const
 * analysis deletes calls to a void function that only prefetches. */
#define UNIQ_PREFETCH_DIR(u, h) do { \
        __builtin_prefetch(&(u)->recent[recent_slot(h)]); \
        if ((u)->nsorted && !(u)->mono) \
            __builtin_prefetch(&(u)->dir[dir_index((u), (h))]); \
    } while (0)
#define UNIQ_PREFETCH_BUCKET(u, h) do { \
        if ((u)->nsorted && !(u)->mono) { \
            const uint64_t *pf_ = &(u)->sorted[(u)->dir[dir_index((u), (h))]]; \
            __builtin_prefetch(pf_); \
            __builtin_prefetch(pf_ + 8); \
        } \
    } while (0)

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
        if (!utf8_valid_scalar((const unsigned char *)s, n))
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
            out_cell(v, t->columns[i].name, strlen(t->columns[i].name), i == 0, true, false);
        out_put(v, "\n", 1);
    }
}

/* Check one value of column c (a whole cell or one part of a multi-valued
 * cell). Returns true when it is fine. */
static inline __attribute__((always_inline)) bool check_value(struct hgc_csv_validator *v, size_t c,
                                                              const char *s, size_t n)
{
    if (check_type(v->t->columns[c].type, s, n))
        return true;
    add_problem(v, HGC_CSV_TYPE, (int)c, s, n, 0);
    return false;
}

/* Cells a row written from its input bytes (write_row_raw) may replace:
 * the multi-valued one and blanked markers; more send it cell by cell. */
#define HGC_RAW_MAX_REPLACED 8u
#define HGC_RAW_NOT_CANONICAL UINT64_MAX

/* Next value of the multi-valued cell mcell[0, mlen) from *mpos: empty parts
 * (nothing or a marker) are skipped. */
static inline size_t next_value(const struct hgc_csv_validator *v, const char *mcell, size_t mlen,
                                size_t *mpos, const char **part)
{
    size_t pl;
    do
        pl = next_part(v->t, mcell, mlen, mpos, part);
    while (is_empty(v, *part, pl) && *mpos <= mlen);
    return pl;
}

/* One value in its canonical form: quoted only when it holds , " CR or LF.
 * s is in the row buffer. */
static inline int out_value(struct hgc_csv_validator *v, const char *s, size_t n)
{
    if (row_scan_special((const unsigned char *)s, n) == n)
        return out_put_row(v, s, n);
    return out_cell_quoted(v, s, n);
}

/* Write the current row from its input bytes (v->raw, from fast_line) when
 * they already are its normalised form, apart from the line end (always
 * LF), the multi-valued cell of a split row (each value written in its
 * canonical form) and cells blanked as empty markers (written as nothing):
 * every other quoted cell must need its quotes (hold , " CR or LF; an
 * unquoted cell cannot), then the input between the replaced cells is copied
 * as it is. Returns the rows written, 0 when the write callback failed, or
 * HGC_RAW_NOT_CANONICAL (nothing written) for the cell-by-cell path. */
static uint64_t write_row_raw(struct hgc_csv_validator *v, size_t mv_parts, bool blanked,
                              bool split, uint64_t rows)
{
    const struct hgc_table *t = v->t;
    size_t mc = split ? (size_t)t->multi_value_column : SIZE_MAX;
    size_t rep[HGC_RAW_MAX_REPLACED + 1], nrep = 0;   /* replaced cells, ascending */
    if (blanked) {
        if (t->ncolumns == 1)
            return HGC_RAW_NOT_CANONICAL;   /* its one cell is written empty: write_row's "" */
        for (size_t c = 0; c < t->ncolumns; c++) {
            size_t n;
            const char *s = cell(v, c, &n);
            if (c == mc || is_empty(v, s, n) ||
                ((int)c == t->multi_value_column && mv_parts == 0)) {
                if (nrep == HGC_RAW_MAX_REPLACED)
                    return HGC_RAW_NOT_CANONICAL;
                rep[nrep++] = c;
            }
        }
    } else if (split) {
        rep[nrep++] = mc;
    }
    rep[nrep] = SIZE_MAX;
    size_t quoted_rep = 0;
    for (size_t k = 0; k < nrep; k++)
        quoted_rep += v->fquoted[rep[k]];
    if (v->nquoted > quoted_rep) {
        for (size_t c = 0, k = 0; c < t->ncolumns; c++) {
            if (c == rep[k]) {
                k++;
                continue;
            }
            if (!v->fquoted[c])
                continue;
            size_t n;
            const char *s = cell(v, c, &n);
            if (row_scan_special((const unsigned char *)s, n) == n)
                return HGC_RAW_NOT_CANONICAL;   /* quotes it does not need */
        }
    }
    const char *raw = (const char *)v->raw;
    size_t len = v->raw_len;
    if (nrep == 0) {
        if (len + 1 > HG_CSV_OUT_BUF_BYTES - v->outlen && out_flush(v) != 0)
            return 0;
        if (len + 1 <= HG_CSV_OUT_BUF_BYTES - v->outlen) {
            raw_copy(v, v->out + v->outlen, raw, len);
            v->out[v->outlen + len] = '\n';
            v->outlen += len + 1;
        } else if (out_put(v, raw, len) != 0 || out_put(v, "\n", 1) != 0) {
            return 0;
        }
        v->res.rows_out++;
        return 1;
    }
    size_t mpos = 0, mlen = 0;
    const char *mcell = split ? cell(v, mc, &mlen) : NULL;
    /* No value needs quotes when the cell holds no " CR LF (an unquoted
     * cell cannot) and no , other than the separators. */
    bool plain_values = split && (!v->fquoted[mc] ||
                                  row_scan_chars((const unsigned char *)mcell, mlen,
                                                 t->multi_value_separator_len != 1 ||
                                                 t->multi_value_separator[0] != ',') == mlen);
    for (uint64_t r = 0; r < rows; r++) {
        const char *part = NULL;
        size_t pl = 0;
        if (split && v->mv_kept) {
            part = mcell + v->mv_off[r];
            pl = v->mv_len[r];
        } else if (split) {
            pl = next_value(v, mcell, mlen, &mpos, &part);
        }
        if (nrep == 1 && split &&
            (plain_values || row_scan_special((const unsigned char *)part, pl) == pl)) {
            /* The common split row: the input before the multi-valued
             * cell, one value, the input after it, in one reservation. */
            const struct hgc_csv_span *sp = &v->spans[mc];
            size_t q = (sp->flags & HGC_CSV_SPAN_QUOTED) != 0;
            size_t cs = sp->start - q, ce = sp->start + sp->len + q;
            size_t n = cs + pl + (len - ce) + 1;
            if (n > HG_CSV_OUT_BUF_BYTES - v->outlen && out_flush(v) != 0)
                return 0;
            if (n <= HG_CSV_OUT_BUF_BYTES - v->outlen) {
                char *o = v->out + v->outlen;
                raw_copy(v, o, raw, cs);
                row_copy(o + cs, part, pl);
                raw_copy(v, o + cs + pl, raw + ce, len - ce);
                o[n - 1] = '\n';
                v->outlen += n;
                continue;
            }
        }
        size_t at = 0;
        for (size_t k = 0; k < nrep; k++) {
            const struct hgc_csv_span *sp = &v->spans[rep[k]];
            size_t q = (sp->flags & HGC_CSV_SPAN_QUOTED) != 0;
            size_t cs = sp->start - q, ce = sp->start + sp->len + q;   /* the cell's input bytes */
            if (out_put(v, raw + at, cs - at) != 0)
                return 0;
            if (rep[k] == mc && out_value(v, part, pl) != 0)
                return 0;
            at = ce;
        }
        if (out_put(v, raw + at, len - at) != 0 || out_put(v, "\n", 1) != 0)
            return 0;
    }
    v->res.rows_out += rows;
    return rows;
}

/* Write the current (valid) row: one output row, or one per value of the
 * multi-valued cell when splitting. Returns the rows written (counted in
 * rows_out). */
static uint64_t write_row(struct hgc_csv_validator *v, size_t mv_parts, bool blanked)
{
    const struct hgc_table *t = v->t;
    bool split = t->split_multi_values && mv_parts > 0;
    uint64_t rows = split ? mv_parts : 1;
    if (!v->opts.write) {
        v->res.rows_out += rows;
        return rows;
    }
    if (v->raw && v->raw_out) {
        uint64_t w = write_row_raw(v, mv_parts, blanked, split, rows);
        if (w != HGC_RAW_NOT_CANONICAL)
            return w;
    }
    if (!split && !blanked && !v->row_quoted) {
        /* The common row: its cells, NUL-separated, become comma-separated. */
        size_t n = v->rowlen;   /* the last NUL becomes the newline */
        if (n > HG_CSV_OUT_BUF_BYTES - v->outlen && out_flush(v) != 0)
            return 0;
        if (n <= HG_CSV_OUT_BUF_BYTES - v->outlen) {
            char *o = v->out + v->outlen;
            row_copy(o, v->row, n);
            for (size_t c = 0; c + 1 < t->ncolumns; c++)
                o[v->fend[c]] = ',';
            o[n - 1] = '\n';
            v->outlen += n;
            v->res.rows_out++;
            return 1;
        }
    }
    if (t->ncolumns == 1 && !split) {
        /* A row whose one cell is empty (nothing, "" or a marker) would be
         * an empty line, which CSV readers (and this validator) skip: the
         * row would be lost. It is written as "". */
        size_t n;
        cell(v, 0, &n);
        if (n == 0 || blanked) {
            if (out_put(v, "\"\"\n", 3) != 0)
                return 0;
            v->res.rows_out++;
            return 1;
        }
    }
    size_t mc = (size_t)t->multi_value_column;
    size_t mpos = 0, mlen = 0;
    const char *mcell = split ? cell(v, mc, &mlen) : NULL;
    /* All cells are stored here (the row has ncolumns cells, no cap hit). */
    bool others_quoted = split && v->nquoted > v->fquoted[mc];
    bool commas = false;   /* the row's NULs between cells are commas now */
    for (uint64_t r = 0; r < rows; r++) {
        const char *part = NULL;
        size_t pl = split ? next_value(v, mcell, mlen, &mpos, &part) : 0;
        if (split && !blanked && !others_quoted &&
            row_scan_special((const unsigned char *)part, pl) == pl) {
            /* Split row, common case: cells before the multi-valued one,
             * the value, the cells after; NULs become commas. */
            size_t ms = mc == 0 ? 0 : v->fend[mc - 1] + 1, me = v->fend[mc];
            size_t n = ms + pl + (v->rowlen - me);
            if (n > HG_CSV_OUT_BUF_BYTES - v->outlen && out_flush(v) != 0)
                return 0;
            if (n <= HG_CSV_OUT_BUF_BYTES - v->outlen) {
                /* Once per row: the cells' NULs become commas in place
                 * (cells are used by length from here on). */
                if (!commas) {
                    for (size_t c = 0; c + 1 < t->ncolumns; c++)
                        v->row[v->fend[c]] = ',';
                    commas = true;
                }
                char *o = v->out + v->outlen;
                row_copy(o, v->row, ms);
                row_copy(o + ms, part, pl);
                row_copy(o + ms + pl, v->row + me, v->rowlen - me);
                o[n - 1] = '\n';
                v->outlen += n;
                continue;
            }
        }
        for (size_t c = 0; c < t->ncolumns; c++) {
            size_t n;
            const char *s = cell(v, c, &n);
            bool check = v->fquoted[c];
            if (split && c == mc) {
                s = part;
                n = pl;
            } else if (blanked && (is_empty(v, s, n) || ((int)c == t->multi_value_column &&
                                                         mv_parts == 0))) {
                n = 0;
            }
            if (out_cell(v, s, n, c == 0, check, true) != 0)
                return 0;
        }
        if (out_put(v, "\n", 1) != 0)
            return 0;
    }
    v->res.rows_out += rows;
    return rows;
}

/* Check the oldest deferred index value. */
static void uniq_pop(struct hgc_csv_validator *v)
{
    struct uniq *u = &v->uq;
    struct uniq_pending *e = &u->pend[u->pend_head];
    u->pend_head = (u->pend_head + 1) % HGC_UNIQ_PENDING;
    u->npend--;
    if (u->broken)
        return;
    if (u->mono) {
        int r = e->has_ival ? uniq_mono_add(u, e->ival) : 1;
        if (r == 0)
            return;
        if (r < 0 || uniq_leave_mono(u) != 0) {
            u->broken = true;
            return;
        }
    }
    if (e->h == 0)   /* pushed in mono mode */
        e->h = uniq_int_hash(e->ival);
    if (uniq_check_insert(u, e->h) != 1)
        return;
    size_t kept = e->len < sizeof e->val ? e->len : sizeof e->val;
    struct hgc_csv_problem *p = add_problem_at(v, HGC_CSV_DUPLICATE_INDEX, v->t->index_column,
                                               e->row, e->line, e->val, kept, 0);
    if (p && e->len > kept)
        p->value_truncated = true;
    if (e->rows_written) {   /* it was counted as good: take it back */
        v->res.rows_out -= e->rows_written;
        v->res.rows_invalid++;
    }
}

static void uniq_push(struct hgc_csv_validator *v, uint64_t h, bool has_ival, int64_t ival,
                      const char *s, size_t n, uint64_t written)
{
    struct uniq *u = &v->uq;
    if (u->npend == HGC_UNIQ_PENDING)
        uniq_pop(v);
    struct uniq_pending *e = &u->pend[(u->pend_head + u->npend) % HGC_UNIQ_PENDING];
    u->npend++;
    e->h = h;
    e->has_ival = has_ival;
    e->ival = ival;
    e->row = v->res.rows_in;
    e->line = v->row_line;
    e->rows_written = written;
    e->len = n;
    memcpy(e->val, s, n < sizeof e->val ? n : sizeof e->val);
    if (u->npend > HGC_UNIQ_PENDING / 2) {
        const struct uniq_pending *mid =
            &u->pend[(u->pend_head + u->npend - 1 - HGC_UNIQ_PENDING / 2) % HGC_UNIQ_PENDING];
        UNIQ_PREFETCH_BUCKET(u, mid->h);
    }
}

static void process_row(struct hgc_csv_validator *v)
{
    const struct hgc_table *t = v->t;
    uint64_t problems_before = v->res.problem_count;
    bool drop = false, blanked = false;
    v->res.rows_in++;
    v->mv_kept = 0;
    /* A structural problem (a stray quote, CR, ...) outside the index cell
     * leaves the index checkable: duplicates are reported for such rows too. */
    bool index_broken = false;
    if (v->pending_kind >= 0) {
        index_broken = t->index_column >= 0 && v->pending_field == (size_t)t->index_column;
        report_pending(v);
    }
    uint64_t cell_problems_before = v->res.problem_count;
    if (!v->row_overflow && v->nfields != t->ncolumns)
        add_problem(v, HGC_CSV_COLUMN_COUNT, -1, NULL, 0, v->nfields);
    if (v->row_overflow || v->nfields != t->ncolumns) {
        v->res.rows_invalid++;
        return;
    }
    int64_t ival = 0;
    bool have_ival = false;
    uint64_t index_problems = 1;   /* set when the index cell is checked */
    /* One UTF-8 pass over the whole row (cells are NUL-separated, so a
     * sequence cannot straddle two); cell by cell only when it fails. */
    bool row_utf8 = row_utf8_valid(v);
    size_t mv_parts = 0, next_start = 0;
    for (size_t c = 0; c < t->ncolumns; c++) {
        const char *s = v->row + next_start;   /* = cell(v, c, &n) */
        size_t n = v->fend[c] - next_start;
        next_start = v->fend[c] + 1;
        if (!row_utf8 && !utf8_valid_scalar((const unsigned char *)s, n)) {
            add_problem(v, HGC_CSV_BAD_UTF8, (int)c, s, n, 0);
            continue;
        }
        bool empty = is_empty(v, s, n);
        if (!empty && (int)c == t->multi_value_column) {
            int f = find_forbidden(v, s, n);
            if (f >= 0) {
                add_problem(v, HGC_CSV_FORBIDDEN_SEPARATOR, (int)c, s, n, (uint64_t)f);
                continue;
            }
            size_t pos = 0, nonempty = 0;
            while (pos <= n) {
                const char *part;
                size_t pl = next_part(t, s, n, &pos, &part);
                if (is_empty(v, part, pl))
                    continue;
                if (nonempty < HGC_MV_VALUES_KEPT) {
                    v->mv_off[nonempty] = (uint32_t)(part - s);
                    v->mv_len[nonempty] = (uint32_t)pl;
                }
                nonempty++;
                if (!check_value(v, c, part, pl))
                    break;
            }
            mv_parts = nonempty;
            v->mv_kept = nonempty <= HGC_MV_VALUES_KEPT ? nonempty : 0;
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
            index_problems = index_broken ? 1 : v->res.problem_count - cell_problems_before;
        if (empty && n > 0 && !t->columns[c].required)
            blanked = true;   /* a marker (or only separators): written as "" */
        if (empty && t->columns[c].required) {
            if (t->on_empty == HGC_ON_EMPTY_DROP_ROW)
                drop = true;
            else
                add_problem(v, HGC_CSV_EMPTY_REQUIRED, (int)c, s, n, 0);
        }
    }
    /* Uniqueness: every row not dropped whose index cell is itself valid
     * (even when another cell has a problem, so duplicates are reported).
     * The check itself is deferred (see struct uniq). */
    bool want_uniq = false;
    uint64_t h = 0;
    size_t ilen = 0;
    const char *ival_s = NULL;
    if (t->unique_index && !drop && index_problems == 0) {
        ival_s = cell(v, (size_t)t->index_column, &ilen);
        if (!is_empty(v, ival_s, ilen)) {
            if (!have_ival)
                h = hash_bytes(ival_s, ilen, 0x2545F4914F6CDD1Dull);
            else if (!v->uq.mono)   /* in mono mode an int needs no hash (0: later, if at all) */
                h = uniq_int_hash(ival);
            if (h)
                UNIQ_PREFETCH_DIR(&v->uq, h);
            want_uniq = true;
        }
    }
    uint64_t written = 0;
    if (v->res.problem_count != problems_before)
        v->res.rows_invalid++;
    else if (drop)
        v->res.rows_dropped++;
    else
        written = write_row(v, mv_parts, blanked);
    if (want_uniq)
        uniq_push(v, h, have_ival, ival, ival_s, ilen, written);
}

static void reset_row(struct hgc_csv_validator *v)
{
    v->rowlen = 0;
    v->field_start = 0;
    v->nfields = 0;
    v->nstored = 0;
    v->nquoted = 0;
    v->row_quoted = false;
    v->cur_quoted = false;
    v->row_overflow = false;
    v->pending_kind = -1;
    v->pending_field = 0;
    v->row_line = v->line;
    v->raw = NULL;
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

static inline void field_append(struct hgc_csv_validator *v, const void *p, size_t n)
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

static inline void end_field(struct hgc_csv_validator *v)
{
    if (!v->row_overflow && v->nfields < HG_CSV_MAX_FIELDS) {
        if (v->rowlen + 1 > HG_CSV_MAX_ROW_BYTES) {
            set_pending(v, HGC_CSV_ROW_TOO_LONG);
            v->row_overflow = true;
        } else {
            v->fend[v->nfields] = (uint32_t)v->rowlen;
            v->fquoted[v->nfields] = v->cur_quoted;
            v->nquoted += v->cur_quoted;
            v->row[v->rowlen++] = '\0';
            v->nstored = v->nfields + 1;
        }
    }
    v->nfields++;
    v->cur_quoted = false;
    v->field_start = v->rowlen;
}

/* Fast path at the start of a row: when the whole line is in this chunk and
 * is plain (quoted cells without "" or line breaks inside, no stray CR) and
 * fits the caps, take it cell by cell without the state machine. Returns
 * where the next row starts, or NULL (nothing changed) to take the byte by
 * byte path, which also reports whatever is wrong. */
static const unsigned char *whole_line(struct hgc_csv_validator *v, const unsigned char *p,
                                       const unsigned char *end)
{
    const unsigned char *nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl)
        return NULL;
    size_t len = (size_t)(nl - p);
    if (len > 0 && p[len - 1] == '\r')
        len--;
    if (len + 1 > HG_CSV_MAX_ROW_BYTES)
        return NULL;
    char *row = v->row;
    size_t nf = 0, o = 0, i = 0;
    bool any_quoted = false;
    for (;;) {
        const unsigned char *src;
        size_t n;
        bool quoted = i < len && p[i] == '"';
        if (quoted) {
            const unsigned char *q = memchr(p + i + 1, '"', len - i - 1);
            if (!q || (q + 1 < p + len && q[1] != ','))
                return NULL;   /* "" inside, text after the quote, or a line break inside */
            src = p + i + 1;
            n = (size_t)(q - src);
            i = (size_t)(q - p) + 1;
            any_quoted = true;
        } else {
            size_t j = i + scan_special(p + i, len - i);
            if (j < len && p[j] != ',')
                return NULL;   /* a bare quote or a stray CR */
            src = p + i;
            n = j - i;
            i = j;
        }
        if (n > HG_CSV_MAX_FIELD_BYTES || nf + 1 >= HG_CSV_MAX_FIELDS)
            return NULL;
        memcpy(row + o, src, n);
        o += n;
        row[o] = '\0';
        v->fend[nf] = (uint32_t)o;
        v->fquoted[nf] = quoted;
        v->nquoted += quoted;
        nf++;
        o++;
        if (i >= len)
            break;
        i++;   /* the comma */
    }
    v->rowlen = o;
    v->field_start = o;
    v->nfields = v->nstored = nf;
    v->row_quoted = any_quoted;
    v->line++;
    end_row(v);
    return nl + 1;
}

/* Copy n bytes of cell text; short cells in two 16-byte moves when 32
 * bytes can be read at src (the row buffer has 32 bytes of padding and a
 * fast-path line is far shorter than the row cap). */
static inline void copy_cell(char *dst, const unsigned char *src, size_t n,
                             const unsigned char *src_end)
{
#if defined(__SSE2__)
    if (n <= 32 && (size_t)(src_end - src) >= 32) {
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)src);
        __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(src + 16));
        _mm_storeu_si128((__m128i *)(void *)dst, a);
        _mm_storeu_si128((__m128i *)(void *)(dst + 16), b);
        return;
    }
#endif
    memcpy(dst, src, n);
}

/* Fast path at the start of a row, before whole_line: the splitter
 * (csv_scan.c) finds the line's cells by its special bytes alone; quoted
 * cells may hold "", commas and line breaks. Returns where the next row
 * starts, or NULL (nothing changed) when the line is not complete in this
 * chunk, longer than HG_CSV_FAST_LINE_MAX, or not plain. */
static const unsigned char *fast_line(struct hgc_csv_validator *v, const unsigned char *p,
                                      const unsigned char *end)
{
    struct hgc_csv_line ln;
    if (!hgc_csv_scan_line(v->scan, p, (size_t)(end - p), v->spans, HG_CSV_MAX_FIELDS - 1, &ln))
        return NULL;
    char *row = v->row;
    size_t o = 0;
    for (size_t c = 0; c < ln.ncells; c++) {
        const struct hgc_csv_span *sp = &v->spans[c];
        const unsigned char *src = p + sp->start;
        if (ln.escapes && (sp->flags & HGC_CSV_SPAN_QUOTED)) {
            for (size_t i = 0; i < sp->len; i++) {
                row[o++] = (char)src[i];
                if (src[i] == '"')
                    i++;   /* "" stands for one " */
            }
        } else {
            copy_cell(row + o, src, sp->len, end);
            o += sp->len;
        }
        row[o] = '\0';
        v->fend[c] = (uint32_t)o;
        v->fquoted[c] = (sp->flags & HGC_CSV_SPAN_QUOTED) != 0;
        v->nquoted += v->fquoted[c];
        o++;
    }
    v->rowlen = o;
    v->field_start = o;
    v->nfields = v->nstored = ln.ncells;
    v->row_quoted = ln.any_quoted;
    v->line += 1 + ln.quoted_lfs;
    /* The line end is outside quotes, so a CR right before it is the CRLF's. */
    v->raw = p;
    v->raw_end = end;
    v->raw_len = ln.len - 1 - (ln.len >= 2 && p[ln.len - 2] == '\r');
    end_row(v);
    return p + ln.len;
}

/* The state machine. Runs over any chunk; all state lives in v. */
static void parse(struct hgc_csv_validator *v, const unsigned char *p, size_t n)
{
    const unsigned char *end = p + n;
    while (p < end) {
        switch (v->st) {
        case ST_FIELD_START:
            if (v->nfields == 0 && v->rowlen == 0) {
                const unsigned char *next = v->scan != HGC_CSV_SCAN_OFF ? fast_line(v, p, end)
                                                                         : NULL;
                if (!next)
                    next = whole_line(v, p, end);
                if (next) {
                    p = next;
                    break;
                }
            }
            if (*p == '"') {
                v->st = ST_QUOTED;
                v->row_quoted = true;
                v->cur_quoted = true;
                p++;
                break;
            }
            v->st = ST_UNQUOTED;
            __attribute__((fallthrough));
        case ST_UNQUOTED: {
            const unsigned char *q = p + scan_special(p, (size_t)(end - p));
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
    v->row = calloc(1, HG_CSV_MAX_ROW_BYTES + 32);   /* + padding for vector reads */
    v->fend = malloc(HG_CSV_MAX_FIELDS * sizeof *v->fend);
    v->fquoted = malloc(HG_CSV_MAX_FIELDS);
    v->spans = malloc(HG_CSV_MAX_FIELDS * sizeof *v->spans);
    if (!v->problems || !v->row || !v->fend || !v->fquoted || !v->spans)
        goto out;
    if (v->opts.write && !(v->out = malloc(HG_CSV_OUT_BUF_BYTES + HGC_OUT_PAD)))
        goto out;
    if (table->unique_index) {
        v->uq.recent = calloc(HG_CSV_UNIQUE_BUFFER_SLOTS, sizeof *v->uq.recent);
        v->uq.scratch = malloc(HG_CSV_UNIQUE_BUFFER_SLOTS / 2 * sizeof *v->uq.scratch);
        if (!v->uq.recent || !v->uq.scratch)
            goto out;
        v->uq.mono = true;
    }
    for (size_t i = 0; i < table->forbidden_separators.count; i++)
        v->forbid_first[(unsigned char)table->forbidden_separators.items[i][0]] = 1;
    for (size_t i = 0; i < table->empty_markers.count; i++) {
        v->marker_lens |= (uint64_t)1 << table->empty_markers.lens[i];   /* lens <= 32 */
        if (table->empty_markers.lens[i] > 0)
            v->marker_first[(unsigned char)table->empty_markers.items[i][0]] = 1;
    }
#if HGC_HAVE_SSSE3_PATH
    v->ssse3 = __builtin_cpu_supports("ssse3");
    v->avx2 = __builtin_cpu_supports("avx2");
#endif
    v->scan = hgc_csv_scan_best();
    v->raw_out = true;
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
    while (v->uq.npend > 0)
        uniq_pop(v);
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
    free(v->uq.dir);
    free(v->uq.scratch);
    free(v->uq.sorted);
    free(v->uq.recent);
    free(v->out);
    free(v->spans);
    free(v->fquoted);
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
    if (out->len + HGC_CSV_MESSAGE_RESERVE >= out->max)
        return -1;
    /* The message ends at limit, which leaves the caller HGC_CSV_MESSAGE_RESERVE
     * bytes of out's cap for its prefix: the pipeline posts ":x: ERROR: "
     * and the message into a text of HGC_MESSAGE_MAX bytes. */
    size_t limit = out->max - HGC_CSV_MESSAGE_RESERVE;
    struct hg_buf head;   /* the first sentence; the file name makes it any length */
    hg_buf_init(&head, strlen(f) + 256);
    int rc;
    if (r->problem_count == 0)
        rc = hg_buf_appendf(&head, "%s is valid: %llu rows read, %llu written, %llu dropped "
                                   "(empty required cells).", f,
                            (unsigned long long)r->rows_in, (unsigned long long)r->rows_out,
                            (unsigned long long)r->rows_dropped);
    else
        rc = hg_buf_appendf(&head, "%s has %llu problem%s in %llu rows", f,
                            (unsigned long long)r->problem_count, r->problem_count == 1 ? "" : "s",
                            (unsigned long long)r->rows_in);
    size_t hn = head.len;
    if (rc == 0 && out->len + hn > limit)   /* cut where a character starts */
        hn = hg_utf8_cut(head.data, limit - out->len);
    if (rc == 0)
        rc = hg_buf_append(out, head.data, hn);
    bool cut = hn < head.len;
    hg_buf_cleanup(&head);
    if (rc != 0)
        return -1;
    if (cut || r->problem_count == 0)
        return 0;
    /* Room for the end, "; and N more." with N at most problem_count, is
     * kept free: a problem that would not fit before it ends the list, and
     * it and the rest are counted in N. */
    char tail[48];
    size_t tail_room = (size_t)snprintf(tail, sizeof tail, "; and %llu more.",
                                        (unsigned long long)r->problem_count);
    size_t shown = 0;
    for (; shown < r->nproblems; shown++) {
        size_t before = out->len;
        if (hg_buf_append_str(out, shown == 0 ? ": " : "; ") != 0 ||
            hgc_csv_problem_describe(v->t, &r->problems[shown], out) != 0 ||
            out->len + tail_room > limit) {
            out->len = before;   /* whole problems only */
            out->data[before] = '\0';
            break;
        }
    }
    if (r->problem_count > shown && shown > 0)
        return hg_buf_appendf(out, "; and %llu more.", (unsigned long long)(r->problem_count - shown));
    return out->len < limit ? hg_buf_append_str(out, ".") : 0;
}

/* csv_scan.c — structural scanner for the CSV validator: , " CR LF bitmasks per
 * 64-byte block (scalar, SSE2, AVX2 with a runtime check) and a line splitter
 * that walks only those bytes, so plain runs of cell text cost nothing per byte. */
#include "consumer/csv_scan.h"

#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HGC_SCAN_X86 1
#endif

_Static_assert(HG_CSV_FAST_LINE_MAX <= HG_CSV_MAX_FIELD_BYTES &&
               HG_CSV_FAST_LINE_MAX + 1 <= HG_CSV_MAX_ROW_BYTES,
               "a fast-path line fits the cell and row caps");

/* The four kinds of special byte in one 64-byte block, bit i = p[i]. */
struct masks {
    uint64_t comma, quote, cr, lf;
};

static inline void block_scalar(const unsigned char *p, struct masks *m)
{
    uint64_t c = 0, q = 0, r = 0, l = 0;
    for (unsigned i = 0; i < 64; i++) {
        c |= (uint64_t)(p[i] == ',') << i;
        q |= (uint64_t)(p[i] == '"') << i;
        r |= (uint64_t)(p[i] == '\r') << i;
        l |= (uint64_t)(p[i] == '\n') << i;
    }
    m->comma = c;
    m->quote = q;
    m->cr = r;
    m->lf = l;
}

#if HGC_SCAN_X86
static inline void block_sse2(const unsigned char *p, struct masks *m)
{
    const __m128i c1 = _mm_set1_epi8(','), c2 = _mm_set1_epi8('"');
    const __m128i c3 = _mm_set1_epi8('\r'), c4 = _mm_set1_epi8('\n');
    uint64_t c = 0, q = 0, r = 0, l = 0;
    for (unsigned k = 0; k < 4; k++) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
        c |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, c1)) << (16 * k);
        q |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, c2)) << (16 * k);
        r |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, c3)) << (16 * k);
        l |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, c4)) << (16 * k);
    }
    m->comma = c;
    m->quote = q;
    m->cr = r;
    m->lf = l;
}

__attribute__((target("avx2")))
static inline void block_avx2(const unsigned char *p, struct masks *m)
{
    const __m256i c1 = _mm256_set1_epi8(','), c2 = _mm256_set1_epi8('"');
    const __m256i c3 = _mm256_set1_epi8('\r'), c4 = _mm256_set1_epi8('\n');
    __m256i x0 = _mm256_loadu_si256((const __m256i *)(const void *)p);
    __m256i x1 = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32));
#define HGC_MASK2(c) ((uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(x0, c)) | \
                      (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(x1, c)) << 32)
    m->comma = HGC_MASK2(c1);
    m->quote = HGC_MASK2(c2);
    m->cr = HGC_MASK2(c3);
    m->lf = HGC_MASK2(c4);
#undef HGC_MASK2
}
#endif

enum hgc_csv_scan_level hgc_csv_scan_best(void)
{
#if HGC_SCAN_X86
    if (__builtin_cpu_supports("avx2"))
        return HGC_CSV_SCAN_AVX2;
    return HGC_CSV_SCAN_SSE2;
#else
    return HGC_CSV_SCAN_SCALAR;
#endif
}

bool hgc_csv_scan_supported(enum hgc_csv_scan_level level)
{
    switch (level) {
    case HGC_CSV_SCAN_OFF:
    case HGC_CSV_SCAN_SCALAR:
        return true;
    case HGC_CSV_SCAN_SSE2:
#if HGC_SCAN_X86
        return true;
#else
        return false;
#endif
    case HGC_CSV_SCAN_AVX2:
#if HGC_SCAN_X86
        return __builtin_cpu_supports("avx2");
#else
        return false;
#endif
    }
    return false;
}

uint64_t hgc_csv_scan_block(enum hgc_csv_scan_level level, const unsigned char *p)
{
    struct masks m;
    switch (level) {
#if HGC_SCAN_X86
    case HGC_CSV_SCAN_AVX2:
        block_avx2(p, &m);
        break;
    case HGC_CSV_SCAN_SSE2:
        block_sse2(p, &m);
        break;
#endif
    default:
        block_scalar(p, &m);
        break;
    }
    return m.comma | m.quote | m.cr | m.lf;
}

/* Bit i set in the result when an odd number of bits of x are set at or
 * below i: with x the quotes, "inside a quoted cell" (the opening quote
 * counts as inside, the closing one as outside). */
static inline uint64_t prefix_xor(uint64_t x)
{
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    return x;
}

/* The line splitter, one copy per level (classify is a constant in each).
 * Per block: inside = quote parity; a quote outside ("closer") must be
 * followed by a quote (a "" pair) or a delimiter; a quote inside
 * ("opener") must follow a delimiter, the line start or a quote; a CR
 * outside must be followed by LF. The first LF outside ends the line;
 * cells end at the commas outside. Checks stop at that LF. */
#define HGC_SCAN_LINE_BODY(classify)                                                        \
    unsigned char tail[64];                                                                 \
    size_t limit = n < HG_CSV_FAST_LINE_MAX ? n : HG_CSV_FAST_LINE_MAX;                     \
    size_t cell = 0, nc = 0, lfs = 0;                                                       \
    uint64_t inside_carry = 0;   /* all ones when the block starts inside quotes */         \
    uint64_t qd_prev = 1;        /* bit 0: the byte before the block is , CR LF " or none */ \
    uint64_t closer_prev = 0, cr_prev = 0, esc = 0, quoted = 0;                            \
    for (size_t base = 0; base < limit; base += 64) {                                       \
        struct masks m;                                                                     \
        if (base + 64 <= n) {                                                               \
            classify(p + base, &m);                                                         \
        } else {                                                                            \
            memset(tail, 0, sizeof tail);                                                   \
            memcpy(tail, p + base, n - base);                                               \
            classify(tail, &m);                                                             \
        }                                                                                   \
        uint64_t inside = prefix_xor(m.quote) ^ inside_carry;                               \
        inside_carry = (uint64_t)((int64_t)inside >> 63);                                   \
        uint64_t delim = m.comma | m.cr | m.lf;                                             \
        uint64_t qd = m.quote | delim;                                                      \
        uint64_t lf_out = m.lf & ~inside;                                                   \
        uint64_t upto = ~0ull;   /* bits that belong to this line */                        \
        if (lf_out)                                                                         \
            upto = ~0ull >> (63 - __builtin_ctzll(lf_out));                                 \
        if (base + 64 > limit) {                                                            \
            size_t left = limit - base;                                                     \
            uint64_t avail = left >= 64 ? ~0ull : (1ull << left) - 1;                       \
            if (!(lf_out & avail))                                                          \
                return false;   /* no line end within the limit */                          \
        }                                                                                   \
        uint64_t closer = m.quote & ~inside, opener = m.quote & inside;                     \
        uint64_t cr_out = m.cr & ~inside;                                                   \
        uint64_t bad = ((closer << 1 | closer_prev) & ~qd) |                                \
                       (opener & ~(qd << 1 | qd_prev)) |                                    \
                       ((cr_out << 1 | cr_prev) & ~m.lf);                                   \
        if (bad & upto)                                                                     \
            return false;                                                                   \
        esc |= opener & (m.quote << 1 | closer_prev) & upto;                                \
        quoted |= opener & upto;                                                            \
        lfs += (size_t)__builtin_popcountll(m.lf & inside & upto);                          \
        closer_prev = closer >> 63;                                                         \
        cr_prev = cr_out >> 63;                                                             \
        qd_prev = qd >> 63;                                                                 \
        uint64_t ends = (m.comma | m.lf) & ~inside & upto;                                  \
        while (ends) {                                                                      \
            size_t d = base + (size_t)__builtin_ctzll(ends);                                \
            ends &= ends - 1;                                                               \
            bool last = p[d] == '\n';                                                       \
            size_t e = last && d > cell && p[d - 1] == '\r' ? d - 1 : d;                    \
            if (nc >= max_cells)                                                            \
                return false;                                                               \
            if (e > cell && p[cell] == '"') {                                               \
                if (e - cell < 2 || p[e - 1] != '"')                                        \
                    return false;                                                           \
                spans[nc].start = (uint32_t)(cell + 1);                                     \
                spans[nc].len = (uint32_t)(e - cell - 2);                                   \
                spans[nc].flags = HGC_CSV_SPAN_QUOTED;                                      \
            } else {                                                                        \
                spans[nc].start = (uint32_t)cell;                                           \
                spans[nc].len = (uint32_t)(e - cell);                                       \
                spans[nc].flags = 0;                                                        \
            }                                                                               \
            nc++;                                                                           \
            cell = d + 1;                                                                   \
            if (last) {                                                                     \
                out->len = d + 1;                                                           \
                out->ncells = nc;                                                           \
                out->quoted_lfs = lfs;                                                      \
                out->any_quoted = quoted != 0;                                              \
                out->escapes = esc != 0;                                                    \
                return true;                                                                \
            }                                                                               \
        }                                                                                   \
    }                                                                                       \
    return false;

static bool line_scalar(const unsigned char *p, size_t n, struct hgc_csv_span *spans,
                        size_t max_cells, struct hgc_csv_line *out)
{
    HGC_SCAN_LINE_BODY(block_scalar)
}

#if HGC_SCAN_X86
static bool line_sse2(const unsigned char *p, size_t n, struct hgc_csv_span *spans,
                      size_t max_cells, struct hgc_csv_line *out)
{
    HGC_SCAN_LINE_BODY(block_sse2)
}

__attribute__((target("avx2,bmi,bmi2,popcnt")))
static bool line_avx2(const unsigned char *p, size_t n, struct hgc_csv_span *spans,
                      size_t max_cells, struct hgc_csv_line *out)
{
    HGC_SCAN_LINE_BODY(block_avx2)
}
#endif

bool hgc_csv_scan_line(enum hgc_csv_scan_level level, const unsigned char *p, size_t n,
                       struct hgc_csv_span *spans, size_t max_cells, struct hgc_csv_line *out)
{
    switch (level) {
#if HGC_SCAN_X86
    case HGC_CSV_SCAN_AVX2:
        return line_avx2(p, n, spans, max_cells, out);
    case HGC_CSV_SCAN_SSE2:
        return line_sse2(p, n, spans, max_cells, out);
#endif
    default:
        return line_scalar(p, n, spans, max_cells, out);
    }
}

/* test_csv_utf8.c — the vector UTF-8 checks (SSSE3, AVX2) agree with the scalar one (csv_validate.c compiled in). */
#include "consumer/csv_validate.c"

#include "tests/unit/test.h"

static uint64_t rng = 88172645463325252ull;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static int mismatches;

static void compare(const unsigned char *s, size_t n)
{
#if HGC_HAVE_SSSE3_PATH
    static unsigned char buf[256 + 32];
    memcpy(buf, s, n);
    memset(buf + n, 0, 32);
    bool a = utf8_valid_scalar(buf, n), b = utf8_valid_ssse3(buf, n);
    bool c = __builtin_cpu_supports("avx2") ? utf8_valid_avx2(buf, n) : a;
    if ((a != b || a != c) && mismatches++ < 5) {
        fprintf(stderr, "scalar %d, ssse3 %d, avx2 %d for:", a, b, c);
        for (size_t i = 0; i < n; i++)
            fprintf(stderr, " %02x", s[i]);
        fprintf(stderr, "\n");
    }
#else
    (void)s;
    (void)n;
#endif
}

int main(void)
{
#if HGC_HAVE_SSSE3_PATH
    CHECK(__builtin_cpu_supports("ssse3"));
    /* Every 1-, 2- and 3-byte string at every offset within a block. */
    unsigned char s[256];
    for (unsigned a = 0; a < 256; a++) {
        s[0] = (unsigned char)a;
        compare(s, 1);
        for (unsigned b = 0; b < 256; b++) {
            s[1] = (unsigned char)b;
            compare(s, 2);
        }
    }
    for (unsigned a = 0xC0; a < 256; a++)
        for (unsigned b = 0x70; b < 0xD0; b++)
            for (unsigned c = 0x70; c < 0xD0; c++)
                for (size_t off = 0; off < 34; off += off < 12 ? 4 : off < 28 ? 16 : 1) {
                    /* 0 4 8 12, then 28..33: over the 16-byte block and the
                     * AVX2 lane / 32-byte block edges */
                    memset(s, 'x', off);
                    s[off] = (unsigned char)a;
                    s[off + 1] = (unsigned char)b;
                    s[off + 2] = (unsigned char)c;
                    compare(s, off + 3);
                    s[off + 3] = 0x80 | (unsigned char)(next() & 0x3F);
                    compare(s, off + 4);
                }
    /* Random mixes of valid characters with one corruption, and without. */
    static const char *const pieces[] = { "a", ",", "é", "夏", "한", "ー", "😀", "\xF4\x8F\xBF\xBF", "\xEF\xBF\xBF", "\xED\x9F\xBF" };
    for (int iter = 0; iter < 200000; iter++) {
        size_t n = 0, target = 1 + next() % 200;
        while (n < target) {
            const char *p = pieces[next() % 10];
            size_t l = strlen(p);
            if (n + l > sizeof s - 8)
                break;
            memcpy(s + n, p, l);
            n += l;
        }
        compare(s, n);
        if (n && (iter & 1)) {
            s[next() % n] = (unsigned char)next();
            compare(s, n);
            compare(s, n - 1);   /* also cut anywhere */
        }
    }
    CHECK_INT(mismatches, 0);
#endif
    /* Scalar sanity (both paths are also covered by test_csv_validate). */
    CHECK(utf8_valid_scalar((const unsigned char *)"夏 한국 😀", strlen("夏 한국 😀")));
    CHECK(!utf8_valid_scalar((const unsigned char *)"\xC0\xAF", 2));
    CHECK(!utf8_valid_scalar((const unsigned char *)"\xED\xA0\x80", 3));
    CHECK(!utf8_valid_scalar((const unsigned char *)"\xF4\x90\x80\x80", 4));
    CHECK(!utf8_valid_scalar((const unsigned char *)"\xE6\x97", 2));
    return TEST_DONE();
}

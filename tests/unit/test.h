/* test.h — the tiny check macros every C unit test uses. A test program
 * runs all its checks, prints each failure with file:line, and exits 1 if
 * any failed (meson counts the program as one test). */
#ifndef HG_TEST_H
#define HG_TEST_H

#include <stdio.h>
#include <string.h>

static int hg_test_failures;
static int hg_test_checks;

#define CHECK(cond) do { hg_test_checks++; if (!(cond)) { hg_test_failures++; \
    fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); } } while (0)
#define CHECK_INT(a, b) do { long long _a = (long long)(a), _b = (long long)(b); \
    hg_test_checks++; if (_a != _b) { hg_test_failures++; \
    fprintf(stderr, "%s:%d: %s == %lld, expected %lld\n", __FILE__, __LINE__, #a, _a, _b); } } while (0)
#define CHECK_STR(a, b) do { const char *_a = (a), *_b = (b); hg_test_checks++; \
    if (!_a || !_b || strcmp(_a, _b) != 0) { hg_test_failures++; \
    fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #a, \
            _a ? _a : "(null)", _b ? _b : "(null)"); } } while (0)
#define CHECK_MEM(a, alen, b, blen) do { hg_test_checks++; \
    if ((size_t)(alen) != (size_t)(blen) || memcmp((a), (b), (blen)) != 0) { hg_test_failures++; \
    fprintf(stderr, "%s:%d: %s differs from %s\n", __FILE__, __LINE__, #a, #b); } } while (0)

#define TEST_DONE() (printf("%d checks, %d failed\n", hg_test_checks, hg_test_failures), \
                     hg_test_failures ? 1 : 0)

#endif

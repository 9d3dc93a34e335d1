/* test_utf8.c — cuts that never split a UTF-8 character: the prefix
 * length, and snprintf's truncation, on Japanese, Korean, emoji and ASCII. */
#include <stdarg.h>
#include <string.h>

#include "common/json.h"
#include "common/utf8.h"
#include "test.h"

/* "あ" (3 bytes), "한" (3), "😀" (4), "é" (2) */
#define JA "\xe3\x81\x82"
#define KO "\xed\x95\x9c"
#define EMOJI "\xf0\x9f\x98\x80"
#define E_ACUTE "\xc3\xa9"

static void test_cut(void)
{
    const char *s = "a" JA KO EMOJI E_ACUTE;   /* bytes: 1, 3, 3, 4, 2 = 13 */
    static const size_t want[14] = { 0, 1, 1, 1, 4, 4, 4, 7, 7, 7, 7, 11, 11, 13 };
    for (size_t n = 0; n <= 13; n++)
        CHECK_INT(hg_utf8_cut(s, n), want[n]);
    CHECK_INT(hg_utf8_cut("", 0), 0);
    CHECK_INT(hg_utf8_cut("abc", 3), 3);
    CHECK_INT(hg_utf8_cut(JA, 2), 0);          /* nothing whole is left */
    /* invalid bytes are kept, not repaired: a stray continuation byte after
     * ASCII, and a lead byte followed by ASCII */
    CHECK_INT(hg_utf8_cut("a\x80", 2), 2);
    CHECK_INT(hg_utf8_cut("\x80\x80\x80\x80", 4), 4);
    CHECK_INT(hg_utf8_cut("\xe3" "a", 2), 2);
}

static void test_snprintf(void)
{
    char out[8];
    /* fits: as snprintf */
    CHECK_INT(hg_utf8_snprintf(out, sizeof out, "%s", JA JA), 6);
    CHECK_STR(out, JA JA);
    /* 3 characters of 3 bytes in 7 bytes of text: snprintf would keep a
     * lead byte of the third */
    CHECK_INT(hg_utf8_snprintf(out, sizeof out, "%s", JA KO JA), 9);
    CHECK_STR(out, JA KO);
    CHECK_INT(hg_utf8_snprintf(out, sizeof out, "x%s", EMOJI EMOJI), 9);
    CHECK_STR(out, "x" EMOJI);
    CHECK_INT(hg_utf8_snprintf(out, sizeof out, "%s", "abcdefghij"), 10);
    CHECK_STR(out, "abcdefg");
    CHECK_INT(hg_utf8_snprintf(out, 1, "%s", JA), 3);
    CHECK_STR(out, "");
    /* every cut of a long Japanese file name stays valid UTF-8 */
    char name[600] = "";
    for (int i = 0; i < 150; i++)
        strcat(name, i % 3 ? JA : (i % 2 ? KO : EMOJI E_ACUTE));
    for (size_t size = 1; size < 200; size++) {
        char buf[200];
        int n = hg_utf8_snprintf(buf, size, ":x: ERROR: %s is broken", name);
        CHECK(n > 0 && (size_t)n >= size);
        CHECK(hg_json_utf8_check(buf, strlen(buf)) == NULL);
        CHECK(strlen(buf) + 4 > size - 1);   /* only the split character is dropped */
    }
}

int main(void)
{
    test_cut();
    test_snprintf();
    return TEST_DONE();
}

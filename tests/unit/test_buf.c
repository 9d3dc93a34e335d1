/* test_buf.c — the capped buffer: appends, caps, printf, JSON escaping, steal. */
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "test.h"

int main(void)
{
    struct hg_buf b;
    hg_buf_init(&b, 10);
    CHECK(b.data == NULL);
    CHECK_INT(b.len, 0);
    CHECK_INT(hg_buf_append(&b, "hello", 5), 0);
    CHECK_STR(b.data, "hello");
    CHECK_INT(hg_buf_append_str(&b, "world"), 0);
    CHECK_INT(b.len, 10);
    CHECK_STR(b.data, "helloworld");
    /* the cap: one more byte fails and leaves the buffer unchanged */
    CHECK_INT(hg_buf_append(&b, "!", 1), -1);
    CHECK_INT(b.len, 10);
    CHECK_STR(b.data, "helloworld");
    CHECK_INT(hg_buf_appendf(&b, "%d", 1), -1);
    CHECK_STR(b.data, "helloworld");
    /* zero-length append always fits */
    CHECK_INT(hg_buf_append(&b, "", 0), 0);
    hg_buf_reset(&b);
    CHECK_INT(b.len, 0);
    CHECK_STR(b.data, "");
    CHECK_INT(hg_buf_appendf(&b, "%s-%03d", "ab", 7), 0);
    CHECK_STR(b.data, "ab-007");
    /* an appendf that would pass the cap fails without changing anything */
    CHECK_INT(hg_buf_appendf(&b, "%s", "12345"), -1);
    CHECK_STR(b.data, "ab-007");
    hg_buf_cleanup(&b);
    CHECK(b.data == NULL);
    hg_buf_cleanup(&b); /* twice is safe */

    /* huge sizes never wrap */
    hg_buf_init(&b, 100);
    CHECK_INT(hg_buf_append(&b, "x", (size_t)-1), -1);
    hg_buf_cleanup(&b);

    /* long printf output takes the slow path */
    hg_buf_init(&b, 4096);
    char big[1000];
    memset(big, 'q', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    CHECK_INT(hg_buf_appendf(&b, "<%s>", big), 0);
    CHECK_INT(b.len, 1001);
    CHECK(b.data[0] == '<' && b.data[1000] == '>' && b.data[1001] == '\0');
    hg_buf_cleanup(&b);

    /* JSON escaping */
    hg_buf_init(&b, 256);
    const char raw[] = "a\"b\\c\n\r\t\b\f\x01\x1f\x7f/\xc3\xa9";
    CHECK_INT(hg_buf_append_json_str(&b, raw, sizeof raw - 1), 0);
    CHECK_STR(b.data, "a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0001\\u001f\\u007f/\xc3\xa9");
    hg_buf_reset(&b);
    CHECK_INT(hg_buf_append_json_str(&b, "x\0y", 3), 0);
    CHECK_STR(b.data, "x\\u0000y");
    hg_buf_cleanup(&b);
    /* escaping that does not fit fails atomically */
    hg_buf_init(&b, 8);
    CHECK_INT(hg_buf_append(&b, "ab", 2), 0);
    CHECK_INT(hg_buf_append_json_str(&b, "\"\"\"\"", 4), -1);
    CHECK_INT(b.len, 2);
    CHECK_STR(b.data, "ab");

    /* steal */
    size_t len = 99;
    char *s = hg_buf_steal(&b, &len);
    CHECK_STR(s, "ab");
    CHECK_INT(len, 2);
    CHECK(b.data == NULL);
    CHECK_INT(b.len, 0);
    free(s);
    s = hg_buf_steal(&b, &len);
    CHECK(s == NULL);
    CHECK_INT(len, 0);
    /* reusable after steal */
    CHECK_INT(hg_buf_append_str(&b, "again"), 0);
    CHECK_STR(b.data, "again");
    hg_buf_cleanup(&b);

    /* a zeroed buffer can be cleaned */
    struct hg_buf z;
    memset(&z, 0, sizeof z);
    hg_buf_cleanup(&z);
    return TEST_DONE();
}

/* test_clock.c — RFC 3339 formatting, monotonic time, UUIDv7 layout and order. */
#include <string.h>

#include "common/clock.h"
#include "test.h"

static int hexdig(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

int main(void)
{
    char ts[25];
    hg_clock_rfc3339_ms(0, ts);
    CHECK_STR(ts, "1970-01-01T00:00:00.000Z");
    hg_clock_rfc3339_ms(1531420618123, ts);
    CHECK_STR(ts, "2018-07-12T18:36:58.123Z");
    hg_clock_rfc3339_ms(951782400005, ts); /* leap day 2000 */
    CHECK_STR(ts, "2000-02-29T00:00:00.005Z");
    hg_clock_rfc3339_ms(-1, ts);
    CHECK_STR(ts, "1969-12-31T23:59:59.999Z");
    hg_clock_rfc3339_ms(253402300799999, ts);
    CHECK_STR(ts, "9999-12-31T23:59:59.999Z");
    CHECK_INT(strlen(ts), 24);

    int64_t now = hg_clock_now_ms();
    CHECK(now > 1700000000000LL);
    int64_t m1 = hg_clock_mono_us();
    int64_t m2 = hg_clock_mono_us();
    CHECK(m2 >= m1);

    char a[37], b[37];
    CHECK_INT(hg_uuid7(a), 0);
    CHECK_INT(strlen(a), 36);
    int shape = 1;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23)
            shape &= a[i] == '-';
        else
            shape &= hexdig(a[i]);
    }
    CHECK(shape);
    CHECK(a[14] == '7');                       /* version 7 */
    CHECK(strchr("89ab", a[19]) != NULL);      /* variant 10 */
    /* the first 48 bits are the current Unix time in ms */
    char hex12[13];
    memcpy(hex12, a, 8);
    memcpy(hex12 + 8, a + 9, 4);
    hex12[12] = '\0';
    long long ms = 0;
    for (int i = 0; i < 12; i++)
        ms = ms * 16 + (hex12[i] <= '9' ? hex12[i] - '0' : hex12[i] - 'a' + 10);
    int64_t after = hg_clock_now_ms();
    CHECK(ms >= now && ms <= after);
    /* two ids differ */
    CHECK_INT(hg_uuid7(b), 0);
    CHECK(strcmp(a, b) != 0);
    return TEST_DONE();
}

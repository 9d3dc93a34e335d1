/* test_clock.c — unit tests for the AWS signing clock (common/aws/clock.c):
 * HTTP Date parsing, the ±24 h cap, garbage and missing dates, which codes
 * count as clock skew, and the offset hg_aws_clock_now() adds. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/aws/clock.h"
#include "tests/unit/test.h"

static void fmt_date(int64_t t, char out[64])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 64, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

static void test_skew_from_date(void)
{
    int64_t skew = 12345;
    /* Sun, 06 Nov 1994 08:49:37 GMT = 784111777 (RFC 9110's example), and
     * its obsolete RFC 850 and asctime forms. */
    CHECK_INT(hg_aws_clock_skew_from_date("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 - 1200, &skew), 0);
    CHECK_INT(skew, 1200);
    CHECK_INT(hg_aws_clock_skew_from_date("Sunday, 06-Nov-94 08:49:37 GMT", 784111777 + 60, &skew), 0);
    CHECK_INT(skew, -60);
    CHECK_INT(hg_aws_clock_skew_from_date("Sun Nov  6 08:49:37 1994", 784111777, &skew), 0);
    CHECK_INT(skew, 0);
    /* The cap: 24 h either way is believed, a second more is not. */
    CHECK_INT(hg_aws_clock_skew_from_date("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 - 86400, &skew), 0);
    CHECK_INT(skew, 86400);
    CHECK_INT(hg_aws_clock_skew_from_date("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 + 86400, &skew), 0);
    CHECK_INT(skew, -86400);
    skew = 7;
    CHECK_INT(hg_aws_clock_skew_from_date("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 - 86401, &skew), -1);
    CHECK_INT(hg_aws_clock_skew_from_date("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 + 86401, &skew), -1);
    /* Garbage and nothing. */
    CHECK_INT(hg_aws_clock_skew_from_date(NULL, 784111777, &skew), -1);
    CHECK_INT(hg_aws_clock_skew_from_date("", 784111777, &skew), -1);
    CHECK_INT(hg_aws_clock_skew_from_date("not a date", 784111777, &skew), -1);
    CHECK_INT(hg_aws_clock_skew_from_date("\x01\xff", 784111777, &skew), -1);
    CHECK_INT(skew, 7);   /* untouched on failure */
}

static void test_codes(void)
{
    CHECK(hg_aws_clock_is_skew_code("RequestTimeTooSkewed"));
    CHECK(hg_aws_clock_is_skew_code("RequestExpired"));
    CHECK(hg_aws_clock_is_skew_code("InvalidSignatureException"));
    CHECK(hg_aws_clock_is_skew_code("RequestInTheFuture"));
    CHECK(!hg_aws_clock_is_skew_code("SignatureDoesNotMatch"));
    CHECK(!hg_aws_clock_is_skew_code("ExpiredToken"));
    CHECK(!hg_aws_clock_is_skew_code(""));
    CHECK(!hg_aws_clock_is_skew_code(NULL));
}

static void test_observe(void)
{
    char d[64];
    hg_aws_clock_set_skew(0);
    CHECK_INT(hg_aws_clock_skew(), 0);
    /* Not a skew code: the Date is ignored. */
    fmt_date((int64_t)time(NULL) + 1200, d);
    CHECK(!hg_aws_clock_observe("AccessDenied", d));
    CHECK_INT(hg_aws_clock_skew(), 0);
    /* A skew code with a Date 20 min ahead: kept, and now follows it. */
    CHECK(hg_aws_clock_observe("RequestTimeTooSkewed", d));
    CHECK(hg_aws_clock_skew() >= 1199 && hg_aws_clock_skew() <= 1201);
    int64_t n = hg_aws_clock_now() - (int64_t)time(NULL);
    CHECK(n >= 1198 && n <= 1201);
    /* Within a few seconds of the kept offset: no change (and no log). */
    fmt_date((int64_t)time(NULL) + 1202, d);
    CHECK(!hg_aws_clock_observe("RequestTimeTooSkewed", d));
    /* Garbage, missing, beyond the cap: the offset stays. */
    CHECK(!hg_aws_clock_observe("RequestTimeTooSkewed", "garbage"));
    CHECK(!hg_aws_clock_observe("RequestTimeTooSkewed", NULL));
    fmt_date((int64_t)time(NULL) + 2 * 86400, d);
    CHECK(!hg_aws_clock_observe("RequestExpired", d));
    CHECK(hg_aws_clock_skew() >= 1199 && hg_aws_clock_skew() <= 1201);
    /* The clock was fixed (server ≈ local): the offset goes back to ~0. */
    fmt_date((int64_t)time(NULL), d);
    CHECK(hg_aws_clock_observe("InvalidSignatureException", d));
    CHECK(hg_aws_clock_skew() >= -1 && hg_aws_clock_skew() <= 1);
    /* Behind. */
    fmt_date((int64_t)time(NULL) - 3600, d);
    CHECK(hg_aws_clock_observe("RequestExpired", d));
    CHECK(hg_aws_clock_skew() >= -3601 && hg_aws_clock_skew() <= -3599);
    hg_aws_clock_set_skew(0);
    CHECK(!hg_aws_clock_observe_response(NULL, "RequestTimeTooSkewed"));
}

int main(void)
{
    test_skew_from_date();
    test_codes();
    test_observe();
    return TEST_DONE();
}

/* clock.c — clock-skew correction for AWS signing: the server's time comes
 * from the HTTP Date header of a clock-skew error, the offset is kept in
 * one atomic for all threads, and every signer asks hg_aws_clock_now().
 * https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html (RequestTimeTooSkewed) */
#include "common/aws/clock.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "common/log.h"

static _Atomic int_least64_t skew_s;

int64_t hg_aws_clock_now(void)
{
    return (int64_t)time(NULL) + (int64_t)atomic_load_explicit(&skew_s, memory_order_relaxed);
}

int64_t hg_aws_clock_skew(void)
{
    return (int64_t)atomic_load_explicit(&skew_s, memory_order_relaxed);
}

void hg_aws_clock_set_skew(int64_t skew)
{
    atomic_store_explicit(&skew_s, (int_least64_t)skew, memory_order_relaxed);
}

bool hg_aws_clock_is_skew_code(const char *code)
{
    static const char *const codes[] = {
        "RequestTimeTooSkewed", "RequestExpired", "InvalidSignatureException",
        "RequestInTheFuture", NULL,
    };
    for (size_t i = 0; code && codes[i]; i++)
        if (strcmp(code, codes[i]) == 0)
            return true;
    return false;
}

int hg_aws_clock_skew_from_date(const char *date, int64_t local_now, int64_t *skew)
{
    if (!date || !*date)
        return -1;
    time_t t = curl_getdate(date, NULL);
    if (t == (time_t)-1)
        return -1;
    int64_t d = (int64_t)t - local_now;
    if (d > HG_AWS_CLOCK_SKEW_MAX_S || d < -HG_AWS_CLOCK_SKEW_MAX_S)
        return -1;
    *skew = d;
    return 0;
}

bool hg_aws_clock_observe(const char *code, const char *date)
{
    int64_t want;
    if (!hg_aws_clock_is_skew_code(code) ||
        hg_aws_clock_skew_from_date(date, (int64_t)time(NULL), &want) != 0)
        return false;
    int_least64_t old = atomic_load_explicit(&skew_s, memory_order_relaxed);
    do {
        int64_t diff = want - (int64_t)old;
        if (diff <= HG_AWS_CLOCK_SKEW_MIN_S && diff >= -HG_AWS_CLOCK_SKEW_MIN_S)
            return false;   /* already signing on the server's clock */
    } while (!atomic_compare_exchange_weak_explicit(&skew_s, &old, (int_least64_t)want,
                                                    memory_order_relaxed, memory_order_relaxed));
    char was[24], now[24];
    snprintf(was, sizeof was, "%lld", (long long)old);
    snprintf(now, sizeof now, "%lld", (long long)want);
    hg_log_warn("aws_clock_skew", "code", code, "skew_s", now, "previous_skew_s", was,
                "detail", "the local clock differs from AWS's; signing with local time + skew_s");
    return true;
}

bool hg_aws_clock_observe_response(const struct hg_http_response *resp, const char *code)
{
    if (!resp || !hg_aws_clock_is_skew_code(code))
        return false;
    return hg_aws_clock_observe(code, hg_http_response_header(resp, "Date"));
}

/* clock.h — the one process-wide clock every AWS signature uses: the local
 * time plus a skew offset learned from AWS's clock-skew errors (the SDKs'
 * clock-skew correction). Thread-safe; no state to own or free. */
#ifndef HG_AWS_CLOCK_H
#define HG_AWS_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "common/http_client.h"

/* Offsets larger than this are not believed (a broken Date header). */
#define HG_AWS_CLOCK_SKEW_MAX_S (24 * 3600)
/* A server clock within this of ours changes nothing. */
#define HG_AWS_CLOCK_SKEW_MIN_S 4

/* Unix seconds to sign with: time(NULL) + the learned offset. */
int64_t hg_aws_clock_now(void);
/* The learned offset, server − local, in seconds (0 until one is seen). */
int64_t hg_aws_clock_skew(void);

/* True for the error codes meaning "your request's time is too far from
 * ours": RequestTimeTooSkewed (S3), RequestExpired, InvalidSignatureException
 * (Signature expired), RequestInTheFuture. */
bool hg_aws_clock_is_skew_code(const char *code);

/* server − local_now for an HTTP date (curl_getdate: RFC 1123 and the
 * others HTTP allows) into *skew. Returns 0, or -1 for NULL, garbage or
 * an offset beyond ±HG_AWS_CLOCK_SKEW_MAX_S (*skew untouched). */
int hg_aws_clock_skew_from_date(const char *date, int64_t local_now, int64_t *skew);

/* On a clock-skew code, take the server's time from date and keep
 * server − local as the offset when it differs from the current one by
 * more than HG_AWS_CLOCK_SKEW_MIN_S; logs one warn line "aws_clock_skew"
 * when it changes. Returns true when the offset changed. Other codes, a
 * missing or unbelievable date: false, nothing kept. */
bool hg_aws_clock_observe(const char *code, const char *date);
/* hg_aws_clock_observe with the response's Date header. */
bool hg_aws_clock_observe_response(const struct hg_http_response *resp, const char *code);

/* Tests only: set the offset (no log line). */
void hg_aws_clock_set_skew(int64_t skew);

#endif

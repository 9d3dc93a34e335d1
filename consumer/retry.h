/* retry.h — how a pipeline step ended (ok, transient, permanent), the
 * classification of HTTP and Slack outcomes, and the retry decision of the
 * worker (the backoff itself is hg_retry_backoff_ms, full jitter). */
#ifndef HGC_RETRY_H
#define HGC_RETRY_H

#include <stdbool.h>
#include <stdint.h>

#include "common/http_client.h"

enum hgc_class {
    HGC_OK = 0,         /* done; go on */
    HGC_TRANSIENT,      /* may succeed later: retry with backoff, then DLQ */
    HGC_PERMANENT,      /* will never succeed: report once */
};

/* What went wrong in a step, for logs, the DLQ headers and the decision to
 * retry. No secrets, tokens or file contents in code or detail. */
struct hgc_err {
    enum hgc_class cls;
    long retry_after_ms;   /* a server's Retry-After, 0 when none */
    char code[64];         /* stable token: "slack_invalid_auth", "s3_put_http_503", ... */
    char detail[512];      /* one line for logs */
};

/* Set e (cls, code, printf-style detail; a detail too long for e->detail
 * is cut where a UTF-8 character starts: it may become an ERROR's text).
 * Returns -1 so callers can `return hgc_err_set(...)`. */
int hgc_err_set(struct hgc_err *e, enum hgc_class cls, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void hgc_err_clear(struct hgc_err *e);

/* "ok", "transient", "permanent". */
const char *hgc_class_name(enum hgc_class c);

/* Transport result + HTTP status → class: connection errors, timeouts,
 * truncated responses and send errors, 408, 425, 429 and 5xx are
 * TRANSIENT; other 4xx and TLS errors, oversize responses and aborted
 * transfers PERMANENT; 2xx OK. */
enum hgc_class hgc_retry_classify_http(enum hg_http_result r, long status);

/* A Slack Web API error code ({"ok":false,"error":CODE}) → class:
 * ratelimited, internal_error, fatal_error, service_unavailable,
 * request_timeout, timeout are TRANSIENT; everything else (invalid_auth,
 * file_not_found, channel_not_found, ...) PERMANENT.
 * https://api.slack.com/docs/rate-limits */
enum hgc_class hgc_retry_classify_slack(const char *error);

/* True when an attempt may follow `attempts` failed ones. */
bool hgc_retry_again(const struct hg_retry_policy *p, int attempts);

/* A record backing off at `offset` was passed by the fetch: a later offset
 * of its partition came first. What the worker does, from the partition's
 * low watermark `lo` (lo_known false when it could not be read) and how
 * often it has already rewound the partition to the record for this:
 * - LOST: retention deleted it (lo is past it);
 * - REWIND: the rewind did not take effect (a failed seek): again;
 * - MISSING: rewound HGC_RETRY_MAX_REWINDS times and each time a later
 *   offset came, though lo is not past it: the partition no longer holds
 *   it (a compacted topic's gap); rewinding more would stall the partition
 *   for good, so it is given up like a lost one. */
enum hgc_passed { HGC_PASSED_LOST, HGC_PASSED_REWIND, HGC_PASSED_MISSING };
#define HGC_RETRY_MAX_REWINDS 5
enum hgc_passed hgc_retry_passed(bool lo_known, int64_t lo, int64_t offset, int rewinds);

/* A record resumed after its backoff has not come back for a while. From
 * the partition's consumer position `pos` (pos_known false when it could
 * not be read): true when the position is past the record, i.e. the
 * rewind did not take effect (a failed seek) and no later message came to
 * show it (the record was the partition's last); the worker then rewinds
 * again. A position at the record means the fetch is only slow. */
#define HGC_RETRY_STUCK_CHECK_MS 5000
bool hgc_retry_stuck(bool pos_known, int64_t pos, int64_t offset);

#endif

/* retry.c — outcome classes of pipeline steps. */
#include "consumer/retry.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/utf8.h"

int hgc_err_set(struct hgc_err *e, enum hgc_class cls, const char *code, const char *fmt, ...)
{
    va_list ap;
    e->cls = cls;
    snprintf(e->code, sizeof e->code, "%s", code);
    va_start(ap, fmt);
    hg_utf8_vsnprintf(e->detail, sizeof e->detail, fmt, ap);   /* may be an ERROR's text */
    va_end(ap);
    return -1;
}

void hgc_err_clear(struct hgc_err *e)
{
    memset(e, 0, sizeof *e);
}

const char *hgc_class_name(enum hgc_class c)
{
    switch (c) {
    case HGC_OK:        return "ok";
    case HGC_TRANSIENT: return "transient";
    case HGC_PERMANENT: return "permanent";
    }
    return "unknown";
}

enum hgc_class hgc_retry_classify_http(enum hg_http_result r, long status)
{
    switch (r) {
    case HG_HTTP_OK:
        break;
    case HG_HTTP_ERR_CONNECT:
    case HG_HTTP_ERR_TIMEOUT:
    case HG_HTTP_ERR_TRUNCATED:
    case HG_HTTP_ERR_SEND:
    case HG_HTTP_ERR_HANDSHAKE:
        return HGC_TRANSIENT;
    default:
        return HGC_PERMANENT;
    }
    if (status >= 200 && status < 300)
        return HGC_OK;
    if (status == 408 || status == 425 || status == 429 || status >= 500)
        return HGC_TRANSIENT;
    return HGC_PERMANENT;
}

enum hgc_class hgc_retry_classify_slack(const char *error)
{
    static const char *const transient[] = {
        "ratelimited", "rate_limited",   /* chat.postMessage documents both */
        "internal_error", "fatal_error", "service_unavailable", "request_timeout", "timeout",
    };
    if (!error)
        return HGC_PERMANENT;
    for (size_t i = 0; i < sizeof transient / sizeof transient[0]; i++)
        if (!strcmp(error, transient[i]))
            return HGC_TRANSIENT;
    return HGC_PERMANENT;
}

bool hgc_retry_again(const struct hg_retry_policy *p, int attempts)
{
    return attempts < p->max_attempts;
}

enum hgc_passed hgc_retry_passed(bool lo_known, int64_t lo, int64_t offset, int rewinds)
{
    if (lo_known && lo > offset)
        return HGC_PASSED_LOST;
    return rewinds < HGC_RETRY_MAX_REWINDS ? HGC_PASSED_REWIND : HGC_PASSED_MISSING;
}

bool hgc_retry_stuck(bool pos_known, int64_t pos, int64_t offset)
{
    return pos_known && pos >= 0 && pos > offset;
}

/* call.c — plumbing shared by the signed AWS clients: endpoints, regions,
 * transport errors, retry log lines. */
#include "common/aws/call.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"

int hg_aws_endpoint_parse(const char *url, struct hg_aws_endpoint *ep)
{
    memset(ep, 0, sizeof *ep);
    const char *p = url ? strstr(url, "://") : NULL;
    if (!p)
        return -1;
    size_t sl = (size_t)(p - url);
    if (!((sl == 4 && strncasecmp(url, "http", 4) == 0) || (sl == 5 && strncasecmp(url, "https", 5) == 0)))
        return -1;
    const char *h = p + 3;
    size_t hl = strcspn(h, "/?#");
    if (hl == 0 || memchr(h, '@', hl) || strpbrk(h + hl, "?#"))
        return -1;
    const char *path = h + hl;
    size_t pl = strlen(path);
    while (pl && path[pl - 1] == '/')
        pl--;
    ep->scheme = strndup(url, sl);
    ep->host = strndup(h, hl);
    ep->path = strndup(path, pl);
    if (!ep->scheme || !ep->host || !ep->path) {
        hg_aws_endpoint_cleanup(ep);
        return -1;
    }
    for (char *c = ep->scheme; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    size_t L = strlen(ep->host);
    if (strcmp(ep->scheme, "http") == 0 && L > 3 && strcmp(ep->host + L - 3, ":80") == 0)
        ep->host[L - 3] = '\0';
    if (strcmp(ep->scheme, "https") == 0 && L > 4 && strcmp(ep->host + L - 4, ":443") == 0)
        ep->host[L - 4] = '\0';
    return 0;
}

void hg_aws_endpoint_cleanup(struct hg_aws_endpoint *ep)
{
    if (!ep)
        return;
    free(ep->scheme);
    free(ep->host);
    free(ep->path);
    memset(ep, 0, sizeof *ep);
}

bool hg_aws_region_ok(const char *region)
{
    size_t n = region ? strlen(region) : 0;
    return n > 0 && n < HG_AWS_REGION_MAX &&
           strspn(region, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

void hg_aws_error_from_http(enum hg_http_result r, const char *msg, struct hg_aws_error *err)
{
    enum hg_aws_err_class cls = HG_AWS_PERMANENT;
    const char *code;
    switch (r) {
    case HG_HTTP_ERR_CONNECT: cls = HG_AWS_RETRYABLE; code = "Connect"; break;
    case HG_HTTP_ERR_TIMEOUT: cls = HG_AWS_RETRYABLE; code = "Timeout"; break;
    case HG_HTTP_ERR_TRUNCATED:
    case HG_HTTP_ERR_SEND: cls = HG_AWS_RETRYABLE; code = "Truncated"; break;
    case HG_HTTP_ERR_TOO_LARGE: code = "ResponseTooLarge"; break;
    case HG_HTTP_ERR_ABORTED: code = "StreamAborted"; break;
    case HG_HTTP_ERR_TLS: code = "TLS"; break;
    case HG_HTTP_ERR_HANDSHAKE: cls = HG_AWS_RETRYABLE; code = "TLSHandshake"; break;
    default: code = "HttpClient"; break;
    }
    hg_aws_error_set(err, cls, 0, code, msg);
}

void hg_aws_log_retry(const char *service, const char *op, const struct hg_aws_error *e,
                      int attempt, long delay_ms)
{
    char a[16], d[24], st[16];
    snprintf(a, sizeof a, "%d", attempt);
    snprintf(d, sizeof d, "%ld", delay_ms);
    snprintf(st, sizeof st, "%ld", e->status);
    hg_log_warn("aws_retry", "service", service, "op", op, "code", e->code, "status", st,
                "attempt", a, "delay_ms", d);
}

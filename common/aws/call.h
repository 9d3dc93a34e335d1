/* call.h — plumbing shared by the signed AWS clients (S3, Glue): endpoint
 * URLs, region names, transport-error mapping, retry log lines. */
#ifndef HG_AWS_CALL_H
#define HG_AWS_CALL_H

#include <stdbool.h>

#include "common/aws/error.h"
#include "common/http_client.h"

/* A parsed "scheme://host[:port][/path]". Heap strings owned by the struct. */
struct hg_aws_endpoint {
    char *scheme;   /* "http" | "https" (lower case) */
    char *host;     /* host[:port], default port dropped (curl's Host header
                       leaves it out, so the signature must too) */
    char *path;     /* prefix without trailing '/'; "" for none */
};

/* Parse url. Rejects other schemes, user info, an empty host, a query or a
 * fragment. Returns 0 (free with hg_aws_endpoint_cleanup), or -1 (out of
 * memory or malformed; *ep then holds nothing). */
int hg_aws_endpoint_parse(const char *url, struct hg_aws_endpoint *ep);
void hg_aws_endpoint_cleanup(struct hg_aws_endpoint *ep);

/* True for a plausible region name: 1..HG_AWS_REGION_MAX-1 of [a-z0-9-]. */
bool hg_aws_region_ok(const char *region);

/* Fill err for a request that got no HTTP response: connect, timeout and
 * truncated/send errors are retryable ("Connect", "Timeout", "Truncated");
 * the rest permanent ("ResponseTooLarge", "StreamAborted", "TLS",
 * "HttpClient"). msg is the client's secret-free text. */
void hg_aws_error_from_http(enum hg_http_result r, const char *msg, struct hg_aws_error *err);

/* One warn line "aws_retry" with service, op, code, status, attempt and the
 * delay (never headers, URLs' queries or bodies). */
void hg_aws_log_retry(const char *service, const char *op, const struct hg_aws_error *e,
                      int attempt, long delay_ms);

#endif

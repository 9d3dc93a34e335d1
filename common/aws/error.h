/* error.h — AWS call outcomes: retryable or permanent, with the service's
 * error code and message (S3 XML, Glue/STS JSON or XML, transport errors). */
#ifndef HG_AWS_ERROR_H
#define HG_AWS_ERROR_H

#include <stdbool.h>
#include <stddef.h>

#include "common/limits.h"

enum hg_aws_err_class {
    HG_AWS_OK = 0,
    HG_AWS_RETRYABLE,   /* may succeed later: 5xx, throttling, timeouts, expired creds */
    HG_AWS_PERMANENT,   /* will not succeed as asked: 4xx like AccessDenied, NoSuchBucket */
};

/* Filled by every AWS call that fails. Never holds secrets, signatures or
 * tokens; message is the service's own text (or ours for transport and
 * credential errors). */
struct hg_aws_error {
    enum hg_aws_err_class cls;
    long status;                           /* HTTP status, 0 when none arrived */
    char code[HG_AWS_ERR_CODE_MAX];        /* "SlowDown", "EntityNotFoundException",
                                              "Timeout", "Connect", "Credentials", ... */
    char message[HG_AWS_ERR_MSG_MAX];
    char request_id[128];                  /* x-amz-request-id / x-amzn-RequestId, "" if none */
};

/* Reset to HG_AWS_OK with empty strings. */
void hg_aws_error_clear(struct hg_aws_error *e);
/* Set every field (code/message truncated to fit; NULL = ""). */
void hg_aws_error_set(struct hg_aws_error *e, enum hg_aws_err_class cls, long status,
                      const char *code, const char *message);

/* Copy src into dst[size] (size > 0), cut if need be in whole UTF-8
 * characters: AWS messages go into logs, DLQ headers and Slack texts. */
void hg_aws_text_copy(char *dst, size_t size, const char *src);
/* "retryable" | "permanent" | "ok". */
const char *hg_aws_err_class_str(enum hg_aws_err_class c);

/* Classify an S3 error (protocols.md §7): retryable for 5xx, 408, 429,
 * RequestTimeout, SlowDown, ServiceUnavailable, InternalError,
 * ExpiredToken/TokenRefreshRequired (re-signed with fresh credentials),
 * RequestTimeTooSkewed (re-signed on AWS's clock, common/aws/clock.h),
 * ConditionalRequestConflict (409); permanent otherwise.
 * code may be NULL (HEAD responses have no body). A 2xx status (a 200
 * whose body is an <Error>, as CompleteMultipartUpload can send) classifies
 * by the code alone: retryable only for a retryable code. */
enum hg_aws_err_class hg_aws_s3_classify(long status, const char *code);
/* Classify a JSON-protocol error (Glue, protocols.md §8) by its normalised
 * code and status. */
enum hg_aws_err_class hg_aws_json_classify(long status, const char *code);

/* Normalise a JSON-protocol error type in place: strip any "ns#" prefix and
 * ":..." suffix ("aws.glue#EntityNotFoundException:http://..." ->
 * "EntityNotFoundException"). */
void hg_aws_error_code_normalise(char *code);

#endif

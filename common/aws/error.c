/* error.c — AWS error records and the retryable/permanent classification
 * of S3 (protocols.md §7) and JSON-protocol (Glue, §8) errors.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/ErrorBestPractices.html */
#include "common/aws/error.h"

#include <stdio.h>
#include <string.h>

void hg_aws_error_clear(struct hg_aws_error *e)
{
    if (!e)
        return;
    e->cls = HG_AWS_OK;
    e->status = 0;
    e->code[0] = '\0';
    e->message[0] = '\0';
    e->request_id[0] = '\0';
}

void hg_aws_error_set(struct hg_aws_error *e, enum hg_aws_err_class cls, long status,
                      const char *code, const char *message)
{
    if (!e)
        return;
    e->cls = cls;
    e->status = status;
    snprintf(e->code, sizeof e->code, "%s", code ? code : "");
    hg_aws_text_copy(e->message, sizeof e->message, message ? message : "");
}

void hg_aws_text_copy(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);
    if (n >= size) {
        n = size - 1;
        while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
            n--;   /* src[n], the first byte left out, continues a character */
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
}

const char *hg_aws_err_class_str(enum hg_aws_err_class c)
{
    switch (c) {
    case HG_AWS_OK: return "ok";
    case HG_AWS_RETRYABLE: return "retryable";
    case HG_AWS_PERMANENT: return "permanent";
    }
    return "permanent";
}

static bool in_list(const char *code, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(code, *list) == 0)
            return true;
    return false;
}

/* Codes meaning "sign again with fresh credentials / a fresh clock". */
static const char *const creds_codes[] = {
    "ExpiredToken", "ExpiredTokenException", "TokenRefreshRequired",
    "RequestTimeTooSkewed", "RequestExpired", "InvalidSignatureException", NULL,
};

enum hg_aws_err_class hg_aws_s3_classify(long status, const char *code)
{
    static const char *const retry[] = {
        "RequestTimeout", "SlowDown", "ServiceUnavailable", "InternalError",
        "Throttling", "ThrottlingException", "RequestLimitExceeded",
        "ConditionalRequestConflict", "OperationAborted", NULL,
    };
    if (code && *code) {
        if (in_list(code, retry) || in_list(code, creds_codes))
            return HG_AWS_RETRYABLE;
    }
    if (status >= 500 || status == 408 || status == 429 || status == 0)
        return HG_AWS_RETRYABLE;
    return HG_AWS_PERMANENT;
}

/* ResourceNumberLimitExceededException (400) is one of StartJobRun's
 * modeled errors (https://docs.aws.amazon.com/glue/latest/webapi/API_StartJobRun.html):
 * there it means an account limit on concurrent job runs or DPUs was
 * reached, which clears when other runs finish — retried, then
 * dead-lettered, not reported as a problem with the upload. */
enum hg_aws_err_class hg_aws_json_classify(long status, const char *code)
{
    static const char *const retry[] = {
        "ConcurrentRunsExceededException", "ResourceNumberLimitExceededException",
        "InternalServiceException",
        "OperationTimeoutException", "ThrottlingException", "Throttling",
        "TooManyRequestsException", "ServiceUnavailable", "ServiceUnavailableException",
        "RequestTimeout", "RequestTimeoutException", "InternalFailure", NULL,
    };
    if (code && *code) {
        if (in_list(code, retry) || in_list(code, creds_codes))
            return HG_AWS_RETRYABLE;
    }
    if (status >= 500 || status == 408 || status == 429 || status == 0)
        return HG_AWS_RETRYABLE;
    return HG_AWS_PERMANENT;
}

void hg_aws_error_code_normalise(char *code)
{
    if (!code)
        return;
    char *colon = strchr(code, ':');
    if (colon)
        *colon = '\0';
    char *hash = strrchr(code, '#');
    if (hash)
        memmove(code, hash + 1, strlen(hash + 1) + 1);
}

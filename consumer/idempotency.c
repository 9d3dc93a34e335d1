/* idempotency.c — create-once marker objects in S3. */
#include "consumer/idempotency.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/json.h"
#include "common/limits.h"

int hgc_idem_key(const char *prefix, const char *kind, const char *id, char *out, size_t out_size)
{
    if (!id || !*id || strlen(id) > HGC_SLACK_ID_MAX)
        return -1;
    for (const char *p = id; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' && *p != '-')
            return -1;
    int n = snprintf(out, out_size, "%s%s_hookgate/%s/%s.json", prefix, *prefix ? "/" : "", kind, id);
    return n < 0 || (size_t)n >= out_size ? -1 : 0;
}

int hgc_err_from_aws(struct hgc_err *e, const char *step, const struct hg_aws_error *ae)
{
    char code[96];
    snprintf(code, sizeof code, "%.20s_%.60s", step, ae->code[0] ? ae->code : "error");
    hgc_err_set(e, ae->cls == HG_AWS_RETRYABLE ? HGC_TRANSIENT : HGC_PERMANENT, code,
                "%s: HTTP %ld %s: %.300s", step, ae->status, ae->code, ae->message);
    return -1;
}

int hgc_idem_get(struct hg_s3 *s3, const char *bucket, const char *key, yajl_val *doc,
                 struct hgc_err *e)
{
    return hgc_idem_get_etag(s3, bucket, key, doc, NULL, e);
}

int hgc_idem_get_etag(struct hg_s3 *s3, const char *bucket, const char *key, yajl_val *doc,
                      char *etag, struct hgc_err *e)
{
    struct hg_buf b;
    struct hg_aws_error ae;
    struct hg_s3_object_info info;
    char errbuf[256];
    int rc = -1;
    *doc = NULL;
    if (etag)
        etag[0] = '\0';
    hg_buf_init(&b, HGC_MARKER_MAX);
    hg_aws_error_clear(&ae);
    int r = hg_s3_get(s3, bucket, key, &b, &info, &ae);
    if (r == 1) {
        rc = 1;
        goto out;
    }
    if (r != 0) {
        hgc_err_from_aws(e, "marker_get", &ae);
        goto out;
    }
    *doc = hg_json_parse(b.data ? b.data : "", b.len, errbuf, sizeof errbuf);
    if (!*doc) {
        hgc_err_set(e, HGC_PERMANENT, "marker_corrupt", "marker %s is not JSON: %s", key, errbuf);
        goto out;
    }
    if (etag)
        memcpy(etag, info.etag, sizeof info.etag);
    rc = 0;
out:
    hg_buf_cleanup(&b);
    return rc;
}

int hgc_idem_put(struct hg_s3 *s3, const char *bucket, const char *key, const char *json,
                 struct hgc_err *e)
{
    struct hg_aws_error ae;
    struct hg_s3_put_opts o = { .content_type = "application/json", .if_none_match = true };
    hg_aws_error_clear(&ae);
    int r = hg_s3_put(s3, bucket, key, json, strlen(json), &o, NULL, &ae);
    if (r < 0)
        return hgc_err_from_aws(e, "marker_put", &ae);
    return r;
}

int hgc_idem_replace(struct hg_s3 *s3, const char *bucket, const char *key, const char *json,
                     const char *etag, struct hgc_err *e)
{
    struct hg_aws_error ae;
    struct hg_s3_put_opts o = { .content_type = "application/json", .if_match = etag };
    hg_aws_error_clear(&ae);
    if (!etag || !*etag)   /* without one the PUT would overwrite whatever is there */
        return hgc_err_set(e, HGC_TRANSIENT, "marker_no_etag", "S3 sent marker %s without an ETag",
                           key);
    int r = hg_s3_put(s3, bucket, key, json, strlen(json), &o, NULL, &ae);
    if (r < 0)
        return hgc_err_from_aws(e, "marker_replace", &ae);
    return r;
}

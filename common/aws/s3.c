/* s3.c — S3 PutObject (single or multipart), HEAD, GET, DELETE and
 * ListObjectsV2 over the shared HTTP client, signed per attempt with SigV4
 * (protocols.md §6, §7).
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html */
#include "common/aws/s3.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>

#include "common/aws/call.h"
#include "common/aws/clock.h"
#include "common/aws/sigv4.h"
#include "common/aws/xml.h"
#include "common/log.h"

#define S3_MAX_REQ_HEADERS 40u

struct hg_s3 {
    char  *region;
    char  *scheme;        /* "https" | "http" */
    char  *host;          /* endpoint host[:port] (no default port), NULL = AWS */
    char  *base_path;     /* endpoint path prefix without trailing '/', "" */
    bool   path_style;
    struct hg_aws_creds_provider *creds;
    struct hg_http_client *http;
    long   timeout_ms;
    size_t part_size;
    size_t threshold;
    size_t list_page;
    struct hg_retry_policy retry;
};

struct hg_s3 *hg_s3_create(const struct hg_s3_config *cfg, char *errstr, size_t errstr_size)
{
    struct hg_s3 *s3 = calloc(1, sizeof *s3);
    if (!s3) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    if (!hg_aws_region_ok(cfg->region)) {
        snprintf(errstr, errstr_size, "s3: missing or bad region");
        goto fail;
    }
    if (!cfg->creds) {
        snprintf(errstr, errstr_size, "s3: no credentials provider");
        goto fail;
    }
    s3->region = strdup(cfg->region);
    if (cfg->endpoint && *cfg->endpoint) {
        struct hg_aws_endpoint ep;
        if (hg_aws_endpoint_parse(cfg->endpoint, &ep) != 0) {
            snprintf(errstr, errstr_size, "s3: bad endpoint URL (want http(s)://host[:port][/path])");
            goto fail;
        }
        s3->scheme = ep.scheme;
        s3->host = ep.host;
        s3->base_path = ep.path;
        s3->path_style = true;
    } else {
        s3->scheme = strdup("https");
        s3->base_path = strdup("");
        s3->path_style = cfg->path_style;
    }
    s3->creds = cfg->creds;
    s3->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : HG_HTTP_CLIENT_TIMEOUT_MS;
    s3->part_size = cfg->part_size ? cfg->part_size : HG_S3_PART_SIZE_DEFAULT;
    if (s3->part_size < HG_S3_PART_SIZE_MIN) {
        snprintf(errstr, errstr_size, "s3: part size below %u bytes", HG_S3_PART_SIZE_MIN);
        goto fail;
    }
    s3->threshold = cfg->multipart_threshold ? cfg->multipart_threshold : s3->part_size;
    if (s3->threshold > s3->part_size)
        s3->threshold = s3->part_size;
    s3->retry = cfg->retry;
    s3->list_page = cfg->list_page_keys && cfg->list_page_keys < HG_S3_LIST_PAGE_KEYS
                        ? cfg->list_page_keys : HG_S3_LIST_PAGE_KEYS;
    struct hg_http_client_opts o = { .timeout_ms = s3->timeout_ms, .ca_file = cfg->ca_file };
    s3->http = hg_http_client_create(&o, errstr, errstr_size);
    if (!s3->http)
        goto fail;
    if (!s3->region || !s3->scheme || !s3->base_path) {
        snprintf(errstr, errstr_size, "out of memory");
        goto fail;
    }
    return s3;
fail:
    hg_s3_destroy(s3);
    return NULL;
}

struct hg_s3 *hg_s3_create_from_env(char **envp, struct hg_aws_creds_provider *creds,
                                    long timeout_ms, char *errstr, size_t errstr_size)
{
    char region[HG_AWS_REGION_MAX];
    if (hg_aws_region_from_env(envp, region, sizeof region) != 0) {
        snprintf(errstr, errstr_size, "s3: no region: set AWS_REGION");
        return NULL;
    }
    const char *ep = hg_aws_getenv(envp, "AWS_ENDPOINT_URL_S3");
    if (!ep)
        ep = hg_aws_getenv(envp, "AWS_ENDPOINT_URL");
    struct hg_s3_config cfg = { .region = region, .endpoint = ep, .creds = creds,
                                .timeout_ms = timeout_ms };
    return hg_s3_create(&cfg, errstr, errstr_size);
}

void hg_s3_destroy(struct hg_s3 *s3)
{
    if (!s3)
        return;
    hg_http_client_destroy(s3->http);
    free(s3->region);
    free(s3->scheme);
    free(s3->host);
    free(s3->base_path);
    free(s3);
}

int hg_s3_parse_uri(const char *uri, char *bucket, size_t bucket_size,
                    char *key, size_t key_size)
{
    if (strncmp(uri, "s3://", 5) != 0)
        return -1;
    const char *b = uri + 5;
    size_t bl = strcspn(b, "/");
    if (bl == 0 || bl >= bucket_size || bl > 63)
        return -1;
    const char *k = b[bl] == '/' ? b + bl + 1 : b + bl;
    size_t kl = strlen(k);
    if (kl >= key_size || kl > HG_S3_KEY_MAX)
        return -1;
    memcpy(bucket, b, bl);
    bucket[bl] = '\0';
    memcpy(key, k, kl + 1);
    return 0;
}

static bool bucket_ok(const char *b)
{
    size_t n = strlen(b);
    if (n < 3 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)b[i];
        if (!(islower(c) || isdigit(c) || c == '-' || c == '.' || c == '_'))
            return false;
    }
    return true;
}

/* One S3 call's target, built per operation. */
struct s3_target {
    char host[512];
    struct hg_buf path;   /* encoded */
};

/* key NULL: the bucket itself (ListObjectsV2). */
static int target_build(struct hg_s3 *s3, const char *bucket, const char *key,
                        struct s3_target *t, struct hg_aws_error *err)
{
    hg_buf_init(&t->path, 4 * HG_S3_KEY_MAX + 512);
    if (!bucket_ok(bucket)) {
        hg_aws_error_set(err, HG_AWS_PERMANENT, 0, "InvalidBucketName", "bad bucket name");
        return -1;
    }
    if (key && (!*key || strlen(key) > HG_S3_KEY_MAX)) {
        hg_aws_error_set(err, HG_AWS_PERMANENT, 0, "KeyTooLongError", "empty or too long key");
        return -1;
    }
    /* Dotted buckets break the *.s3 wildcard certificate: path-style. */
    bool path_style = s3->path_style || strchr(bucket, '.');
    int rc = 0;
    if (s3->host)
        snprintf(t->host, sizeof t->host, "%s", s3->host);
    else if (path_style)
        snprintf(t->host, sizeof t->host, "s3.%s.amazonaws.com", s3->region);
    else
        snprintf(t->host, sizeof t->host, "%s.s3.%s.amazonaws.com", bucket, s3->region);
    rc |= hg_buf_append_str(&t->path, s3->base_path);
    if (path_style) {
        rc |= hg_buf_append(&t->path, "/", 1);
        rc |= hg_sigv4_uri_encode(&t->path, bucket, strlen(bucket), false);
    }
    if (key) {
        rc |= hg_buf_append(&t->path, "/", 1);
        rc |= hg_sigv4_uri_encode(&t->path, key, strlen(key), true);
    } else if (!path_style) {
        rc |= hg_buf_append(&t->path, "/", 1);   /* the bucket itself: "/" */
    }
    if (rc) {
        hg_aws_error_set(err, HG_AWS_PERMANENT, 0, "KeyTooLongError", "key too long");
        return -1;
    }
    return 0;
}

int hg_s3_url(struct hg_s3 *s3, const char *bucket, const char *key, struct hg_buf *out)
{
    struct s3_target t;
    struct hg_aws_error e;
    int rc = -1;
    if (target_build(s3, bucket, key, &t, &e) == 0 &&
        hg_buf_appendf(out, "%s://%s%s", s3->scheme, t.host, t.path.data) == 0)
        rc = 0;
    hg_buf_cleanup(&t.path);
    return rc;
}

/* Fill err from a non-2xx response (S3 XML error body, or the status for
 * bodiless responses). */
static void error_from_response(const struct hg_http_response *resp, struct hg_aws_error *err)
{
    char code[HG_AWS_ERR_CODE_MAX], msg[HG_AWS_ERR_MSG_MAX], root[64], xerr[128];
    struct hg_xml_field f[] = {
        { "Error/Code", code, sizeof code, false, false },
        { "Error/Message", msg, sizeof msg, false, true },
    };
    bool parsed = resp->body.len &&
                  hg_xml_extract(resp->body.data, resp->body.len, root, sizeof root, f, 2,
                                 xerr, sizeof xerr) == 0 && f[0].found && code[0];
    const char *hc = hg_http_response_header(resp, "x-amz-error-code");
    if (!parsed && hc && *hc) {
        /* S3-compatible servers (s3rver) also send the code as a header;
         * useful for HEAD and when their XML is not well-formed. */
        const char *hm = hg_http_response_header(resp, "x-amz-error-message");
        snprintf(code, sizeof code, "%s", hc);
        hg_aws_text_copy(msg, sizeof msg, hm ? hm : "");
    } else if (!parsed) {
        const char *c;
        switch (resp->status) {
        case 301: c = "PermanentRedirect"; break;
        case 304: c = "NotModified"; break;
        case 400: c = "BadRequest"; break;
        case 403: c = "Forbidden"; break;
        case 404: c = "NotFound"; break;
        case 409: c = "Conflict"; break;
        case 412: c = "PreconditionFailed"; break;
        case 500: c = "InternalError"; break;
        case 503: c = "ServiceUnavailable"; break;
        default: c = "HttpError"; break;
        }
        snprintf(code, sizeof code, "%s", c);
        snprintf(msg, sizeof msg, "HTTP %ld", resp->status);
    } else if (!f[1].found) {
        msg[0] = '\0';
    }
    hg_aws_error_set(err, hg_aws_s3_classify(resp->status, code), resp->status, code, msg);
    const char *rid = hg_http_response_header(resp, "x-amz-request-id");
    snprintf(err->request_id, sizeof err->request_id, "%s", rid ? rid : "");
}

static bool creds_error_code(const char *code)
{
    return strcmp(code, "ExpiredToken") == 0 || strcmp(code, "TokenRefreshRequired") == 0 ||
           strcmp(code, "InvalidToken") == 0 || strcmp(code, "ExpiredTokenException") == 0;
}

/* Buffered GET target with its own cap and a reset point for retries. */
struct getbuf {
    struct hg_buf *out;
    size_t start;
    bool too_large;
    bool delivered;
    hg_http_write_fn user_fn;
    void *user_ud;
};

static int getbuf_write(void *ud, const char *d, size_t n)
{
    struct getbuf *g = ud;
    g->delivered = true;
    if (g->user_fn)
        return g->user_fn(g->user_ud, d, n);
    if (hg_buf_append(g->out, d, n) != 0) {
        g->too_large = true;
        return -1;
    }
    return 0;
}

struct s3_call {
    const char *method;
    const char *query;                   /* encoded, NULL for none */
    const struct hg_http_header *headers;
    size_t nheaders;
    const void *body;
    size_t body_len;
    struct getbuf *sink;                 /* response body target, NULL = resp->body */
    size_t max_response;
    const char *final_code;              /* an error code returned at once, not retried
                                            here (its class is kept), or NULL */
};

/* Perform one S3 call with retries, re-signing each attempt. Returns 0 on a
 * 2xx response (resp filled), -1 with err (err->status = HTTP status when
 * one arrived; resp then holds it). */
static int s3_call(struct hg_s3 *s3, const struct s3_target *t, const struct s3_call *c,
                   struct hg_http_response *resp, struct hg_aws_error *err)
{
    struct hg_aws_creds *cr = calloc(1, sizeof *cr);
    struct hg_buf url;
    char payload[65];
    int max = s3->retry.max_attempts > 0 ? s3->retry.max_attempts : 4;
    bool token_retried = false;
    int rc = -1;

    hg_buf_init(&url, HG_AWS_URL_MAX + 4 * HG_S3_KEY_MAX + 3 * HG_S3_LIST_TOKEN_MAX);
    hg_aws_error_clear(err);
    if (!cr) {
        hg_aws_error_set(err, HG_AWS_RETRYABLE, 0, "OutOfMemory", "out of memory");
        goto out;
    }
    if (c->nheaders > S3_MAX_REQ_HEADERS - 5) {
        hg_aws_error_set(err, HG_AWS_PERMANENT, 0, "TooManyHeaders", "too many headers");
        goto out;
    }
    if (hg_buf_appendf(&url, "%s://%s%s%s%s", s3->scheme, t->host, t->path.data,
                       c->query ? "?" : "", c->query ? c->query : "") != 0) {
        hg_aws_error_set(err, HG_AWS_PERMANENT, 0, "KeyTooLongError", "URL too long");
        goto out;
    }
    hg_sigv4_sha256_hex(c->body, c->body ? c->body_len : 0, payload);

    for (int attempt = 1;; attempt++) {
        char cerr[512];
        long retry_after = 0;
        if (hg_aws_creds_get(s3->creds, cr, cerr, sizeof cerr) != 0) {
            hg_aws_error_set(err, HG_AWS_RETRYABLE, 0, "Credentials", cerr);
            goto out;
        }
        struct hg_sigv4_request sr = {
            .method = c->method, .host = t->host, .path = t->path.data, .query = c->query,
            .headers = c->headers, .nheaders = c->nheaders, .payload_hash = payload,
            .region = s3->region, .service = "s3", .now = hg_aws_clock_now(),
            .flags = HG_SIGV4_S3 | HG_SIGV4_CONTENT_SHA256,
        };
        struct hg_sigv4_signed sig;
        if (hg_sigv4_sign(cr, &sr, &sig, NULL, cerr, sizeof cerr) != 0) {
            hg_aws_error_set(err, HG_AWS_PERMANENT, 0, "Signing", cerr);
            goto out;
        }
        struct hg_http_header hh[S3_MAX_REQ_HEADERS];
        size_t n = 0;
        for (size_t i = 0; i < c->nheaders; i++)
            hh[n++] = c->headers[i];
        hh[n++] = (struct hg_http_header){ "x-amz-date", sig.amz_date };
        hh[n++] = (struct hg_http_header){ "x-amz-content-sha256", sig.payload_hash };
        if (cr->session_token[0])
            hh[n++] = (struct hg_http_header){ "x-amz-security-token", cr->session_token };
        hh[n++] = (struct hg_http_header){ "Authorization", sig.authorization };
        struct hg_http_request req = {
            .method = c->method, .url = url.data, .headers = hh, .nheaders = n,
            .body = c->body, .body_len = c->body_len,
            .write_fn = c->sink ? getbuf_write : NULL, .write_ud = c->sink,
            .max_response = c->max_response,
        };
        if (c->sink) {
            c->sink->too_large = false;
            if (!c->sink->user_fn) {
                c->sink->out->len = c->sink->start;
                if (c->sink->out->data)
                    c->sink->out->data[c->sink->start] = '\0';
            }
        }
        enum hg_http_result hr = hg_http_perform(s3->http, &req, resp, cerr, sizeof cerr);
        hg_aws_creds_wipe(cr);
        OPENSSL_cleanse(&sig, sizeof sig);
        if (hr == HG_HTTP_OK && resp->status >= 200 && resp->status < 300) {
            rc = 0;
            goto out;
        }
        if (hr == HG_HTTP_OK) {
            error_from_response(resp, err);
            /* A clock-skew error: the retry signs on the server's clock. */
            hg_aws_clock_observe_response(resp, err->code);
            if (creds_error_code(err->code))
                hg_aws_creds_invalidate(s3->creds);
            /* Once: the session token may have been rotated or revoked
             * under the cached set; the retry signs with fresh ones. */
            if (strcmp(err->code, "InvalidToken") == 0 && !token_retried) {
                token_retried = true;
                err->cls = HG_AWS_RETRYABLE;
            }
            retry_after = hg_http_retry_after_ms(resp);
        } else if (c->sink && c->sink->too_large) {
            hg_aws_error_set(err, HG_AWS_PERMANENT, 0, "ResponseTooLarge",
                             "object larger than the buffer's cap");
        } else if (hr == HG_HTTP_ERR_ABORTED && c->sink && c->sink->user_fn) {
            hg_aws_error_set(err, HG_AWS_PERMANENT, 0, "StreamAborted", "the consumer aborted the download");
        } else {
            hg_aws_error_from_http(hr, cerr, err);
        }
        /* A streamed download that already handed out bytes can't restart. */
        bool restartable = !(c->sink && c->sink->user_fn && c->sink->delivered);
        bool final = c->final_code && strcmp(err->code, c->final_code) == 0;
        if (err->cls != HG_AWS_RETRYABLE || attempt >= max || !restartable || final)
            goto out;
        long delay = hg_retry_backoff_ms(&s3->retry, attempt, retry_after);
        hg_aws_log_retry("s3", c->method, err, attempt, delay);
        hg_sleep_ms(delay);
    }
out:
    if (cr) {
        hg_aws_creds_wipe(cr);
        free(cr);
    }
    hg_buf_cleanup(&url);
    return rc;
}

static void info_from_response(const struct hg_http_response *resp, struct hg_s3_object_info *info)
{
    if (!info)
        return;
    const char *v = hg_http_response_header(resp, "ETag");
    snprintf(info->etag, sizeof info->etag, "%s", v ? v : "");
    v = hg_http_response_header(resp, "Content-Type");
    snprintf(info->content_type, sizeof info->content_type, "%s", v ? v : "");
    v = hg_http_response_header(resp, "Last-Modified");
    snprintf(info->last_modified, sizeof info->last_modified, "%s", v ? v : "");
    v = hg_http_response_header(resp, "Content-Length");
    info->size = -1;
    if (v && *v) {
        char *end;
        long long n = strtoll(v, &end, 10);
        if (*end == '\0' && n >= 0)
            info->size = n;
    }
}

/* ---- PUT ---------------------------------------------------------------- */

static int put_headers(const struct hg_s3_put_opts *o, bool single, struct hg_http_header *hh,
                       size_t cap, size_t *n, struct hg_aws_error *err)
{
    *n = 0;
    if (o && o->nheaders + 3 > cap) {
        hg_aws_error_set(err, HG_AWS_PERMANENT, 0, "TooManyHeaders", "too many headers");
        return -1;
    }
    hh[(*n)++] = (struct hg_http_header){ "Content-Type",
                                          o && o->content_type ? o->content_type
                                                               : "application/octet-stream" };
    if (single && o && o->if_none_match)
        hh[(*n)++] = (struct hg_http_header){ "If-None-Match", "*" };
    if (single && o && o->if_match)
        hh[(*n)++] = (struct hg_http_header){ "If-Match", o->if_match };
    for (size_t i = 0; o && i < o->nheaders; i++)
        hh[(*n)++] = o->headers[i];
    return 0;
}

/* Whether err answers a condition of o that did not hold: 412 (for a
 * Complete also a 200 carrying PreconditionFailed), or for If-Match a 404
 * NoSuchKey (no object to match). */
static bool put_condition_failed(const struct hg_s3_put_opts *o, const struct hg_aws_error *err)
{
    if (!o || (!o->if_none_match && !o->if_match))
        return false;
    return err->status == 412 || !strcmp(err->code, "PreconditionFailed") ||
           (o->if_match && err->status == 404 && !strcmp(err->code, "NoSuchKey"));
}

static int put_single(struct hg_s3 *s3, const struct s3_target *t, const void *data, size_t len,
                      const struct hg_s3_put_opts *o, struct hg_s3_object_info *info,
                      struct hg_aws_error *err)
{
    struct hg_http_response resp;
    struct hg_http_header hh[S3_MAX_REQ_HEADERS - 6];
    size_t n;
    int rc = -1;
    memset(&resp, 0, sizeof resp);
    if (put_headers(o, true, hh, sizeof hh / sizeof hh[0], &n, err) != 0)
        goto out;
    struct s3_call c = { .method = "PUT", .headers = hh, .nheaders = n,
                         .body = data ? data : "", .body_len = len };
    if (s3_call(s3, t, &c, &resp, err) != 0) {
        if (put_condition_failed(o, err))
            rc = 1;
        goto out;
    }
    if (info) {
        info_from_response(&resp, info);
        info->size = (int64_t)len;
    }
    rc = 0;
out:
    hg_http_response_cleanup(&resp);
    return rc;
}

struct part {
    int  number;
    char etag[HG_S3_ETAG_MAX];
};

static void xml_escape_append(struct hg_buf *b, const char *s, int *rc)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': *rc |= hg_buf_append_str(b, "&amp;"); break;
        case '<': *rc |= hg_buf_append_str(b, "&lt;"); break;
        case '>': *rc |= hg_buf_append_str(b, "&gt;"); break;
        case '"': *rc |= hg_buf_append_str(b, "&quot;"); break;
        default: *rc |= hg_buf_append(b, s, 1); break;
        }
    }
}

static void mp_abort(struct hg_s3 *s3, const struct s3_target *t, const char *qid)
{
    struct hg_http_response resp;
    struct hg_aws_error e;
    struct hg_buf q;
    memset(&resp, 0, sizeof resp);
    hg_buf_init(&q, 4 * HG_S3_UPLOAD_ID_MAX);
    if (hg_buf_appendf(&q, "uploadId=%s", qid) == 0) {
        struct s3_call c = { .method = "DELETE", .query = q.data };
        if (s3_call(s3, t, &c, &resp, &e) != 0)
            hg_log_warn("s3_abort_failed", "code", e.code);
    }
    hg_http_response_cleanup(&resp);
    hg_buf_cleanup(&q);
}

/* Fill buf with up to cap bytes from the stream. Returns bytes read, sets
 * *eof; -1 on a read abort. */
static long long fill(hg_http_read_fn rd, void *ud, char *buf, size_t cap, bool *eof)
{
    size_t got = 0;
    *eof = false;
    while (got < cap) {
        size_t n = rd(ud, buf + got, cap - got);
        if (n == HG_HTTP_READ_ABORT || n > cap - got)
            return -1;
        if (n == 0) {
            *eof = true;
            break;
        }
        got += n;
    }
    return (long long)got;
}


/* NoSuchUpload answering CompleteMultipartUpload: the upload id is gone.
 * Either an earlier Complete of it succeeded and its answer was lost (a
 * re-send then finds no upload), or something aborted it (a lifecycle
 * rule). Sending the stream again settles both (a conditional create then
 * gets 412 for the object that is there), so the caller is told to retry,
 * as for ConditionalRequestConflict; this upload id is not tried again.
 * Returns whether err was that. */
static bool upload_gone_retryable(struct hg_aws_error *err)
{
    if (strcmp(err->code, "NoSuchUpload") != 0)
        return false;
    err->cls = HG_AWS_RETRYABLE;
    return true;
}

static int put_multipart(struct hg_s3 *s3, const struct s3_target *t, char *buf, size_t first_len,
                         bool eof, hg_http_read_fn rd, void *ud, const struct hg_s3_put_opts *o,
                         struct hg_s3_object_info *info, struct hg_aws_error *err)
{
    struct hg_http_response resp;
    struct hg_http_header hh[S3_MAX_REQ_HEADERS - 6];
    struct hg_buf qid, q, body;
    struct part *parts = NULL;
    size_t nparts = 0, cap_parts = 0, n;
    char upload_id[HG_S3_UPLOAD_ID_MAX], xerr[128], root[64];
    bool initiated = false;
    int64_t total = 0;
    int rc = -1;

    memset(&resp, 0, sizeof resp);
    hg_buf_init(&qid, 4 * HG_S3_UPLOAD_ID_MAX);
    hg_buf_init(&q, 4 * HG_S3_UPLOAD_ID_MAX + 64);
    hg_buf_init(&body, (size_t)HG_S3_MAX_PARTS * (HG_S3_ETAG_MAX + 80) + 256);

    if (put_headers(o, false, hh, sizeof hh / sizeof hh[0], &n, err) != 0)
        goto out;
    struct s3_call ci = { .method = "POST", .query = "uploads", .headers = hh, .nheaders = n };
    if (s3_call(s3, t, &ci, &resp, err) != 0)
        goto out;
    struct hg_xml_field f[] = { { "InitiateMultipartUploadResult/UploadId", upload_id,
                                  sizeof upload_id, false, false } };
    if (hg_xml_extract(resp.body.data ? resp.body.data : "", resp.body.len, NULL, 0, f, 1,
                       xerr, sizeof xerr) != 0 || !f[0].found || !upload_id[0]) {
        hg_aws_error_set(err, HG_AWS_RETRYABLE, resp.status, "BadResponse",
                         "CreateMultipartUpload: no UploadId in the response");
        goto out;
    }
    if (hg_sigv4_uri_encode(&qid, upload_id, strlen(upload_id), false) != 0 ||
        hg_buf_append(&qid, "", 0) != 0) {
        hg_aws_error_set(err, HG_AWS_PERMANENT, 0, "BadResponse", "UploadId too long");
        goto out;
    }
    initiated = true;

    size_t len = first_len;
    for (;;) {
        if (nparts >= HG_S3_MAX_PARTS) {
            hg_aws_error_set(err, HG_AWS_PERMANENT, 0, "TooManyParts",
                             "object needs more than 10000 parts: raise the part size");
            goto out;
        }
        if (nparts == cap_parts) {
            size_t nc = cap_parts ? cap_parts * 2 : 16;
            struct part *np = realloc(parts, nc * sizeof *np);
            if (!np) {
                hg_aws_error_set(err, HG_AWS_RETRYABLE, 0, "OutOfMemory", "out of memory");
                goto out;
            }
            parts = np;
            cap_parts = nc;
        }
        if (len > 0 || nparts == 0) {
            hg_buf_reset(&q);
            if (hg_buf_appendf(&q, "partNumber=%zu&uploadId=%s", nparts + 1, qid.data) != 0) {
                hg_aws_error_set(err, HG_AWS_PERMANENT, 0, "BadResponse", "UploadId too long");
                goto out;
            }
            struct s3_call cp = { .method = "PUT", .query = q.data, .body = buf, .body_len = len };
            if (s3_call(s3, t, &cp, &resp, err) != 0)
                goto out;
            const char *etag = hg_http_response_header(&resp, "ETag");
            if (!etag || !*etag || strlen(etag) >= HG_S3_ETAG_MAX) {
                hg_aws_error_set(err, HG_AWS_RETRYABLE, resp.status, "BadResponse",
                                 "UploadPart: no ETag in the response");
                goto out;
            }
            parts[nparts].number = (int)nparts + 1;
            snprintf(parts[nparts].etag, sizeof parts[nparts].etag, "%s", etag);
            nparts++;
            total += (int64_t)len;
        }
        if (eof)
            break;
        long long got = fill(rd, ud, buf, s3->part_size, &eof);
        if (got < 0) {
            hg_aws_error_set(err, HG_AWS_PERMANENT, 0, "StreamAborted", "the body stream failed");
            goto out;
        }
        len = (size_t)got;
        if (len == 0 && eof)
            break;
    }

    int xrc = hg_buf_append_str(&body, "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
    for (size_t i = 0; i < nparts; i++) {
        xrc |= hg_buf_appendf(&body, "<Part><PartNumber>%d</PartNumber><ETag>", parts[i].number);
        xml_escape_append(&body, parts[i].etag, &xrc);
        xrc |= hg_buf_append_str(&body, "</ETag></Part>");
    }
    xrc |= hg_buf_append_str(&body, "</CompleteMultipartUpload>");
    hg_buf_reset(&q);
    xrc |= hg_buf_appendf(&q, "uploadId=%s", qid.data);
    if (xrc) {
        hg_aws_error_set(err, HG_AWS_PERMANENT, 0, "OutOfMemory", "complete body too large");
        goto out;
    }
    /* A 409 ConditionalRequestConflict (a conflicting write raced the
     * conditional Complete) is not retried with this upload id: S3 says to
     * start the multipart upload again, so it returns (retryable) to the
     * caller, which re-sends the whole stream; this upload is aborted. */
    struct hg_http_header ch[3] = { { "Content-Type", "application/xml" } };
    size_t nch = 1;
    if (o && o->if_none_match)
        ch[nch++] = (struct hg_http_header){ "If-None-Match", "*" };
    if (o && o->if_match)
        ch[nch++] = (struct hg_http_header){ "If-Match", o->if_match };
    struct s3_call cc = { .method = "POST", .query = q.data, .headers = ch, .nheaders = nch,
                          .body = body.data, .body_len = body.len,
                          .final_code = "ConditionalRequestConflict" };
    int max = s3->retry.max_attempts > 0 ? s3->retry.max_attempts : 4;
    for (int attempt = 1;; attempt++) {
        if (s3_call(s3, t, &cc, &resp, err) != 0) {
            if (put_condition_failed(o, err))
                rc = 1;
            upload_gone_retryable(err);
            goto out;
        }
        /* 200 can still carry an <Error> (the failure came after S3 started
         * sending whitespace to keep the connection alive). */
        char etag[HG_S3_ETAG_MAX], code[HG_AWS_ERR_CODE_MAX], msg[HG_AWS_ERR_MSG_MAX];
        struct hg_xml_field cf[] = {
            { "CompleteMultipartUploadResult/ETag", etag, sizeof etag, false, false },
            { "Error/Code", code, sizeof code, false, false },
            { "Error/Message", msg, sizeof msg, false, true },
        };
        if (hg_xml_extract(resp.body.data ? resp.body.data : "", resp.body.len, root, sizeof root,
                           cf, 3, xerr, sizeof xerr) != 0) {
            hg_aws_error_set(err, HG_AWS_RETRYABLE, resp.status, "BadResponse", xerr);
        } else if (strcmp(root, "Error") == 0) {
            /* The 200 says nothing about the failure: classify by the code
             * alone (InternalError/SlowDown retried; InvalidPart,
             * NoSuchUpload, EntityTooSmall, ... not). */
            hg_aws_error_set(err, hg_aws_s3_classify(resp.status, cf[1].found ? code : "InternalError"),
                             resp.status, cf[1].found ? code : "InternalError",
                             cf[2].found ? msg : "");
            if (err->status == 200 && put_condition_failed(o, err)) {
                rc = 1;
                goto out;
            }
            if (upload_gone_retryable(err))
                goto out;
        } else {
            if (info) {
                memset(info, 0, sizeof *info);
                snprintf(info->etag, sizeof info->etag, "%s", cf[0].found ? etag : "");
                info->size = total;
            }
            rc = 0;
            goto out;
        }
        if (err->cls != HG_AWS_RETRYABLE || attempt >= max ||
            strcmp(err->code, cc.final_code) == 0)
            goto out;
        hg_sleep_ms(hg_retry_backoff_ms(&s3->retry, attempt, 0));
    }
out:
    if (rc != 0 && initiated)
        mp_abort(s3, t, qid.data);
    free(parts);
    hg_http_response_cleanup(&resp);
    hg_buf_cleanup(&qid);
    hg_buf_cleanup(&q);
    hg_buf_cleanup(&body);
    return rc;
}

int hg_s3_put_stream(struct hg_s3 *s3, const char *bucket, const char *key,
                     hg_http_read_fn read_fn, void *read_ud,
                     const struct hg_s3_put_opts *opts,
                     struct hg_s3_object_info *info, struct hg_aws_error *err)
{
    struct s3_target t;
    char *buf = NULL;
    bool eof = false;
    int rc = -1;

    hg_aws_error_clear(err);
    if (info)
        memset(info, 0, sizeof *info);
    if (target_build(s3, bucket, key, &t, err) != 0)
        goto out;
    buf = malloc(s3->part_size);
    if (!buf) {
        hg_aws_error_set(err, HG_AWS_RETRYABLE, 0, "OutOfMemory", "out of memory");
        goto out;
    }
    long long got = fill(read_fn, read_ud, buf, s3->part_size, &eof);
    if (got < 0) {
        hg_aws_error_set(err, HG_AWS_PERMANENT, 0, "StreamAborted", "the body stream failed");
        goto out;
    }
    if (eof && (size_t)got <= s3->threshold)
        rc = put_single(s3, &t, buf, (size_t)got, opts, info, err);
    else
        rc = put_multipart(s3, &t, buf, (size_t)got, eof, read_fn, read_ud, opts, info, err);
out:
    free(buf);
    hg_buf_cleanup(&t.path);
    return rc;
}

struct memreader {
    const char *p;
    size_t left;
};

static size_t mem_read(void *ud, char *buf, size_t len)
{
    struct memreader *m = ud;
    size_t n = m->left < len ? m->left : len;
    memcpy(buf, m->p, n);
    m->p += n;
    m->left -= n;
    return n;
}

int hg_s3_put(struct hg_s3 *s3, const char *bucket, const char *key,
              const void *data, size_t len, const struct hg_s3_put_opts *opts,
              struct hg_s3_object_info *info, struct hg_aws_error *err)
{
    if (len <= s3->threshold) {
        struct s3_target t;
        hg_aws_error_clear(err);
        if (info)
            memset(info, 0, sizeof *info);
        if (target_build(s3, bucket, key, &t, err) != 0) {
            hg_buf_cleanup(&t.path);
            return -1;
        }
        int rc = put_single(s3, &t, data, len, opts, info, err);
        hg_buf_cleanup(&t.path);
        return rc;
    }
    struct memreader m = { data, len };
    return hg_s3_put_stream(s3, bucket, key, mem_read, &m, opts, info, err);
}

/* ---- HEAD / GET / DELETE ----------------------------------------------- */

int hg_s3_head(struct hg_s3 *s3, const char *bucket, const char *key,
               struct hg_s3_object_info *info, struct hg_aws_error *err)
{
    struct s3_target t;
    struct hg_http_response resp;
    int rc = -1;
    memset(&resp, 0, sizeof resp);
    hg_aws_error_clear(err);
    if (info)
        memset(info, 0, sizeof *info);
    if (target_build(s3, bucket, key, &t, err) != 0)
        goto out;
    struct s3_call c = { .method = "HEAD" };
    if (s3_call(s3, &t, &c, &resp, err) != 0) {
        if (err->status == 404)
            rc = 1;
        goto out;
    }
    info_from_response(&resp, info);
    rc = 0;
out:
    hg_http_response_cleanup(&resp);
    hg_buf_cleanup(&t.path);
    return rc;
}

static int do_get(struct hg_s3 *s3, const char *bucket, const char *key, struct getbuf *g,
                  struct hg_s3_object_info *info, struct hg_aws_error *err)
{
    struct s3_target t;
    struct hg_http_response resp;
    int rc = -1;
    memset(&resp, 0, sizeof resp);
    hg_aws_error_clear(err);
    if (info)
        memset(info, 0, sizeof *info);
    if (target_build(s3, bucket, key, &t, err) != 0)
        goto out;
    struct s3_call c = { .method = "GET", .sink = g };
    if (s3_call(s3, &t, &c, &resp, err) != 0) {
        if (err->status == 404 && strcmp(err->code, "NoSuchBucket") != 0)
            rc = 1;
        goto out;
    }
    info_from_response(&resp, info);
    rc = 0;
out:
    hg_http_response_cleanup(&resp);
    hg_buf_cleanup(&t.path);
    return rc;
}

int hg_s3_get(struct hg_s3 *s3, const char *bucket, const char *key,
              struct hg_buf *out, struct hg_s3_object_info *info,
              struct hg_aws_error *err)
{
    struct getbuf g = { .out = out, .start = out->len };
    return do_get(s3, bucket, key, &g, info, err);
}

int hg_s3_get_stream(struct hg_s3 *s3, const char *bucket, const char *key,
                     hg_http_write_fn write_fn, void *write_ud,
                     struct hg_s3_object_info *info, struct hg_aws_error *err)
{
    struct getbuf g = { .user_fn = write_fn, .user_ud = write_ud };
    return do_get(s3, bucket, key, &g, info, err);
}

int hg_s3_delete(struct hg_s3 *s3, const char *bucket, const char *key,
                 struct hg_aws_error *err)
{
    struct s3_target t;
    struct hg_http_response resp;
    int rc = -1;
    memset(&resp, 0, sizeof resp);
    hg_aws_error_clear(err);
    if (target_build(s3, bucket, key, &t, err) != 0)
        goto out;
    struct s3_call c = { .method = "DELETE" };
    if (s3_call(s3, &t, &c, &resp, err) != 0)
        goto out;
    rc = 0;
out:
    hg_http_response_cleanup(&resp);
    hg_buf_cleanup(&t.path);
    return rc;
}

/* ---- ListObjectsV2 ------------------------------------------------------ */

void hg_s3_list_page_cleanup(struct hg_s3_list_page *page)
{
    if (!page)
        return;
    for (size_t i = 0; i < page->nkeys; i++)
        free(page->keys[i]);
    free(page->keys);
    free(page->sizes);
    memset(page, 0, sizeof *page);
}

enum { LP_CONTENTS, LP_KEY, LP_SIZE, LP_PREFIXES, LP_TRUNCATED, LP_TOKEN, LP_COUNT };
static const char *const list_paths[LP_COUNT] = {
    "ListBucketResult/Contents",
    "ListBucketResult/Contents/Key",
    "ListBucketResult/Contents/Size",
    "ListBucketResult/CommonPrefixes",
    "ListBucketResult/IsTruncated",
    "ListBucketResult/NextContinuationToken",
};

struct list_parse {
    struct hg_s3_list_page *page;
    size_t max_keys;
    char *key;                /* the Contents entry being read */
    int64_t size;
    bool seen_truncated;
};

static const char *list_element(void *ud, size_t idx, const char *text, size_t len)
{
    struct list_parse *lp = ud;
    struct hg_s3_list_page *pg = lp->page;
    switch (idx) {
    case LP_KEY:
        if (lp->key)
            return "a Contents entry with two Keys";
        if (len == 0 || len > HG_S3_KEY_MAX || memchr(text, '\0', len))
            return "a Key that is empty or over 1024 bytes";
        lp->key = strndup(text, len);
        return lp->key ? NULL : "out of memory";
    case LP_SIZE: {
        char *end;
        if (len == 0 || len > 19 || strspn(text, "0123456789") != len)
            return "a Size that is not a non-negative integer";
        lp->size = (int64_t)strtoll(text, &end, 10);
        return NULL;
    }
    case LP_PREFIXES:
        /* S3 counts them in max-keys; S3-compatible servers may not. */
        if (pg->nprefixes >= HG_S3_LIST_PAGE_KEYS)
            return "more than 1000 CommonPrefixes";
        pg->nprefixes++;
        return NULL;
    case LP_CONTENTS:
        if (pg->nkeys >= lp->max_keys)
            return "more keys than max-keys";
        if (!lp->key)
            return "a Contents entry without a Key";
        if (pg->nkeys % 64 == 0) {
            size_t n = pg->nkeys + 64;
            char **k = realloc(pg->keys, n * sizeof *k);
            if (k)
                pg->keys = k;
            int64_t *z = k ? realloc(pg->sizes, n * sizeof *z) : NULL;
            if (!z)
                return "out of memory";
            pg->sizes = z;
        }
        pg->keys[pg->nkeys] = lp->key;
        pg->sizes[pg->nkeys] = lp->size;
        pg->nkeys++;
        lp->key = NULL;
        lp->size = -1;
        return NULL;
    case LP_TRUNCATED:
        if (lp->seen_truncated)
            return "IsTruncated given twice";
        lp->seen_truncated = true;
        if (len == 4 && !memcmp(text, "true", 4))
            pg->truncated = true;
        else if (!(len == 5 && !memcmp(text, "false", 5)))
            return "IsTruncated is neither true nor false";
        return NULL;
    case LP_TOKEN:
        if (len + 1 > sizeof pg->next_token)
            return "NextContinuationToken too long";
        memcpy(pg->next_token, text, len);
        pg->next_token[len] = '\0';
        return NULL;
    }
    return NULL;
}

int hg_s3_list_parse(const char *doc, size_t len, size_t max_keys,
                     struct hg_s3_list_page *page, char *errstr, size_t errstr_size)
{
    struct list_parse lp = { .page = page, .size = -1 };
    char root[64], xerr[160];
    memset(page, 0, sizeof *page);
    lp.max_keys = max_keys && max_keys < HG_S3_LIST_PAGE_KEYS ? max_keys : HG_S3_LIST_PAGE_KEYS;
    struct hg_xml_walk w = {
        .paths = list_paths, .npaths = LP_COUNT, .max_doc = HG_S3_LIST_XML_MAX,
        .text_max = HG_S3_LIST_TOKEN_MAX > HG_S3_KEY_MAX + 1 ? HG_S3_LIST_TOKEN_MAX : HG_S3_KEY_MAX + 1,
        .fn = list_element, .ud = &lp,
    };
    const char *why = NULL;
    if (hg_xml_walk(doc, len, &w, root, sizeof root, xerr, sizeof xerr) != 0)
        why = xerr;
    else if (strcmp(root, "ListBucketResult") != 0)
        why = "not a ListBucketResult";
    else if (!lp.seen_truncated)
        why = "no IsTruncated";
    else if (page->truncated && !page->next_token[0])
        why = "truncated without a NextContinuationToken";
    free(lp.key);
    if (why) {
        snprintf(errstr, errstr_size, "ListObjectsV2: %s", why);
        hg_s3_list_page_cleanup(page);
        return -1;
    }
    return 0;
}

/* Append "&name=<value %-encoded>" (no '&' first). */
static int query_param(struct hg_buf *q, const char *name, const char *value)
{
    int rc = hg_buf_appendf(q, "%s%s=", q->len ? "&" : "", name);
    return rc | hg_sigv4_uri_encode(q, value, strlen(value), false);
}

int hg_s3_list(struct hg_s3 *s3, const char *bucket, const char *prefix, const char *delimiter,
               size_t max_keys, hg_s3_list_fn fn, void *ud, bool *more, struct hg_aws_error *err)
{
    struct s3_target t;
    struct hg_http_response resp;
    struct hg_s3_list_page page;
    struct hg_buf q;
    char token[HG_S3_LIST_TOKEN_MAX] = "", perr[200], mk[16];
    size_t listed = 0;
    int rc = -1;

    memset(&resp, 0, sizeof resp);
    memset(&page, 0, sizeof page);
    hg_buf_init(&q, 4 * HG_S3_KEY_MAX + 3 * HG_S3_LIST_TOKEN_MAX + 128);
    hg_aws_error_clear(err);
    if (more)
        *more = false;
    if (target_build(s3, bucket, NULL, &t, err) != 0)
        goto out;
    if (prefix && strlen(prefix) > HG_S3_KEY_MAX) {
        hg_aws_error_set(err, HG_AWS_PERMANENT, 0, "KeyTooLongError", "prefix too long");
        goto out;
    }
    for (unsigned pages = 0;; pages++) {
        if (pages == HG_S3_LIST_MAX_PAGES) {
            if (more)
                *more = true;
            break;
        }
        size_t want = s3->list_page;
        if (max_keys && max_keys - listed < want)
            want = max_keys - listed;
        snprintf(mk, sizeof mk, "%zu", want);
        hg_buf_reset(&q);
        int x = query_param(&q, "list-type", "2");
        if (token[0])
            x |= query_param(&q, "continuation-token", token);
        if (delimiter && *delimiter)
            x |= query_param(&q, "delimiter", delimiter);
        x |= query_param(&q, "max-keys", mk);
        if (prefix && *prefix)
            x |= query_param(&q, "prefix", prefix);
        if (x) {
            hg_aws_error_set(err, HG_AWS_PERMANENT, 0, "KeyTooLongError", "list query too long");
            goto out;
        }
        struct s3_call c = { .method = "GET", .query = q.data, .max_response = HG_S3_LIST_XML_MAX };
        if (s3_call(s3, &t, &c, &resp, err) != 0)
            goto out;
        hg_s3_list_page_cleanup(&page);
        if (hg_s3_list_parse(resp.body.data ? resp.body.data : "", resp.body.len, want, &page,
                             perr, sizeof perr) != 0) {
            hg_aws_error_set(err, HG_AWS_RETRYABLE, resp.status, "BadResponse", perr);
            goto out;
        }
        for (size_t i = 0; i < page.nkeys; i++) {
            int r = fn(ud, page.keys[i], page.sizes[i]);
            if (r < 0) {
                hg_aws_error_set(err, HG_AWS_PERMANENT, 0, "Aborted", "the listing was stopped");
                goto out;
            }
            listed++;
            if (r > 0 || (max_keys && listed >= max_keys)) {
                if (more)
                    *more = i + 1 < page.nkeys || page.truncated;
                rc = 0;
                goto out;
            }
        }
        if (!page.truncated)
            break;
        if (!strcmp(page.next_token, token)) {
            hg_aws_error_set(err, HG_AWS_RETRYABLE, resp.status, "BadResponse",
                             "ListObjectsV2: the continuation token did not move");
            goto out;
        }
        snprintf(token, sizeof token, "%s", page.next_token);
    }
    rc = 0;
out:
    hg_s3_list_page_cleanup(&page);
    hg_http_response_cleanup(&resp);
    hg_buf_cleanup(&q);
    hg_buf_cleanup(&t.path);
    return rc;
}

/* glue.c — AWS Glue StartJobRun and GetJob over JSON 1.1 (protocols.md §8),
 * signed per attempt with SigV4, errors classified retryable/permanent.
 * https://docs.aws.amazon.com/glue/latest/webapi/API_StartJobRun.html */
#include "common/aws/glue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <yajl/yajl_tree.h>

#include "common/aws/call.h"
#include "common/aws/clock.h"
#include "common/aws/sigv4.h"
#include "common/buf.h"
#include "common/json.h"
#include "common/log.h"

#define GLUE_BODY_MAX (256u * 1024u)

struct hg_glue {
    char *region;
    char *url;
    char *host;
    char *path;
    struct hg_aws_creds_provider *creds;
    struct hg_http_client *http;
    struct hg_retry_policy retry;
};

struct hg_glue *hg_glue_create(const struct hg_glue_config *cfg, char *errstr, size_t errstr_size)
{
    struct hg_glue *g = calloc(1, sizeof *g);
    struct hg_aws_endpoint ep;
    char url[HG_AWS_URL_MAX];

    memset(&ep, 0, sizeof ep);
    if (!g) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    if (!hg_aws_region_ok(cfg->region)) {
        snprintf(errstr, errstr_size, "glue: missing or bad region");
        goto fail;
    }
    if (!cfg->creds) {
        snprintf(errstr, errstr_size, "glue: no credentials provider");
        goto fail;
    }
    if (cfg->endpoint && *cfg->endpoint)
        snprintf(url, sizeof url, "%s", cfg->endpoint);
    else
        snprintf(url, sizeof url, "https://glue.%s.amazonaws.com", cfg->region);
    if (hg_aws_endpoint_parse(url, &ep) != 0) {
        snprintf(errstr, errstr_size, "glue: bad endpoint URL (want http(s)://host[:port][/path])");
        goto fail;
    }
    snprintf(url, sizeof url, "%s://%s%s", ep.scheme, ep.host, ep.path[0] ? ep.path : "/");
    g->host = strdup(ep.host);
    g->path = strdup(ep.path[0] ? ep.path : "/");
    g->url = strdup(url);
    g->region = strdup(cfg->region);
    if (!g->host || !g->path || !g->url || !g->region) {
        snprintf(errstr, errstr_size, "out of memory");
        goto fail;
    }
    g->creds = cfg->creds;
    g->retry = cfg->retry;
    struct hg_http_client_opts o = { .timeout_ms = cfg->timeout_ms, .ca_file = cfg->ca_file };
    g->http = hg_http_client_create(&o, errstr, errstr_size);
    if (!g->http)
        goto fail;
    hg_aws_endpoint_cleanup(&ep);
    return g;
fail:
    hg_aws_endpoint_cleanup(&ep);
    hg_glue_destroy(g);
    return NULL;
}

struct hg_glue *hg_glue_create_from_env(char **envp, struct hg_aws_creds_provider *creds,
                                        long timeout_ms, char *errstr, size_t errstr_size)
{
    char region[HG_AWS_REGION_MAX];
    if (hg_aws_region_from_env(envp, region, sizeof region) != 0) {
        snprintf(errstr, errstr_size, "glue: no region: set AWS_REGION");
        return NULL;
    }
    const char *ep = hg_aws_getenv(envp, "AWS_ENDPOINT_URL_GLUE");
    if (!ep)
        ep = hg_aws_getenv(envp, "AWS_ENDPOINT_URL");
    struct hg_glue_config cfg = { .region = region, .endpoint = ep, .creds = creds,
                                  .timeout_ms = timeout_ms };
    return hg_glue_create(&cfg, errstr, errstr_size);
}

void hg_glue_destroy(struct hg_glue *g)
{
    if (!g)
        return;
    hg_http_client_destroy(g->http);
    free(g->region);
    free(g->url);
    free(g->host);
    free(g->path);
    free(g);
}

static const char *jstr(yajl_val v)
{
    const char *s = v && YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : NULL;
    return s ? s : "";
}

/* Parse a JSON-protocol error: code from __type (or x-amzn-ErrorType),
 * message from message/Message. */
static void error_from_response(const struct hg_http_response *resp, struct hg_aws_error *err)
{
    char code[HG_AWS_ERR_CODE_MAX] = "", msg[HG_AWS_ERR_MSG_MAX] = "", ebuf[64];
    yajl_val root = NULL;
    if (resp->body.data && resp->body.len)   /* depth-limited: the answer is outside input */
        root = hg_json_parse(resp->body.data, resp->body.len, ebuf, sizeof ebuf);
    if (root && YAJL_IS_OBJECT(root)) {
        const char *pt[] = { "__type", NULL }, *pm[] = { "message", NULL },
                   *pM[] = { "Message", NULL };
        yajl_val t = yajl_tree_get(root, pt, yajl_t_string);
        yajl_val m = yajl_tree_get(root, pm, yajl_t_string);
        if (!m)
            m = yajl_tree_get(root, pM, yajl_t_string);
        snprintf(code, sizeof code, "%s", jstr(t));
        hg_aws_text_copy(msg, sizeof msg, jstr(m));
    }
    if (!code[0]) {
        const char *h = hg_http_response_header(resp, "x-amzn-ErrorType");
        snprintf(code, sizeof code, "%s", h ? h : "");
    }
    hg_aws_error_code_normalise(code);
    if (!code[0])
        snprintf(code, sizeof code, "HttpError");
    if (!msg[0])
        snprintf(msg, sizeof msg, "HTTP %ld", resp->status);
    hg_aws_error_set(err, hg_aws_json_classify(resp->status, code), resp->status, code, msg);
    const char *rid = hg_http_response_header(resp, "x-amzn-RequestId");
    snprintf(err->request_id, sizeof err->request_id, "%s", rid ? rid : "");
    yajl_tree_free(root);
}

/* Did this failure prove that Glue did not act on the request? A refused
 * connection, throttling, the job's or the account's concurrency limit
 * (ResourceNumberLimitExceededException) or a rejected token say so; a
 * timeout, a cut-off answer or a 5xx leave it open. */
static bool glue_surely_not_done(enum hg_http_result hr, const struct hg_aws_error *err)
{
    static const char *const codes[] = {
        "ThrottlingException", "ConcurrentRunsExceededException",
        "ResourceNumberLimitExceededException", "ExpiredTokenException",
        "ExpiredToken", "UnrecognizedClientException", "Credentials",
        "InvalidSignatureException", "RequestExpired", "RequestTimeTooSkewed", NULL,
    };
    if (hr == HG_HTTP_ERR_CONNECT || hr == HG_HTTP_ERR_HANDSHAKE)   /* nothing was sent */
        return true;
    if (hr != HG_HTTP_OK)
        return false;
    for (size_t i = 0; codes[i]; i++)
        if (strcmp(err->code, codes[i]) == 0)
            return true;
    return err->status == 429;
}

/* One Glue call with retries. An operation that is not idempotent
 * (StartJobRun) is retried only while each failure proves nothing was done;
 * otherwise its retryable error goes to the caller, who must look before
 * trying again (GetJobRuns). Returns 0 with resp holding a 2xx answer, or
 * -1 with err. */
static int glue_call(struct hg_glue *g, const char *target, const char *body, size_t body_len,
                     bool idempotent, size_t max_response, struct hg_http_response *resp,
                     struct hg_aws_error *err)
{
    struct hg_aws_creds *cr = calloc(1, sizeof *cr);
    int max = g->retry.max_attempts > 0 ? g->retry.max_attempts : 4;
    char tgt[96];
    int rc = -1;

    hg_aws_error_clear(err);
    snprintf(tgt, sizeof tgt, "AWSGlue.%s", target);
    if (!cr) {
        hg_aws_error_set(err, HG_AWS_RETRYABLE, 0, "OutOfMemory", "out of memory");
        goto out;
    }
    for (int attempt = 1;; attempt++) {
        char cerr[512];
        if (hg_aws_creds_get(g->creds, cr, cerr, sizeof cerr) != 0) {
            hg_aws_error_set(err, HG_AWS_RETRYABLE, 0, "Credentials", cerr);
            goto out;
        }
        struct hg_http_header sh[] = {
            { "Content-Type", "application/x-amz-json-1.1" },
            { "X-Amz-Target", tgt },
        };
        struct hg_sigv4_request sr = {
            .method = "POST", .host = g->host, .path = g->path, .headers = sh, .nheaders = 2,
            .body = body, .body_len = body_len, .region = g->region, .service = "glue",
            .now = hg_aws_clock_now(),
        };
        struct hg_sigv4_signed sig;
        if (hg_sigv4_sign(cr, &sr, &sig, NULL, cerr, sizeof cerr) != 0) {
            hg_aws_error_set(err, HG_AWS_PERMANENT, 0, "Signing", cerr);
            goto out;
        }
        struct hg_http_header hh[6];
        size_t n = 0;
        hh[n++] = sh[0];
        hh[n++] = sh[1];
        hh[n++] = (struct hg_http_header){ "X-Amz-Date", sig.amz_date };
        if (cr->session_token[0])
            hh[n++] = (struct hg_http_header){ "X-Amz-Security-Token", cr->session_token };
        hh[n++] = (struct hg_http_header){ "Authorization", sig.authorization };
        struct hg_http_request req = { .method = "POST", .url = g->url, .headers = hh,
                                       .nheaders = n, .body = body, .body_len = body_len,
                                       .max_response = max_response };
        enum hg_http_result hr = hg_http_perform(g->http, &req, resp, cerr, sizeof cerr);
        hg_aws_creds_wipe(cr);
        OPENSSL_cleanse(&sig, sizeof sig);
        long retry_after = 0;
        if (hr == HG_HTTP_OK && resp->status >= 200 && resp->status < 300) {
            rc = 0;
            goto out;
        }
        if (hr == HG_HTTP_OK) {
            error_from_response(resp, err);
            /* A clock-skew error: the retry signs on the server's clock. */
            hg_aws_clock_observe_response(resp, err->code);
            if (strcmp(err->code, "ExpiredTokenException") == 0 ||
                strcmp(err->code, "ExpiredToken") == 0 ||
                strcmp(err->code, "UnrecognizedClientException") == 0)
                hg_aws_creds_invalidate(g->creds);
            if (strcmp(err->code, "UnrecognizedClientException") == 0 && attempt == 1)
                err->cls = HG_AWS_RETRYABLE;  /* once: the token may just have rotated */
            retry_after = hg_http_retry_after_ms(resp);
        } else {
            hg_aws_error_from_http(hr, cerr, err);
        }
        if (err->cls != HG_AWS_RETRYABLE || attempt >= max)
            goto out;
        if (!idempotent && !glue_surely_not_done(hr, err))
            goto out;   /* outcome unknown: the caller looks before retrying */
        long delay = hg_retry_backoff_ms(&g->retry, attempt, retry_after);
        hg_aws_log_retry("glue", target, err, attempt, delay);
        hg_sleep_ms(delay);
    }
out:
    if (cr) {
        hg_aws_creds_wipe(cr);
        free(cr);
    }
    return rc;
}

int hg_glue_start_job_run(struct hg_glue *g, const char *job_name,
                          const char *const *args, char *run_id, size_t run_id_size,
                          struct hg_aws_error *err)
{
    struct hg_buf body;
    struct hg_http_response resp;
    yajl_val root = NULL;
    char ebuf[64];
    int rc = -1;

    memset(&resp, 0, sizeof resp);
    hg_buf_init(&body, GLUE_BODY_MAX);
    hg_aws_error_clear(err);
    if (run_id_size)
        run_id[0] = '\0';
    if (!job_name || !*job_name || strlen(job_name) > 255) {
        hg_aws_error_set(err, HG_AWS_PERMANENT, 0, "InvalidInputException", "bad job name");
        goto out;
    }
    int x = hg_buf_append_str(&body, "{\"JobName\":\"");
    x |= hg_buf_append_json_str(&body, job_name, strlen(job_name));
    x |= hg_buf_append_str(&body, "\"");
    if (args && args[0]) {
        x |= hg_buf_append_str(&body, ",\"Arguments\":{");
        size_t i = 0;
        for (; args[2 * i]; i++) {
            if (i >= HG_GLUE_MAX_ARGS || !args[2 * i + 1]) {
                hg_aws_error_set(err, HG_AWS_PERMANENT, 0, "InvalidInputException",
                                 "too many arguments or a name without a value");
                goto out;
            }
            x |= hg_buf_append_str(&body, i ? ",\"" : "\"");
            x |= hg_buf_append_json_str(&body, args[2 * i], strlen(args[2 * i]));
            x |= hg_buf_append_str(&body, "\":\"");
            x |= hg_buf_append_json_str(&body, args[2 * i + 1], strlen(args[2 * i + 1]));
            x |= hg_buf_append_str(&body, "\"");
        }
        x |= hg_buf_append_str(&body, "}");
    }
    x |= hg_buf_append_str(&body, "}");
    if (x) {
        hg_aws_error_set(err, HG_AWS_PERMANENT, 0, "InvalidInputException", "arguments too large");
        goto out;
    }
    if (glue_call(g, "StartJobRun", body.data, body.len, false, HG_GLUE_RESPONSE_MAX, &resp, err) != 0)
        goto out;
    root = resp.body.data ? hg_json_parse(resp.body.data, resp.body.len, ebuf, sizeof ebuf) : NULL;
    const char *pj[] = { "JobRunId", NULL };
    yajl_val id = root ? yajl_tree_get(root, pj, yajl_t_string) : NULL;
    if (!id || !*jstr(id) || strlen(jstr(id)) >= run_id_size) {
        hg_aws_error_set(err, HG_AWS_PERMANENT, resp.status, "BadResponse",
                         "StartJobRun: no usable JobRunId in the response");
        goto out;
    }
    snprintf(run_id, run_id_size, "%s", jstr(id));
    rc = 0;
out:
    yajl_tree_free(root);
    hg_http_response_cleanup(&resp);
    hg_buf_cleanup(&body);
    return rc;
}

int hg_glue_get_job(struct hg_glue *g, const char *job_name, struct hg_aws_error *err)
{
    struct hg_buf body;
    struct hg_http_response resp;
    int rc = -1;

    memset(&resp, 0, sizeof resp);
    hg_buf_init(&body, 4096);
    hg_aws_error_clear(err);
    if (!job_name || !*job_name || strlen(job_name) > 255) {
        hg_aws_error_set(err, HG_AWS_PERMANENT, 0, "InvalidInputException", "bad job name");
        goto out;
    }
    if (hg_buf_append_str(&body, "{\"JobName\":\"") != 0 ||
        hg_buf_append_json_str(&body, job_name, strlen(job_name)) != 0 ||
        hg_buf_append_str(&body, "\"}") != 0) {
        hg_aws_error_set(err, HG_AWS_PERMANENT, 0, "InvalidInputException", "bad job name");
        goto out;
    }
    if (glue_call(g, "GetJob", body.data, body.len, true, HG_GLUE_RESPONSE_MAX, &resp, err) != 0) {
        if (strcmp(err->code, "EntityNotFoundException") == 0)
            rc = 1;
        goto out;
    }
    rc = 0;
out:
    hg_http_response_cleanup(&resp);
    hg_buf_cleanup(&body);
    return rc;
}

int hg_glue_call(struct hg_glue *g, const char *op, const char *json, size_t len,
                 struct hg_buf *out, struct hg_aws_error *err)
{
    struct hg_http_response resp;
    int rc = -1;

    memset(&resp, 0, sizeof resp);
    hg_aws_error_clear(err);
    if (!op || !*op || strlen(op) > 64 || strspn(op, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") != strlen(op)) {
        hg_aws_error_set(err, HG_AWS_PERMANENT, 0, "InvalidInputException", "bad operation name");
        goto out;
    }
    /* The answer may be as large as out can take, up to the call's own cap. */
    size_t max = HG_GLUE_RESPONSE_MAX;
    if (out && out->max > out->len)
        max = out->max - out->len < HG_GLUE_CALL_RESPONSE_MAX ? out->max - out->len
                                                               : HG_GLUE_CALL_RESPONSE_MAX;
    if (glue_call(g, op, json ? json : "{}", json ? len : 2, true, max, &resp, err) != 0)
        goto out;
    if (out && hg_buf_append(out, resp.body.data ? resp.body.data : "", resp.body.len) != 0) {
        hg_aws_error_set(err, HG_AWS_PERMANENT, resp.status, "ResponseTooLarge",
                         "response larger than the buffer's cap");
        goto out;
    }
    rc = 0;
out:
    hg_http_response_cleanup(&resp);
    return rc;
}

/* glue_runs.c — Glue GetJobRuns over the common signer and HTTP client. */
#include "consumer/glue_runs.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/aws/sigv4.h"
#include "common/buf.h"
#include "common/http_client.h"
#include "common/json.h"
#include "common/limits.h"

struct hgc_glue_runs {
    struct hg_aws_creds_provider *creds;
    struct hg_http_client *http;
    char region[HG_AWS_REGION_MAX];
    char url[HG_AWS_URL_MAX];
    char host[HG_AWS_URL_MAX];
    char path[HG_AWS_URL_MAX];
};

struct hgc_glue_runs *hgc_glue_runs_create(char **envp, struct hg_aws_creds_provider *creds,
                                           char *errstr, size_t errstr_size)
{
    char err[256];
    struct hgc_glue_runs *g = calloc(1, sizeof *g);
    if (!g) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    g->creds = creds;
    if (hg_aws_region_from_env(envp, g->region, sizeof g->region) != 0) {
        snprintf(errstr, errstr_size, "glue: no region: set AWS_REGION");
        goto fail;
    }
    const char *ep = hg_aws_getenv(envp, "AWS_ENDPOINT_URL_GLUE");
    if (!ep)
        ep = hg_aws_getenv(envp, "AWS_ENDPOINT_URL");
    if (ep)
        snprintf(g->url, sizeof g->url, "%s", ep);
    else
        snprintf(g->url, sizeof g->url, "https://glue.%s.amazonaws.com/", g->region);
    const char *h = strstr(g->url, "://");
    if (!h || (strncmp(g->url, "http://", 7) && strncmp(g->url, "https://", 8))) {
        snprintf(errstr, errstr_size, "glue: bad endpoint URL");
        goto fail;
    }
    h += 3;
    size_t hl = strcspn(h, "/");
    snprintf(g->host, sizeof g->host, "%.*s", (int)hl, h);
    snprintf(g->path, sizeof g->path, "%s", h[hl] ? h + hl : "/");
    size_t ul = strlen(g->url);
    if (!h[hl] && ul + 1 < sizeof g->url)
        snprintf(g->url + ul, sizeof g->url - ul, "/");
    /* curl leaves default ports out of Host; so must the signature. */
    size_t L = strlen(g->host);
    if (!strncmp(g->url, "http://", 7) && L > 3 && !strcmp(g->host + L - 3, ":80"))
        g->host[L - 3] = '\0';
    if (!strncmp(g->url, "https://", 8) && L > 4 && !strcmp(g->host + L - 4, ":443"))
        g->host[L - 4] = '\0';
    g->http = hg_http_client_create(NULL, err, sizeof err);
    if (!g->http) {
        snprintf(errstr, errstr_size, "glue: %s", err);
        goto fail;
    }
    return g;
fail:
    hgc_glue_runs_destroy(g);
    return NULL;
}

void hgc_glue_runs_destroy(struct hgc_glue_runs *g)
{
    if (!g)
        return;
    hg_http_client_destroy(g->http);
    free(g);
}

int hgc_glue_runs_scan(const char *json, size_t len, const char *arg, const char *value,
                       char *run_id, size_t run_id_size, char **next)
{
    char err[128];
    int rc = -1;
    if (next)
        *next = NULL;
    yajl_val root = hg_json_parse(json, len, err, sizeof err);
    if (!root || !YAJL_IS_OBJECT(root))
        goto out;
    yajl_val runs = hg_json_get(root, "JobRuns", NULL);
    rc = 0;
    if (runs && YAJL_IS_ARRAY(runs)) {
        for (size_t i = 0; i < runs->u.array.len; i++) {
            yajl_val r = runs->u.array.values[i];
            const char *v = hg_json_get_str(r, "Arguments", arg, NULL);
            const char *id = hg_json_get_str(r, "Id", NULL);
            if (v && id && !strcmp(v, value)) {
                snprintf(run_id, run_id_size, "%s", id);
                rc = 1;
                goto out;
            }
        }
    }
    const char *nt = hg_json_get_str(root, "NextToken", NULL);
    if (next && nt && *nt && strlen(nt) < HGC_MARKER_MAX)
        *next = strdup(nt);
out:
    if (root)
        yajl_tree_free(root);
    return rc;
}

/* One signed GetJobRuns call; resp holds the answer. Returns 0 or -1 with e. */
static int get_job_runs(struct hgc_glue_runs *g, const struct hg_buf *body,
                        struct hg_http_response *resp, struct hgc_err *e)
{
    struct hg_aws_creds *cr = calloc(1, sizeof *cr);
    struct hg_sigv4_signed sig;
    char err[512];
    int rc = -1;
    memset(&sig, 0, sizeof sig);
    if (!cr) {
        hgc_err_set(e, HGC_TRANSIENT, "oom", "out of memory");
        goto out;
    }
    if (hg_aws_creds_get(g->creds, cr, err, sizeof err) != 0) {
        hgc_err_set(e, HGC_TRANSIENT, "glue_runs_Credentials", "%s", err);
        goto out;
    }
    struct hg_http_header sh[] = {
        { "Content-Type", "application/x-amz-json-1.1" },
        { "X-Amz-Target", "AWSGlue.GetJobRuns" },
    };
    struct hg_sigv4_request sr = {
        .method = "POST", .host = g->host, .path = g->path, .headers = sh, .nheaders = 2,
        .body = body->data, .body_len = body->len, .region = g->region, .service = "glue",
        .now = (int64_t)time(NULL),
    };
    if (hg_sigv4_sign(cr, &sr, &sig, NULL, err, sizeof err) != 0) {
        hgc_err_set(e, HGC_PERMANENT, "glue_runs_Signing", "%s", err);
        goto out;
    }
    struct hg_http_header hh[5];
    size_t n = 0;
    hh[n++] = sh[0];
    hh[n++] = sh[1];
    hh[n++] = (struct hg_http_header){ "X-Amz-Date", sig.amz_date };
    if (cr->session_token[0])
        hh[n++] = (struct hg_http_header){ "X-Amz-Security-Token", cr->session_token };
    hh[n++] = (struct hg_http_header){ "Authorization", sig.authorization };
    struct hg_http_request req = { .method = "POST", .url = g->url, .headers = hh, .nheaders = n,
                                   .body = body->data, .body_len = body->len,
                                   .max_response = HGC_GLUE_RUNS_MAX_RESPONSE };
    enum hg_http_result hr = hg_http_perform(g->http, &req, resp, err, sizeof err);
    if (hr != HG_HTTP_OK) {
        hgc_err_set(e, hgc_retry_classify_http(hr, 0), "glue_runs_http", "GetJobRuns: %s", err);
        goto out;
    }
    if (resp->status != 200) {
        hgc_err_set(e, hgc_retry_classify_http(hr, resp->status), "glue_runs_status",
                    "GetJobRuns: HTTP %ld", resp->status);
        if (resp->status == 400 && resp->body.data && strstr(resp->body.data, "Throttling"))
            e->cls = HGC_TRANSIENT;
        goto out;
    }
    rc = 0;
out:
    OPENSSL_cleanse(&sig, sizeof sig);
    if (cr) {
        hg_aws_creds_wipe(cr);
        free(cr);
    }
    return rc;
}

int hgc_glue_runs_find(struct hgc_glue_runs *g, const char *job, const char *arg,
                       const char *value, char *run_id, size_t run_id_size, struct hgc_err *e)
{
    struct hg_buf body;
    struct hg_http_response resp = { 0 };
    char *next = NULL;
    int rc = -1;
    hg_buf_init(&body, HGC_MARKER_MAX + 1024);
    for (unsigned page = 0; page < HGC_GLUE_RUN_PAGES; page++) {
        hg_buf_reset(&body);
        if (hg_buf_append_str(&body, "{\"JobName\":\"") ||
            hg_buf_append_json_str(&body, job, strlen(job)) ||
            hg_buf_append_str(&body, "\",\"MaxResults\":200") ||
            (next && (hg_buf_append_str(&body, ",\"NextToken\":\"") ||
                      hg_buf_append_json_str(&body, next, strlen(next)) ||
                      hg_buf_append_str(&body, "\""))) ||
            hg_buf_append_str(&body, "}")) {
            hgc_err_set(e, HGC_PERMANENT, "glue_runs_request", "GetJobRuns request too long");
            goto out;
        }
        free(next);
        next = NULL;
        if (get_job_runs(g, &body, &resp, e))
            goto out;
        int r = hgc_glue_runs_scan(resp.body.data ? resp.body.data : "", resp.body.len, arg, value,
                                   run_id, run_id_size, &next);
        if (r < 0) {
            hgc_err_set(e, HGC_TRANSIENT, "glue_runs_bad_answer", "GetJobRuns: not a JobRuns answer");
            goto out;
        }
        if (r == 1 || !next) {
            rc = r;
            goto out;
        }
    }
    rc = 0;
out:
    free(next);
    hg_http_response_cleanup(&resp);
    hg_buf_cleanup(&body);
    return rc;
}

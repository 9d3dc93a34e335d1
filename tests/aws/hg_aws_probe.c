/* hg_aws_probe.c — test tool: performs one AWS-layer operation named on its
 * command line and prints the outcome as one JSON line (pytest drives it
 * against local servers). Never prints secrets: credentials are shown as
 * SHA-256 digests.
 *   hg-aws-probe sign < cases.json          SigV4 / presign many cases
 *   hg-aws-probe creds [N [SLEEP_MS]]       the default chain, N gets
 *   hg-aws-probe creds-threads T N          T threads, N gets each
 *   hg-aws-probe s3-put BUCKET KEY FILE|- [--if-none-match] [--if-match ETAG] [--part-size N]
 *   hg-aws-probe s3-head|s3-get|s3-get-stream|s3-delete BUCKET KEY
 *   hg-aws-probe glue-start JOB [NAME VALUE]...
 *   hg-aws-probe glue-get JOB
 *   hg-aws-probe s3-list BUCKET PREFIX [DELIMITER [MAX_KEYS]]   (HG_PROBE_LIST_PAGE: page size)
 *   hg-aws-probe glue-call OP [JSON]
 *   hg-aws-probe msk-token REGION NOW
 *   hg-aws-probe http-get URL [--timeout-ms N] [--max N] [--retry N] [--follow 1]
 *   hg-aws-probe http-put URL FILE [ATTEMPTS]   streamed body, rewound on retry
 * Settings: the AWS_* variables; HG_PROBE_ATTEMPTS, HG_PROBE_BASE_MS,
 * HG_PROBE_TIMEOUT_MS tune retries and timeouts. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <yajl/yajl_tree.h>

#include "common/aws/clock.h"
#include "common/aws/creds.h"
#include "common/aws/glue.h"
#include "common/aws/msk_iam.h"
#include "common/aws/s3.h"
#include "common/aws/sigv4.h"
#include "common/buf.h"
#include "common/http_client.h"
#include "common/log.h"

extern char **environ;

static struct hg_buf out;

static void jkey(const char *k)
{
    hg_buf_appendf(&out, "%s\"%s\":", out.len > 1 ? "," : "", k);
}

static void jstr(const char *k, const char *v)
{
    jkey(k);
    hg_buf_append(&out, "\"", 1);
    hg_buf_append_json_str(&out, v ? v : "", v ? strlen(v) : 0);
    hg_buf_append(&out, "\"", 1);
}

static void jint(const char *k, long long v)
{
    jkey(k);
    hg_buf_appendf(&out, "%lld", v);
}

static void jraw(const char *k, const char *json)
{
    jkey(k);
    hg_buf_append_str(&out, json ? json : "null");
}

static void jerr(const struct hg_aws_error *e)
{
    jkey("error");
    hg_buf_appendf(&out, "{\"class\":\"%s\",\"status\":%ld,\"code\":\"", hg_aws_err_class_str(e->cls),
                   e->status);
    hg_buf_append_json_str(&out, e->code, strlen(e->code));
    hg_buf_append_str(&out, "\",\"message\":\"");
    hg_buf_append_json_str(&out, e->message, strlen(e->message));
    hg_buf_append_str(&out, "\"}");
}

static int finish(int rc)
{
    jint("rc", rc);
    hg_buf_append_str(&out, "}\n");
    fwrite(out.data, 1, out.len, stdout);
    fflush(stdout);
    hg_buf_cleanup(&out);
    return rc < 0 ? 1 : 0;
}

static long env_long(const char *name, long def)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return def;
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno || *end || n < 0)
        return def;
    return (long)n;
}

static struct hg_retry_policy policy(void)
{
    struct hg_retry_policy p = {
        .max_attempts = (int)env_long("HG_PROBE_ATTEMPTS", 4),
        .base_ms = env_long("HG_PROBE_BASE_MS", 50),
        .max_backoff_ms = 2000,
    };
    return p;
}

static const char *ystr(yajl_val o, const char *k)
{
    const char *path[] = { k, NULL };
    yajl_val v = yajl_tree_get(o, path, yajl_t_string);
    return v ? YAJL_GET_STRING(v) : NULL;
}

static long long yint(yajl_val o, const char *k, long long def)
{
    const char *path[] = { k, NULL };
    yajl_val v = yajl_tree_get(o, path, yajl_t_number);
    return v && YAJL_IS_INTEGER(v) ? YAJL_GET_INTEGER(v) : def;
}

static bool ybool(yajl_val o, const char *k)
{
    const char *path[] = { k, NULL };
    yajl_val v = yajl_tree_get(o, path, yajl_t_any);
    return v && YAJL_IS_TRUE(v);
}

/* Sign every case of a JSON array read from stdin; print a JSON array. */
static int cmd_sign(void)
{
    struct hg_buf in;
    char ebuf[256], err[256];
    int rc = 1;
    yajl_val root = NULL;
    hg_buf_init(&in, 64u * 1024u * 1024u);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0)
        if (hg_buf_append(&in, chunk, n) != 0)
            goto out;
    root = yajl_tree_parse(in.data ? in.data : "", ebuf, sizeof ebuf);
    if (!root || !YAJL_IS_ARRAY(root)) {
        fprintf(stderr, "sign: want a JSON array: %s\n", ebuf);
        goto out;
    }
    struct hg_buf res;
    hg_buf_init(&res, 256u * 1024u * 1024u);
    hg_buf_append_str(&res, "[");
    for (size_t i = 0; i < YAJL_GET_ARRAY(root)->len; i++) {
        yajl_val c = YAJL_GET_ARRAY(root)->values[i];
        struct hg_aws_creds cr;
        memset(&cr, 0, sizeof cr);
        snprintf(cr.access_key_id, sizeof cr.access_key_id, "%s", ystr(c, "akid") ? ystr(c, "akid") : "");
        snprintf(cr.secret_access_key, sizeof cr.secret_access_key, "%s", ystr(c, "secret") ? ystr(c, "secret") : "");
        snprintf(cr.session_token, sizeof cr.session_token, "%s", ystr(c, "token") ? ystr(c, "token") : "");
        struct hg_http_header hh[128];
        size_t nh = 0;
        const char *hp[] = { "headers", NULL };
        yajl_val hs = yajl_tree_get(c, hp, yajl_t_array);
        for (size_t j = 0; hs && j < YAJL_GET_ARRAY(hs)->len && nh < 128; j++) {
            yajl_val pair = YAJL_GET_ARRAY(hs)->values[j];
            if (!YAJL_IS_ARRAY(pair) || YAJL_GET_ARRAY(pair)->len != 2)
                continue;
            hh[nh].name = YAJL_GET_STRING(YAJL_GET_ARRAY(pair)->values[0]);
            hh[nh].value = YAJL_GET_STRING(YAJL_GET_ARRAY(pair)->values[1]);
            nh++;
        }
        const char *body = ystr(c, "body");
        struct hg_sigv4_request r = {
            .method = ystr(c, "method"), .host = ystr(c, "host"), .path = ystr(c, "path"),
            .query = ystr(c, "query"), .headers = hh, .nheaders = nh,
            .body = body, .body_len = body ? strlen(body) : 0,
            .payload_hash = ystr(c, "payload_hash"), .region = ystr(c, "region"),
            .service = ystr(c, "service"), .now = yint(c, "now", 0),
            .flags = (ybool(c, "s3") ? HG_SIGV4_S3 : 0u) |
                     (ybool(c, "content_sha256") ? HG_SIGV4_CONTENT_SHA256 : 0u),
        };
        long long presign = yint(c, "presign", 0);
        hg_buf_append_str(&res, i ? ",{" : "{");
        if (presign) {
            struct hg_buf q;
            hg_buf_init(&q, 1u << 20);
            if (hg_sigv4_presign(&cr, &r, (long)presign, &q, err, sizeof err) == 0) {
                hg_buf_append_str(&res, "\"query\":\"");
                hg_buf_append_json_str(&res, q.data, q.len);
                hg_buf_append_str(&res, "\"");
            } else {
                hg_buf_append_str(&res, "\"error\":\"");
                hg_buf_append_json_str(&res, err, strlen(err));
                hg_buf_append_str(&res, "\"");
            }
            hg_buf_cleanup(&q);
        } else {
            struct hg_sigv4_signed s;
            struct hg_buf creq;
            hg_buf_init(&creq, 1u << 20);
            if (hg_sigv4_sign(&cr, &r, &s, &creq, err, sizeof err) == 0) {
                hg_buf_appendf(&res, "\"signature\":\"%s\",\"amz_date\":\"%s\",\"authorization\":\"",
                               s.signature, s.amz_date);
                hg_buf_append_json_str(&res, s.authorization, strlen(s.authorization));
                hg_buf_append_str(&res, "\",\"creq\":\"");
                hg_buf_append_json_str(&res, creq.data, creq.len);
                hg_buf_append_str(&res, "\"");
            } else {
                hg_buf_append_str(&res, "\"error\":\"");
                hg_buf_append_json_str(&res, err, strlen(err));
                hg_buf_append_str(&res, "\"");
            }
            hg_buf_cleanup(&creq);
        }
        hg_buf_append_str(&res, "}");
    }
    hg_buf_append_str(&res, "]\n");
    fwrite(res.data, 1, res.len, stdout);
    hg_buf_cleanup(&res);
    rc = 0;
out:
    yajl_tree_free(root);
    hg_buf_cleanup(&in);
    return rc;
}

static int cmd_creds(int argc, char **argv)
{
    char err[2048];
    int n = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 1;
    long sleep_ms = argc > 3 ? strtol(argv[3], NULL, 10) : 0;
    struct hg_aws_creds c;
    int rc = -1;
    struct hg_aws_creds_provider *p = hg_aws_creds_provider_from_env(environ, err, sizeof err);
    if (!p) {
        jstr("setup_error", err);
        return finish(-1);
    }
    hg_buf_append_str(&out, "");
    jkey("gets");
    hg_buf_append_str(&out, "[");
    for (int i = 0; i < n; i++) {
        if (i)
            hg_sleep_ms(sleep_ms);
        rc = hg_aws_creds_get(p, &c, err, sizeof err);
        hg_buf_append_str(&out, i ? ",{" : "{");
        if (rc == 0) {
            char sh[65], th[65];
            hg_sigv4_sha256_hex(c.secret_access_key, strlen(c.secret_access_key), sh);
            hg_sigv4_sha256_hex(c.session_token, strlen(c.session_token), th);
            hg_buf_appendf(&out, "\"source\":\"%s\",\"access_key_id\":\"", hg_aws_creds_source(p));
            hg_buf_append_json_str(&out, c.access_key_id, strlen(c.access_key_id));
            hg_buf_appendf(&out, "\",\"secret_sha256\":\"%s\",\"token_sha256\":\"%s\","
                                 "\"has_token\":%s,\"expiration\":%lld}",
                           sh, th, c.session_token[0] ? "true" : "false", (long long)c.expiration);
        } else {
            hg_buf_append_str(&out, "\"error\":\"");
            hg_buf_append_json_str(&out, err, strlen(err));
            hg_buf_append_str(&out, "\"}");
        }
        hg_aws_creds_wipe(&c);
    }
    hg_buf_append_str(&out, "]");
    hg_aws_creds_provider_destroy(p);
    return finish(rc);
}

struct creds_thread {
    struct hg_aws_creds_provider *p;
    int n;
    int failures;
};

static void *creds_thread_main(void *ud)
{
    struct creds_thread *t = ud;
    char err[2048];
    struct hg_aws_creds c;
    for (int i = 0; i < t->n; i++) {
        if (hg_aws_creds_get(t->p, &c, err, sizeof err) != 0 || !c.access_key_id[0] ||
            !c.secret_access_key[0])
            t->failures++;
        hg_aws_creds_wipe(&c);
    }
    return NULL;
}

/* T threads doing N gets each on one provider. */
static int cmd_creds_threads(int argc, char **argv)
{
    char err[2048];
    int nt = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 4;
    int n = argc > 3 ? (int)strtol(argv[3], NULL, 10) : 10;
    struct creds_thread t[16];
    pthread_t th[16];
    int failures = 0;
    if (nt < 1 || nt > 16) {
        jstr("usage", "creds-threads T(1..16) N");
        return finish(-1);
    }
    struct hg_aws_creds_provider *p = hg_aws_creds_provider_from_env(environ, err, sizeof err);
    if (!p) {
        jstr("setup_error", err);
        return finish(-1);
    }
    for (int i = 0; i < nt; i++) {
        t[i] = (struct creds_thread){ p, n, 0 };
        pthread_create(&th[i], NULL, creds_thread_main, &t[i]);
    }
    for (int i = 0; i < nt; i++) {
        pthread_join(th[i], NULL);
        failures += t[i].failures;
    }
    jint("failures", failures);
    jstr("source", hg_aws_creds_source(p));
    hg_aws_creds_provider_destroy(p);
    return finish(failures ? -1 : 0);
}

static size_t file_read(void *ud, char *buf, size_t len)
{
    FILE *f = ud;
    size_t n = fread(buf, 1, len, f);
    if (n == 0 && ferror(f))
        return HG_HTTP_READ_ABORT;
    return n;
}

/* Streamed download: count and hash, abort past HG_PROBE_ABORT_AT bytes. */
struct stream_sink {
    EVP_MD_CTX *md;
    long long n;
    long long abort_at;
    int calls;
};

static int stream_write(void *ud, const char *d, size_t n)
{
    struct stream_sink *s = ud;
    s->calls++;
    s->n += (long long)n;
    EVP_DigestUpdate(s->md, d, n);
    return s->abort_at > 0 && s->n > s->abort_at ? -1 : 0;
}

/* s3-list: each key as a JSON string into a JSON array under way. */
static int list_key(void *ud, const char *key, int64_t size)
{
    struct hg_buf *b = ud;
    (void)size;
    int x = hg_buf_append_str(b, b->len > 1 ? ",\"" : "\"");
    x |= hg_buf_append_json_str(b, key, strlen(key));
    x |= hg_buf_append_str(b, "\"");
    return x ? -1 : 0;
}

static int cmd_s3(int argc, char **argv)
{
    char err[1024];
    struct hg_aws_error e;
    struct hg_s3_object_info info;
    int rc = -1;
    const char *op = argv[1];
    struct hg_s3 *s3 = NULL;
    struct hg_aws_creds_provider *p = NULL;
    FILE *f = NULL;
    struct hg_buf body;

    hg_buf_init(&body, (size_t)env_long("HG_PROBE_MAX", 1 << 20));
    memset(&info, 0, sizeof info);
    hg_aws_error_clear(&e);
    if (argc < 4) {
        jstr("usage", "s3-* BUCKET KEY ...");
        goto out;
    }
    p = hg_aws_creds_provider_from_env(environ, err, sizeof err);
    if (!p) {
        jstr("setup_error", err);
        goto out;
    }
    char region[HG_AWS_REGION_MAX];
    if (hg_aws_region_from_env(environ, region, sizeof region) != 0) {
        jstr("setup_error", "no region");
        goto out;
    }
    const char *ep = getenv("AWS_ENDPOINT_URL_S3");
    if (!ep || !*ep)
        ep = getenv("AWS_ENDPOINT_URL");
    struct hg_s3_config cfg = {
        .region = region, .endpoint = ep, .creds = p, .retry = policy(),
        .timeout_ms = env_long("HG_PROBE_TIMEOUT_MS", 0),
        .part_size = (size_t)env_long("HG_PROBE_PART_SIZE", 0),
        .list_page_keys = (size_t)env_long("HG_PROBE_LIST_PAGE", 0),
    };
    s3 = hg_s3_create(&cfg, err, sizeof err);
    if (!s3) {
        jstr("setup_error", err);
        goto out;
    }
    struct hg_s3_put_opts po = { .content_type = "text/csv" };
    for (int i = 4; i < argc; i++) {
        if (strcmp(argv[i], "--if-none-match") == 0)
            po.if_none_match = true;
        if (strcmp(argv[i], "--if-match") == 0 && i + 1 < argc)
            po.if_match = argv[++i];
    }
    if (strcmp(op, "s3-put") == 0) {
        if (argc < 5) {
            jstr("usage", "s3-put BUCKET KEY FILE");
            goto out;
        }
        f = strcmp(argv[4], "-") == 0 ? stdin : fopen(argv[4], "rb");
        if (!f) {
            jstr("setup_error", "cannot open the file");
            goto out;
        }
        rc = hg_s3_put_stream(s3, argv[2], argv[3], file_read, f, &po, &info, &e);
        jstr("etag", info.etag);
        jint("size", info.size);
    } else if (strcmp(op, "s3-put-get") == 0) {
        /* One process, two requests: the GET signs with whatever clock
         * skew the PUT learned. */
        if (argc < 5) {
            jstr("usage", "s3-put-get BUCKET KEY FILE");
            goto out;
        }
        f = fopen(argv[4], "rb");
        if (!f) {
            jstr("setup_error", "cannot open the file");
            goto out;
        }
        rc = hg_s3_put_stream(s3, argv[2], argv[3], file_read, f, &po, &info, &e);
        jint("put_rc", rc);
        jint("skew_after_put", hg_aws_clock_skew());
        if (rc == 0) {
            rc = hg_s3_get(s3, argv[2], argv[3], &body, &info, &e);
            char sh[65];
            hg_sigv4_sha256_hex(body.data, body.len, sh);
            jstr("sha256", sh);
        }
        jint("skew", hg_aws_clock_skew());
    } else if (strcmp(op, "s3-head") == 0) {
        rc = hg_s3_head(s3, argv[2], argv[3], &info, &e);
        jstr("etag", info.etag);
        jint("size", info.size);
    } else if (strcmp(op, "s3-get") == 0) {
        rc = hg_s3_get(s3, argv[2], argv[3], &body, &info, &e);
        char sh[65];
        hg_sigv4_sha256_hex(body.data, body.len, sh);
        jstr("sha256", sh);
        jint("len", (long long)body.len);
        jstr("etag", info.etag);
    } else if (strcmp(op, "s3-get-stream") == 0) {
        struct stream_sink sk = { EVP_MD_CTX_new(), 0, env_long("HG_PROBE_ABORT_AT", 0), 0 };
        unsigned char md[32];
        unsigned int mdl = 0;
        char sh[65];
        EVP_DigestInit_ex(sk.md, EVP_sha256(), NULL);
        rc = hg_s3_get_stream(s3, argv[2], argv[3], stream_write, &sk, &info, &e);
        EVP_DigestFinal_ex(sk.md, md, &mdl);
        EVP_MD_CTX_free(sk.md);
        for (unsigned i = 0; i < 32; i++)
            snprintf(sh + 2 * i, 3, "%02x", md[i]);
        jstr("sha256", sh);
        jint("len", sk.n);
        jint("calls", sk.calls);
    } else if (strcmp(op, "s3-delete") == 0) {
        rc = hg_s3_delete(s3, argv[2], argv[3], &e);
    } else if (strcmp(op, "s3-list") == 0) {
        bool more = false;
        hg_buf_append_str(&body, "[");
        rc = hg_s3_list(s3, argv[2], argv[3], argc > 4 && *argv[4] ? argv[4] : NULL,
                        argc > 5 ? (size_t)atol(argv[5]) : 0, list_key, &body, &more, &e);
        hg_buf_append_str(&body, "]");
        jraw("keys", body.data);
        jint("more", more);
    } else {
        jstr("usage", "unknown s3 op");
    }
out:
    if (rc != 0)
        jerr(&e);
    if (f && f != stdin)
        fclose(f);
    hg_buf_cleanup(&body);
    hg_s3_destroy(s3);
    hg_aws_creds_provider_destroy(p);
    return finish(rc);
}

static int cmd_glue(int argc, char **argv)
{
    char err[1024], run_id[HG_GLUE_RUN_ID_MAX];
    struct hg_aws_error e;
    struct hg_glue *g = NULL;
    struct hg_aws_creds_provider *p = NULL;
    int rc = -1;

    hg_aws_error_clear(&e);
    if (argc < 3) {
        jstr("usage", "glue-* JOB");
        goto out;
    }
    p = hg_aws_creds_provider_from_env(environ, err, sizeof err);
    if (!p) {
        jstr("setup_error", err);
        goto out;
    }
    char region[HG_AWS_REGION_MAX];
    if (hg_aws_region_from_env(environ, region, sizeof region) != 0) {
        jstr("setup_error", "no region");
        goto out;
    }
    const char *ep = getenv("AWS_ENDPOINT_URL_GLUE");
    if (!ep || !*ep)
        ep = getenv("AWS_ENDPOINT_URL");
    struct hg_glue_config cfg = { .region = region, .endpoint = ep, .creds = p,
                                  .retry = policy(), .timeout_ms = env_long("HG_PROBE_TIMEOUT_MS", 0) };
    g = hg_glue_create(&cfg, err, sizeof err);
    if (!g) {
        jstr("setup_error", err);
        goto out;
    }
    if (strcmp(argv[1], "glue-start") == 0) {
        rc = hg_glue_start_job_run(g, argv[2], (const char *const *)(argv + 3), run_id,
                                   sizeof run_id, &e);
        if (rc == 0)
            jstr("run_id", run_id);
    } else if (strcmp(argv[1], "glue-call") == 0) {
        struct hg_buf resp;
        hg_buf_init(&resp, 65536);
        const char *body = argc > 3 ? argv[3] : NULL;
        rc = hg_glue_call(g, argv[2], body, body ? strlen(body) : 0, &resp, &e);
        if (rc == 0)
            jstr("response", resp.data ? resp.data : "");
        hg_buf_cleanup(&resp);
    } else {
        rc = hg_glue_get_job(g, argv[2], &e);
    }
    jint("skew", hg_aws_clock_skew());
out:
    if (rc != 0)
        jerr(&e);
    hg_glue_destroy(g);
    hg_aws_creds_provider_destroy(p);
    return finish(rc);
}

static int cmd_msk(int argc, char **argv)
{
    char err[1024];
    char *token = NULL;
    int64_t life = 0;
    int rc = -1;
    struct hg_aws_creds_provider *p = hg_aws_creds_provider_from_env(environ, err, sizeof err);
    if (!p || argc < 4) {
        jstr("setup_error", p ? "usage: msk-token REGION NOW" : err);
        goto out;
    }
    rc = hg_msk_iam_token(p, argv[2], NULL, strtoll(argv[3], NULL, 10), &token, &life,
                          err, sizeof err);
    if (rc == 0) {
        jstr("token", token);   /* a test credential: the test decodes it */
        jint("lifetime_ms", life);
    } else {
        jstr("error", err);
    }
out:
    free(token);
    hg_aws_creds_provider_destroy(p);
    return finish(rc);
}

static int cmd_http(int argc, char **argv)
{
    char err[512];
    long timeout = 0, retries = 1;
    size_t max = 0;
    bool follow = false;
    for (int i = 3; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--timeout-ms") == 0)
            timeout = strtol(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--max") == 0)
            max = (size_t)strtoll(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--retry") == 0)
            retries = strtol(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--follow") == 0)
            follow = strcmp(argv[i + 1], "1") == 0;
    }
    struct hg_http_client *c = hg_http_client_create(NULL, err, sizeof err);
    if (!c) {
        jstr("setup_error", err);
        return finish(-1);
    }
    struct hg_http_request req = { .method = "GET", .url = argv[2], .timeout_ms = timeout,
                                   .max_response = max, .follow_redirects = follow };
    struct hg_http_response resp;
    memset(&resp, 0, sizeof resp);
    struct hg_retry_policy pol = policy();
    pol.max_attempts = (int)retries;
    int attempts = 0;
    int64_t t0 = 0;
    {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        t0 = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    }
    enum hg_http_result r = hg_http_perform_retry(c, &req, &resp, &pol, NULL, NULL, &attempts,
                                                  err, sizeof err);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    jstr("result", hg_http_result_str(r));
    jint("status", resp.status);
    jint("attempts", attempts);
    jint("elapsed_ms", (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 - t0);
    jint("body_len", (long long)resp.body.len);
    jstr("body", resp.body.len < 256 && resp.body.data ? resp.body.data : "");
    const char *et = hg_http_response_header(&resp, "etag");
    jstr("etag", et);
    if (r != HG_HTTP_OK)
        jstr("message", err);
    hg_http_response_cleanup(&resp);
    hg_http_client_destroy(c);
    return finish(r == HG_HTTP_OK ? 0 : -1);
}

static int file_rewind(void *ud)
{
    return fseek((FILE *)ud, 0, SEEK_SET) == 0 ? 0 : -1;
}

/* PUT a file as a streamed body (read callback + rewind for retries). */
static int cmd_http_put(int argc, char **argv)
{
    char err[512];
    long retries = argc > 4 ? strtol(argv[4], NULL, 10) : 1;
    FILE *f = fopen(argv[3], "rb");
    if (!f) {
        jstr("setup_error", "cannot open the file");
        return finish(-1);
    }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    struct hg_http_client *c = hg_http_client_create(NULL, err, sizeof err);
    if (!c) {
        fclose(f);
        jstr("setup_error", err);
        return finish(-1);
    }
    struct hg_http_header h[] = { { "Content-Type", "application/octet-stream" } };
    struct hg_http_request req = { .method = "PUT", .url = argv[2], .headers = h, .nheaders = 1,
                                   .read_fn = file_read, .rewind_fn = file_rewind, .read_ud = f,
                                   .body_size = size };
    struct hg_http_response resp;
    memset(&resp, 0, sizeof resp);
    struct hg_retry_policy pol = policy();
    pol.max_attempts = (int)retries;
    int attempts = 0;
    enum hg_http_result r = hg_http_perform_retry(c, &req, &resp, &pol, NULL, NULL, &attempts,
                                                  err, sizeof err);
    jstr("result", hg_http_result_str(r));
    jint("status", resp.status);
    jint("attempts", attempts);
    if (r != HG_HTTP_OK)
        jstr("message", err);
    hg_http_response_cleanup(&resp);
    hg_http_client_destroy(c);
    fclose(f);
    return finish(r == HG_HTTP_OK ? 0 : -1);
}

int main(int argc, char **argv)
{
    hg_log_setup("hg-aws-probe", HG_LOG_DEBUG);
    hg_buf_init(&out, 1u << 20);
    hg_buf_append_str(&out, "{");
    if (argc < 2) {
        fprintf(stderr, "usage: hg-aws-probe sign|creds|s3-*|glue-*|msk-token|http-get ...\n");
        hg_buf_cleanup(&out);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "sign") == 0) {
        hg_buf_cleanup(&out);
        return cmd_sign();
    }
    if (strcmp(cmd, "creds") == 0)
        return cmd_creds(argc, argv);
    if (strcmp(cmd, "creds-threads") == 0)
        return cmd_creds_threads(argc, argv);
    if (strncmp(cmd, "s3-", 3) == 0)
        return cmd_s3(argc, argv);
    if (strncmp(cmd, "glue-", 5) == 0)
        return cmd_glue(argc, argv);
    if (strcmp(cmd, "msk-token") == 0)
        return cmd_msk(argc, argv);
    if (strcmp(cmd, "http-get") == 0 && argc >= 3)
        return cmd_http(argc, argv);
    if (strcmp(cmd, "http-put") == 0 && argc >= 4)
        return cmd_http_put(argc, argv);
    fprintf(stderr, "hg-aws-probe: unknown command %s\n", cmd);
    hg_buf_cleanup(&out);
    return 2;
}

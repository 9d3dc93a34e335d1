/* creds.c — the AWS credential provider chain (environment, web identity,
 * shared files, container, IMDSv2), cached and refreshed under a mutex.
 * Facts: protocols.md §9 —
 * https://docs.aws.amazon.com/sdkref/latest/guide/standardized-credentials.html
 * https://docs.aws.amazon.com/sdkref/latest/guide/feature-container-credentials.html
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-data-retrieval.html
 * https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html */
#include "common/aws/creds.h"
#include "common/json.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/crypto.h>
#include <yajl/yajl_tree.h>

#include "common/aws/clock.h"
#include "common/aws/sigv4.h"
#include "common/aws/xml.h"
#include "common/buf.h"
#include "common/http_client.h"

extern char **environ;

#define CREDS_HTTP_TIMEOUT_MS 5000L
#define IMDS_TIMEOUT_MS       2000L
#define CREDS_ERR_MAX         2048u
/* After a failed refresh, callers holding still-valid cached credentials
 * use them for this long before the chain is tried again. */
#define CREDS_REFRESH_BACKOFF_MS 5000L

enum src { SRC_NONE = 0, SRC_STATIC, SRC_ENV, SRC_WEB, SRC_FILE, SRC_CONTAINER, SRC_IMDS };

struct hg_aws_creds_provider {
    pthread_mutex_t mu;           /* guards the fields up to source; never held
                                     across a network call */
    pthread_cond_t refreshed;     /* broadcast when a refresh ends */
    bool is_static;
    struct hg_aws_creds cached;
    bool have;
    bool refreshing;              /* one thread runs the chain, unlocked */
    uint64_t refresh_gen;         /* refreshes ended so far */
    int64_t backoff_until_ms;     /* monotonic; 0 = none */
    char last_err[CREDS_ERR_MAX]; /* the last failed refresh's error (no secrets) */
    enum src source;
    struct hg_http_client *http;
    /* Settings captured from the environment at creation. */
    char *env_akid, *env_secret, *env_token;
    char *web_token_file, *role_arn, *role_session;
    char *sts_endpoint;
    char *cred_file, *config_file, *profile;
    bool profile_explicit;
    char *container_url;          /* full URL to GET */
    char *container_token, *container_token_file;
    char *imds_endpoint;
    bool imds_disabled;
};

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

const char *hg_aws_getenv(char **envp, const char *name)
{
    size_t n = strlen(name);
    if (!envp)
        envp = environ;
    for (; envp && *envp; envp++) {
        if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
            return (*envp)[n + 1] ? *envp + n + 1 : NULL;
    }
    return NULL;
}

void hg_aws_creds_wipe(struct hg_aws_creds *c)
{
    if (c)
        OPENSSL_cleanse(c, sizeof *c);
}

/* Is the http URL's host one the container provider may use over plain
 * http (loopback, ECS 169.254.170.2, EKS 169.254.170.23 / fd00:ec2::23)? */
static bool container_host_ok(const char *url)
{
    char host[256];
    if (hg_http_url_host(url, host, sizeof host) != 0)
        return false;
    if (strncmp(url, "https://", 8) == 0)
        return true;
    if (strncmp(url, "http://", 7) != 0)
        return false;
    return hg_http_url_loopback(url) || strcmp(host, "169.254.170.2") == 0 ||
           strcmp(host, "169.254.170.23") == 0 || strcasecmp(host, "fd00:ec2::23") == 0;
}

struct hg_aws_creds_provider *hg_aws_creds_provider_from_env(char **envp,
                                                             char *errstr, size_t errstr_size)
{
    struct hg_aws_creds_provider *p = calloc(1, sizeof *p);
    char home_cred[1024], home_conf[1024];
    const char *v;

    if (!p) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->refreshed, NULL);
    const char *home = hg_aws_getenv(envp, "HOME");
    snprintf(home_cred, sizeof home_cred, "%s/.aws/credentials", home ? home : "");
    snprintf(home_conf, sizeof home_conf, "%s/.aws/config", home ? home : "");

    p->env_akid = dup_or_null(hg_aws_getenv(envp, "AWS_ACCESS_KEY_ID"));
    p->env_secret = dup_or_null(hg_aws_getenv(envp, "AWS_SECRET_ACCESS_KEY"));
    p->env_token = dup_or_null(hg_aws_getenv(envp, "AWS_SESSION_TOKEN"));
    p->web_token_file = dup_or_null(hg_aws_getenv(envp, "AWS_WEB_IDENTITY_TOKEN_FILE"));
    p->role_arn = dup_or_null(hg_aws_getenv(envp, "AWS_ROLE_ARN"));
    v = hg_aws_getenv(envp, "AWS_ROLE_SESSION_NAME");
    p->role_session = strdup(v ? v : "hookgate");
    v = hg_aws_getenv(envp, "AWS_ENDPOINT_URL_STS");
    if (!v)
        v = hg_aws_getenv(envp, "AWS_ENDPOINT_URL");
    if (v) {
        p->sts_endpoint = strdup(v);
    } else {
        const char *r = hg_aws_getenv(envp, "AWS_REGION");
        if (!r)
            r = hg_aws_getenv(envp, "AWS_DEFAULT_REGION");
        char u[HG_AWS_URL_MAX];
        if (r)
            snprintf(u, sizeof u, "https://sts.%s.amazonaws.com", r);
        else
            snprintf(u, sizeof u, "https://sts.amazonaws.com");
        p->sts_endpoint = strdup(u);
    }
    v = hg_aws_getenv(envp, "AWS_SHARED_CREDENTIALS_FILE");
    p->cred_file = strdup(v ? v : home_cred);
    v = hg_aws_getenv(envp, "AWS_CONFIG_FILE");
    p->config_file = strdup(v ? v : home_conf);
    v = hg_aws_getenv(envp, "AWS_PROFILE");
    p->profile_explicit = v != NULL;
    p->profile = strdup(v ? v : "default");

    const char *rel = hg_aws_getenv(envp, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    const char *full = hg_aws_getenv(envp, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
    if (rel) {
        char u[HG_AWS_URL_MAX];
        int n = snprintf(u, sizeof u, "http://169.254.170.2%s%s", rel[0] == '/' ? "" : "/", rel);
        if (n < 0 || (size_t)n >= sizeof u) {
            snprintf(errstr, errstr_size, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is too long");
            goto fail;
        }
        p->container_url = strdup(u);
    } else if (full) {
        if (strlen(full) >= HG_AWS_URL_MAX || !container_host_ok(full)) {
            snprintf(errstr, errstr_size,
                     "AWS_CONTAINER_CREDENTIALS_FULL_URI must be https, or http to a loopback, "
                     "169.254.170.2, 169.254.170.23 or fd00:ec2::23 host");
            goto fail;
        }
        p->container_url = strdup(full);
    }
    p->container_token_file = dup_or_null(hg_aws_getenv(envp, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"));
    p->container_token = dup_or_null(hg_aws_getenv(envp, "AWS_CONTAINER_AUTHORIZATION_TOKEN"));
    v = hg_aws_getenv(envp, "AWS_EC2_METADATA_SERVICE_ENDPOINT");
    p->imds_endpoint = strdup(v ? v : "http://169.254.169.254");
    v = hg_aws_getenv(envp, "AWS_EC2_METADATA_DISABLED");
    p->imds_disabled = v && strcasecmp(v, "true") == 0;

    if (!p->role_session || !p->sts_endpoint || !p->cred_file || !p->config_file ||
        !p->profile || !p->imds_endpoint || ((rel || full) && !p->container_url)) {
        snprintf(errstr, errstr_size, "out of memory");
        goto fail;
    }
    struct hg_http_client_opts o = { .timeout_ms = CREDS_HTTP_TIMEOUT_MS,
                                     .connect_timeout_ms = 2000,
                                     .max_response = HG_AWS_CREDS_DOC_MAX };
    p->http = hg_http_client_create(&o, errstr, errstr_size);
    if (!p->http)
        goto fail;
    return p;
fail:
    hg_aws_creds_provider_destroy(p);
    return NULL;
}

struct hg_aws_creds_provider *hg_aws_creds_provider_static(const struct hg_aws_creds *c)
{
    struct hg_aws_creds_provider *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->refreshed, NULL);
    p->is_static = true;
    p->cached = *c;
    p->have = true;
    p->source = SRC_STATIC;
    return p;
}

static void free_secret(char *s)
{
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

void hg_aws_creds_provider_destroy(struct hg_aws_creds_provider *p)
{
    if (!p)
        return;
    hg_http_client_destroy(p->http);
    free(p->env_akid);
    free_secret(p->env_secret);
    free_secret(p->env_token);
    free(p->web_token_file);
    free(p->role_arn);
    free(p->role_session);
    free(p->sts_endpoint);
    free(p->cred_file);
    free(p->config_file);
    free(p->profile);
    free(p->container_url);
    free_secret(p->container_token);
    free(p->container_token_file);
    free(p->imds_endpoint);
    hg_aws_creds_wipe(&p->cached);
    pthread_cond_destroy(&p->refreshed);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

void hg_aws_creds_invalidate(struct hg_aws_creds_provider *p)
{
    if (!p || p->is_static)
        return;
    pthread_mutex_lock(&p->mu);
    p->have = false;
    hg_aws_creds_wipe(&p->cached);
    pthread_mutex_unlock(&p->mu);
}

const char *hg_aws_creds_source(struct hg_aws_creds_provider *p)
{
    static const char *const names[] = { "none", "static", "environment", "web-identity",
                                         "shared-file", "container", "imds" };
    enum src s;
    pthread_mutex_lock(&p->mu);
    s = p->have ? p->source : SRC_NONE;
    pthread_mutex_unlock(&p->mu);
    return names[s];
}

/* ---- helpers ---------------------------------------------------------- */

static int set_field(char *dst, size_t n, const char *src, const char *what,
                     char *err, size_t errn)
{
    size_t l = src ? strlen(src) : 0;
    if (l >= n) {
        snprintf(err, errn, "%s too long", what);
        return -1;
    }
    memcpy(dst, src ? src : "", l + 1);
    return 0;
}

/* "2026-11-22T08:00:00Z", optional fraction, "Z" or "+00:00". -1 if bad. */
static int64_t parse_iso8601(const char *s)
{
    int Y, M, D, h, m, sec, used = 0;
    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &Y, &M, &D, &h, &m, &sec, &used) != 6)
        return -1;
    const char *t = s + used;
    if (*t == '.') {
        t++;
        while (*t >= '0' && *t <= '9')
            t++;
    }
    if (strcmp(t, "Z") != 0 && strcmp(t, "+00:00") != 0 && strcmp(t, "UTC") != 0)
        return -1;
    if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60)
        return -1;
    struct tm tm = { .tm_year = Y - 1900, .tm_mon = M - 1, .tm_mday = D,
                     .tm_hour = h, .tm_min = m, .tm_sec = sec };
    return (int64_t)timegm(&tm);
}

/* Read a small file, trimming trailing whitespace. NULL with err. */
static char *read_small(const char *path, size_t max, const char *what, char *err, size_t errn)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    if (!f) {
        snprintf(err, errn, "%s %s: %s", what, path, strerror(errno));
        return NULL;
    }
    buf = malloc(max + 1);
    if (!buf) {
        snprintf(err, errn, "out of memory");
        goto out;
    }
    size_t n = fread(buf, 1, max + 1, f);
    if (ferror(f)) {
        snprintf(err, errn, "%s %s: read error", what, path);
        free(buf);
        buf = NULL;
        goto out;
    }
    if (n > max) {
        snprintf(err, errn, "%s %s: larger than %zu bytes", what, path, max);
        OPENSSL_cleanse(buf, n);
        free(buf);
        buf = NULL;
        goto out;
    }
    while (n && isspace((unsigned char)buf[n - 1]))
        n--;
    buf[n] = '\0';
out:
    fclose(f);
    return buf;
}

static const char *jstr(yajl_val v)
{
    const char *s = v && YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : NULL;
    return s ? s : "";
}

int hg_aws_creds_parse_json(const char *doc, size_t len, struct hg_aws_creds *out,
                            char *err, size_t errn)
{
    char ebuf[128] = "";
    int rc = -1;
    /* hg_json_parse: its depth limit keeps a deeply nested answer from
     * exhausting the stack; its errors give offsets, never the bytes. */
    yajl_val root = hg_json_parse(doc, len, ebuf, sizeof ebuf);
    if (!root || !YAJL_IS_OBJECT(root)) {
        snprintf(err, errn, "response is not a JSON object%s%s", root ? "" : ": ", root ? "" : ebuf);
        goto out;
    }
    const char *pa[] = { "AccessKeyId", NULL }, *ps[] = { "SecretAccessKey", NULL },
               *pt[] = { "Token", NULL }, *pe[] = { "Expiration", NULL },
               *pc[] = { "Code", NULL }, *pm[] = { "Message", NULL };
    yajl_val code = yajl_tree_get(root, pc, yajl_t_string);
    if (code && strcmp(jstr(code), "Success") != 0) {
        yajl_val msg = yajl_tree_get(root, pm, yajl_t_string);
        snprintf(err, errn, "Code %.64s: %.200s", jstr(code),
                 jstr(msg));
        goto out;
    }
    yajl_val a = yajl_tree_get(root, pa, yajl_t_string);
    yajl_val s = yajl_tree_get(root, ps, yajl_t_string);
    yajl_val t = yajl_tree_get(root, pt, yajl_t_string);
    yajl_val e = yajl_tree_get(root, pe, yajl_t_string);
    if (!a || !s || !*jstr(a) || !*jstr(s)) {
        snprintf(err, errn, "response lacks AccessKeyId/SecretAccessKey");
        goto out;
    }
    if (set_field(out->access_key_id, sizeof out->access_key_id, jstr(a),
                  "AccessKeyId", err, errn) != 0 ||
        set_field(out->secret_access_key, sizeof out->secret_access_key, jstr(s),
                  "SecretAccessKey", err, errn) != 0 ||
        set_field(out->session_token, sizeof out->session_token, jstr(t),
                  "Token", err, errn) != 0)
        goto out;
    out->expiration = 0;
    if (e) {
        out->expiration = parse_iso8601(jstr(e));
        if (out->expiration < 0) {
            snprintf(err, errn, "bad Expiration");
            goto out;
        }
    }
    rc = 0;
out:
    yajl_tree_free(root);
    return rc;
}

/* ---- sources ---------------------------------------------------------- */

/* Each returns 1 when not configured (why in err), 0 with *out, -1 on error. */

static int from_env(struct hg_aws_creds_provider *p, struct hg_aws_creds *out,
                    char *err, size_t errn)
{
    if (!p->env_akid && !p->env_secret) {
        snprintf(err, errn, "AWS_ACCESS_KEY_ID not set");
        return 1;
    }
    if (!p->env_akid || !p->env_secret) {
        snprintf(err, errn, "%s set without %s",
                 p->env_akid ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                 p->env_akid ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
        return -1;
    }
    if (set_field(out->access_key_id, sizeof out->access_key_id, p->env_akid,
                  "AWS_ACCESS_KEY_ID", err, errn) != 0 ||
        set_field(out->secret_access_key, sizeof out->secret_access_key, p->env_secret,
                  "AWS_SECRET_ACCESS_KEY", err, errn) != 0 ||
        set_field(out->session_token, sizeof out->session_token, p->env_token,
                  "AWS_SESSION_TOKEN", err, errn) != 0)
        return -1;
    out->expiration = 0;
    return 0;
}

static int form_add(struct hg_buf *b, const char *k, const char *v)
{
    if (b->len && hg_buf_append(b, "&", 1) != 0)
        return -1;
    if (hg_buf_append_str(b, k) != 0 || hg_buf_append(b, "=", 1) != 0)
        return -1;
    return hg_sigv4_uri_encode(b, v, strlen(v), false);
}

static int from_web_identity(struct hg_aws_creds_provider *p, struct hg_aws_creds *out,
                             char *err, size_t errn)
{
    struct hg_buf body, url;
    struct hg_http_response resp;
    char *token = NULL;
    int rc = -1;

    if (!p->web_token_file || !p->role_arn) {
        snprintf(err, errn, "%s not set",
                 p->web_token_file ? "AWS_ROLE_ARN" : "AWS_WEB_IDENTITY_TOKEN_FILE");
        return 1;
    }
    memset(&resp, 0, sizeof resp);
    hg_buf_init(&body, HG_AWS_WEB_TOKEN_MAX * 3 + 4096);
    hg_buf_init(&url, HG_AWS_URL_MAX);
    /* Re-read on every refresh: Kubernetes rotates the projected token. */
    token = read_small(p->web_token_file, HG_AWS_WEB_TOKEN_MAX, "token file", err, errn);
    if (!token)
        goto out;
    if (!*token) {
        snprintf(err, errn, "token file %s is empty", p->web_token_file);
        goto out;
    }
    if (form_add(&body, "Action", "AssumeRoleWithWebIdentity") != 0 ||
        form_add(&body, "Version", "2011-06-15") != 0 ||
        form_add(&body, "RoleArn", p->role_arn) != 0 ||
        form_add(&body, "RoleSessionName", p->role_session) != 0 ||
        form_add(&body, "WebIdentityToken", token) != 0 ||
        hg_buf_appendf(&url, "%s%s", p->sts_endpoint,
                       p->sts_endpoint[strlen(p->sts_endpoint) - 1] == '/' ? "" : "/") != 0) {
        snprintf(err, errn, "request too large");
        goto out;
    }
    struct hg_http_header hh[] = {
        { "Content-Type", "application/x-www-form-urlencoded; charset=utf-8" },
        { "Accept", "text/xml" },
    };
    struct hg_http_request req = { .method = "POST", .url = url.data, .headers = hh,
                                   .nheaders = 2, .body = body.data, .body_len = body.len };
    char herr[256];
    struct hg_retry_policy pol = { .max_attempts = 3, .base_ms = 200 };
    enum hg_http_result hr = hg_http_perform_retry(p->http, &req, &resp, &pol, NULL, NULL,
                                                   NULL, herr, sizeof herr);
    if (hr != HG_HTTP_OK) {
        snprintf(err, errn, "STS: %s", herr);
        goto out;
    }
    char code[HG_AWS_ERR_CODE_MAX], msg[HG_AWS_ERR_MSG_MAX], xerr[128];
    if (resp.status != 200) {
        struct hg_xml_field ef[] = {
            { "ErrorResponse/Error/Code", code, sizeof code, false, false },
            { "ErrorResponse/Error/Message", msg, sizeof msg, false, true },
        };
        if (hg_xml_extract(resp.body.data ? resp.body.data : "", resp.body.len, NULL, 0, ef, 2,
                           xerr, sizeof xerr) == 0 && ef[0].found)
            snprintf(err, errn, "STS AssumeRoleWithWebIdentity: HTTP %ld %s: %.200s",
                     resp.status, code, ef[1].found ? msg : "");
        else
            snprintf(err, errn, "STS AssumeRoleWithWebIdentity: HTTP %ld", resp.status);
        goto out;
    }
    char exp[64];
#define WIR "AssumeRoleWithWebIdentityResponse/AssumeRoleWithWebIdentityResult/Credentials/"
    struct hg_xml_field f[] = {
        { WIR "AccessKeyId", out->access_key_id, sizeof out->access_key_id, false, false },
        { WIR "SecretAccessKey", out->secret_access_key, sizeof out->secret_access_key, false, false },
        { WIR "SessionToken", out->session_token, sizeof out->session_token, false, false },
        { WIR "Expiration", exp, sizeof exp, false, false },
    };
#undef WIR
    if (hg_xml_extract(resp.body.data ? resp.body.data : "", resp.body.len, NULL, 0, f, 4,
                       xerr, sizeof xerr) != 0) {
        snprintf(err, errn, "STS response: %s", xerr);
        goto out;
    }
    if (!f[0].found || !f[1].found || !f[2].found || !f[3].found || !out->access_key_id[0] ||
        !out->secret_access_key[0]) {
        snprintf(err, errn, "STS response lacks Credentials");
        goto out;
    }
    out->expiration = parse_iso8601(exp);
    if (out->expiration < 0) {
        snprintf(err, errn, "STS response: bad Expiration");
        goto out;
    }
    rc = 0;
out:
    if (body.data)
        OPENSSL_cleanse(body.data, body.len);
    if (resp.body.data)
        OPENSSL_cleanse(resp.body.data, resp.body.len);
    hg_buf_cleanup(&body);
    hg_buf_cleanup(&url);
    hg_http_response_cleanup(&resp);
    free_secret(token);
    return rc;
}

char *hg_aws_ini_get(const char *text, const char *section, const char *key, bool *section_seen)
{
    const char *line = text;
    bool in = false;
    while (line && *line) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        const char *s = line, *e = line + len;
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        while (e > s && isspace((unsigned char)e[-1]))
            e--;
        bool indented = s != line;
        if (s < e && *s == '[') {
            const char *c = memchr(s, ']', (size_t)(e - s));
            in = false;
            if (c) {
                const char *ns = s + 1, *ne = c;
                while (ns < ne && isspace((unsigned char)*ns))
                    ns++;
                while (ne > ns && isspace((unsigned char)ne[-1]))
                    ne--;
                if ((size_t)(ne - ns) == strlen(section) && memcmp(ns, section, (size_t)(ne - ns)) == 0) {
                    in = true;
                    *section_seen = true;
                }
            }
        } else if (in && !indented && s < e && *s != '#' && *s != ';') {
            const char *eq = memchr(s, '=', (size_t)(e - s));
            if (eq) {
                const char *ke = eq;
                while (ke > s && isspace((unsigned char)ke[-1]))
                    ke--;
                const char *vs = eq + 1;
                while (vs < e && isspace((unsigned char)*vs))
                    vs++;
                if ((size_t)(ke - s) == strlen(key) && strncasecmp(s, key, (size_t)(ke - s)) == 0)
                    return strndup(vs, (size_t)(e - vs));
            }
        }
        line = end ? end + 1 : NULL;
    }
    return NULL;
}

static int from_shared_files(struct hg_aws_creds_provider *p, struct hg_aws_creds *out,
                             char *err, size_t errn)
{
    char *cred = NULL, *conf = NULL, *akid = NULL, *secret = NULL, *token = NULL;
    char *unsupported = NULL;
    char ferr[256], section[300];
    bool seen_cred = false, seen_conf = false;
    struct stat st;
    int rc = -1;

    if (stat(p->cred_file, &st) == 0) {
        cred = read_small(p->cred_file, HG_AWS_CREDS_FILE_MAX, "credentials file", ferr, sizeof ferr);
        if (!cred) {
            snprintf(err, errn, "%s", ferr);
            goto out;
        }
        akid = hg_aws_ini_get(cred, p->profile, "aws_access_key_id", &seen_cred);
        secret = hg_aws_ini_get(cred, p->profile, "aws_secret_access_key", &seen_cred);
        token = hg_aws_ini_get(cred, p->profile, "aws_session_token", &seen_cred);
    }
    if (!akid && stat(p->config_file, &st) == 0) {
        conf = read_small(p->config_file, HG_AWS_CREDS_FILE_MAX, "config file", ferr, sizeof ferr);
        if (!conf) {
            snprintf(err, errn, "%s", ferr);
            goto out;
        }
        if (strcmp(p->profile, "default") == 0)
            snprintf(section, sizeof section, "default");
        else
            snprintf(section, sizeof section, "profile %s", p->profile);
        free_secret(secret);
        free_secret(token);
        secret = token = NULL;
        akid = hg_aws_ini_get(conf, section, "aws_access_key_id", &seen_conf);
        secret = hg_aws_ini_get(conf, section, "aws_secret_access_key", &seen_conf);
        token = hg_aws_ini_get(conf, section, "aws_session_token", &seen_conf);
        if (!akid) {
            static const char *const other[] = { "role_arn", "credential_process",
                                                 "sso_session", "sso_start_url", NULL };
            for (int i = 0; other[i] && !unsupported; i++) {
                char *x = hg_aws_ini_get(conf, section, other[i], &seen_conf);
                if (x) {
                    unsupported = strdup(other[i]);
                    free(x);
                }
            }
        }
    }
    if (!akid) {
        if (unsupported) {
            snprintf(err, errn, "profile %s uses %s, which hookgate does not support",
                     p->profile, unsupported);
            goto out;
        }
        if (p->profile_explicit) {
            snprintf(err, errn, "profile %s not found in %s or %s", p->profile, p->cred_file,
                     p->config_file);
            goto out;
        }
        snprintf(err, errn, "no %s profile in %s or %s", p->profile, p->cred_file, p->config_file);
        rc = 1;
        goto out;
    }
    if (!secret || !*secret || !*akid) {
        snprintf(err, errn, "profile %s lacks aws_access_key_id or aws_secret_access_key", p->profile);
        goto out;
    }
    if (set_field(out->access_key_id, sizeof out->access_key_id, akid, "aws_access_key_id", err, errn) != 0 ||
        set_field(out->secret_access_key, sizeof out->secret_access_key, secret,
                  "aws_secret_access_key", err, errn) != 0 ||
        set_field(out->session_token, sizeof out->session_token, token, "aws_session_token",
                  err, errn) != 0)
        goto out;
    out->expiration = 0;
    rc = 0;
out:
    free_secret(cred);
    free_secret(conf);
    free(akid);
    free_secret(secret);
    free_secret(token);
    free(unsupported);
    return rc;
}

static int from_container(struct hg_aws_creds_provider *p, struct hg_aws_creds *out,
                          char *err, size_t errn)
{
    struct hg_http_response resp;
    char *auth = NULL;
    char herr[256];
    int rc = -1;

    if (!p->container_url) {
        snprintf(err, errn, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI/FULL_URI not set");
        return 1;
    }
    memset(&resp, 0, sizeof resp);
    if (p->container_token_file) {
        /* Re-read each time: EKS Pod Identity rotates it. */
        auth = read_small(p->container_token_file, 16384, "authorization token file", err, errn);
        if (!auth)
            goto out;
    } else if (p->container_token) {
        auth = strdup(p->container_token);
        if (!auth) {
            snprintf(err, errn, "out of memory");
            goto out;
        }
    }
    if (auth && (strchr(auth, '\r') || strchr(auth, '\n'))) {
        snprintf(err, errn, "authorization token contains a line break");
        goto out;
    }
    struct hg_http_header hh[] = { { "Accept", "application/json" }, { "Authorization", auth } };
    struct hg_http_request req = { .method = "GET", .url = p->container_url, .headers = hh,
                                   .nheaders = auth ? 2 : 1 };
    struct hg_retry_policy pol = { .max_attempts = 3, .base_ms = 100 };
    if (hg_http_perform_retry(p->http, &req, &resp, &pol, NULL, NULL, NULL, herr,
                              sizeof herr) != HG_HTTP_OK) {
        snprintf(err, errn, "%s", herr);
        goto out;
    }
    if (resp.status != 200) {
        snprintf(err, errn, "HTTP %ld from the container credentials endpoint", resp.status);
        goto out;
    }
    if (hg_aws_creds_parse_json(resp.body.data ? resp.body.data : "", resp.body.len, out,
                                err, errn) != 0)
        goto out;
    rc = 0;
out:
    if (resp.body.data)
        OPENSSL_cleanse(resp.body.data, resp.body.len);
    hg_http_response_cleanup(&resp);
    free_secret(auth);
    return rc;
}

static int from_imds(struct hg_aws_creds_provider *p, struct hg_aws_creds *out,
                     char *err, size_t errn)
{
    struct hg_http_response resp;
    char url[HG_AWS_URL_MAX], herr[256], role[256];
    char *token = NULL;
    int rc = -1;

    if (p->imds_disabled) {
        snprintf(err, errn, "disabled by AWS_EC2_METADATA_DISABLED");
        return 1;
    }
    memset(&resp, 0, sizeof resp);
    const char *base = p->imds_endpoint;
    size_t bl = strlen(base);
    while (bl && base[bl - 1] == '/')
        bl--;
    struct hg_http_header th[] = { { "X-aws-ec2-metadata-token-ttl-seconds", "21600" } };
    snprintf(url, sizeof url, "%.*s/latest/api/token", (int)bl, base);
    struct hg_http_request req = { .method = "PUT", .url = url, .headers = th, .nheaders = 1,
                                   .body = "", .body_len = 0, .timeout_ms = IMDS_TIMEOUT_MS };
    struct hg_retry_policy pol = { .max_attempts = 2, .base_ms = 100 };
    if (hg_http_perform_retry(p->http, &req, &resp, &pol, NULL, NULL, NULL, herr, sizeof herr) != HG_HTTP_OK) {
        snprintf(err, errn, "token: %s", herr);
        goto out;
    }
    if (resp.status != 200 || !resp.body.len || resp.body.len > 4096) {
        snprintf(err, errn, "token: HTTP %ld", resp.status);
        goto out;
    }
    token = strndup(resp.body.data, resp.body.len);
    if (!token || strpbrk(token, "\r\n")) {
        snprintf(err, errn, "token: unusable response");
        goto out;
    }
    struct hg_http_header gh[] = { { "X-aws-ec2-metadata-token", token } };
    snprintf(url, sizeof url, "%.*s/latest/meta-data/iam/security-credentials/", (int)bl, base);
    struct hg_http_request g = { .method = "GET", .url = url, .headers = gh, .nheaders = 1,
                                 .timeout_ms = IMDS_TIMEOUT_MS };
    if (hg_http_perform_retry(p->http, &g, &resp, &pol, NULL, NULL, NULL, herr, sizeof herr) != HG_HTTP_OK) {
        snprintf(err, errn, "role: %s", herr);
        goto out;
    }
    if (resp.status != 200) {
        snprintf(err, errn, "role: HTTP %ld (no instance profile?)", resp.status);
        goto out;
    }
    size_t rl = strcspn(resp.body.data ? resp.body.data : "", "\r\n");
    if (rl == 0 || rl >= sizeof role) {
        snprintf(err, errn, "role: empty or too long");
        goto out;
    }
    memcpy(role, resp.body.data, rl);
    role[rl] = '\0';
    for (size_t i = 0; i < rl; i++) {
        unsigned char ch = (unsigned char)role[i];
        if (!isalnum(ch) && !strchr("+=,.@_-", ch)) {
            snprintf(err, errn, "role: bad role name");
            goto out;
        }
    }
    snprintf(url, sizeof url, "%.*s/latest/meta-data/iam/security-credentials/%s", (int)bl, base, role);
    if (hg_http_perform_retry(p->http, &g, &resp, &pol, NULL, NULL, NULL, herr, sizeof herr) != HG_HTTP_OK) {
        snprintf(err, errn, "credentials: %s", herr);
        goto out;
    }
    if (resp.status != 200) {
        snprintf(err, errn, "credentials: HTTP %ld", resp.status);
        goto out;
    }
    if (hg_aws_creds_parse_json(resp.body.data ? resp.body.data : "", resp.body.len, out,
                                err, errn) != 0)
        goto out;
    rc = 0;
out:
    if (resp.body.data)
        OPENSSL_cleanse(resp.body.data, resp.body.len);
    hg_http_response_cleanup(&resp);
    free_secret(token);
    return rc;
}

static bool fresh(const struct hg_aws_creds *c, int64_t now, int64_t margin)
{
    return c->expiration == 0 || now + margin < c->expiration;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Run the chain (p->mu NOT held: only the refreshing thread gets here, and
 * the sources read settings fixed at creation). 0 with *out and *source, or
 * -1 with errstr naming every source tried. */
static int run_chain(struct hg_aws_creds_provider *p, struct hg_aws_creds *out, enum src *source,
                     char *errstr, size_t errstr_size)
{
    static const struct {
        enum src s;
        const char *name;
        int (*fn)(struct hg_aws_creds_provider *, struct hg_aws_creds *, char *, size_t);
    } chain[] = {
        { SRC_ENV, "environment", from_env },
        { SRC_WEB, "web-identity", from_web_identity },
        { SRC_FILE, "shared-file", from_shared_files },
        { SRC_CONTAINER, "container", from_container },
        { SRC_IMDS, "imds", from_imds },
    };
    struct hg_buf tried;
    int rc = -1;

    hg_buf_init(&tried, CREDS_ERR_MAX);
    for (size_t i = 0; i < sizeof chain / sizeof chain[0]; i++) {
        char err[512];
        err[0] = '\0';
        int r = chain[i].fn(p, out, err, sizeof err);
        if (r == 0) {
            if (out->expiration && !fresh(out, hg_aws_clock_now(), 0)) {
                snprintf(err, sizeof err, "credentials already expired");
                r = -1;
            } else {
                *source = chain[i].s;
                rc = 0;
                goto out;
            }
        }
        hg_aws_creds_wipe(out);
        hg_buf_appendf(&tried, "%s%s: %s", tried.len ? "; " : "", chain[i].name, err);
        if (r < 0)
            break;   /* a configured source failed: don't fall through (SDK behaviour) */
    }
    snprintf(errstr, errstr_size, "no AWS credentials (%s)", tried.data ? tried.data : "");
out:
    hg_buf_cleanup(&tried);
    return rc;
}

int hg_aws_creds_get(struct hg_aws_creds_provider *p, struct hg_aws_creds *out,
                     char *errstr, size_t errstr_size)
{
    struct hg_aws_creds *fresh_c = NULL;
    char *cerr = NULL;
    enum src source = SRC_NONE;
    int rc = -1;

    pthread_mutex_lock(&p->mu);
    int64_t now = hg_aws_clock_now();   /* expirations are AWS's clock */
    if (p->have && (p->is_static || fresh(&p->cached, now, HG_AWS_CREDS_REFRESH_S))) {
        *out = p->cached;
        rc = 0;
        goto out;
    }
    /* Still valid, only inside the early-refresh window: use them while
     * another thread refreshes, or while a failed refresh backs off. */
    bool usable = p->have && fresh(&p->cached, now, 0);
    if (usable && (p->refreshing || (p->backoff_until_ms && mono_ms() < p->backoff_until_ms))) {
        *out = p->cached;
        rc = 0;
        goto out;
    }
    if (p->refreshing) {
        /* Nothing usable: wait for the refresh in flight and take its outcome. */
        uint64_t gen = p->refresh_gen;
        while (p->refreshing && p->refresh_gen == gen)
            pthread_cond_wait(&p->refreshed, &p->mu);
        if (p->have && fresh(&p->cached, hg_aws_clock_now(), 0)) {
            *out = p->cached;
            rc = 0;
        } else {
            snprintf(errstr, errstr_size, "%s", p->last_err[0] ? p->last_err : "no AWS credentials");
        }
        goto out;
    }
    fresh_c = calloc(1, sizeof *fresh_c);
    cerr = malloc(CREDS_ERR_MAX);
    if (!fresh_c || !cerr) {
        snprintf(errstr, errstr_size, "out of memory");
        goto out;
    }
    p->refreshing = true;
    pthread_mutex_unlock(&p->mu);
    int r = run_chain(p, fresh_c, &source, cerr, CREDS_ERR_MAX);
    pthread_mutex_lock(&p->mu);
    p->refreshing = false;
    p->refresh_gen++;
    if (r == 0) {
        p->cached = *fresh_c;
        p->have = true;
        p->source = source;
        /* New credentials that already sit inside the early-refresh window
         * (a source that only renews close to expiry: IMDS promises 5
         * minutes) would be fetched again on every call: back off as after
         * a failure, using them meanwhile. */
        p->backoff_until_ms = fresh(&p->cached, hg_aws_clock_now(), HG_AWS_CREDS_REFRESH_S)
                                  ? 0 : mono_ms() + CREDS_REFRESH_BACKOFF_MS;
        p->last_err[0] = '\0';
    } else {
        p->backoff_until_ms = mono_ms() + CREDS_REFRESH_BACKOFF_MS;
        snprintf(p->last_err, sizeof p->last_err, "%s", cerr);
    }
    pthread_cond_broadcast(&p->refreshed);
    /* Still-valid cached credentials beat an error during an early refresh. */
    if (p->have && (r == 0 || fresh(&p->cached, hg_aws_clock_now(), 0))) {
        *out = p->cached;
        rc = 0;
        goto out;
    }
    snprintf(errstr, errstr_size, "%s", cerr);
out:
    pthread_mutex_unlock(&p->mu);
    if (fresh_c) {
        hg_aws_creds_wipe(fresh_c);
        free(fresh_c);
    }
    free(cerr);
    if (rc != 0)
        hg_aws_creds_wipe(out);
    return rc;
}

int hg_aws_region_from_env(char **envp, char *out, size_t out_size)
{
    const char *r = hg_aws_getenv(envp, "AWS_REGION");
    char *conf = NULL, *val = NULL;
    char ferr[256], section[300];
    bool seen = false;
    int rc = -1;

    if (!r)
        r = hg_aws_getenv(envp, "AWS_DEFAULT_REGION");
    if (r) {
        if (strlen(r) >= out_size)
            goto out;
        snprintf(out, out_size, "%s", r);
        rc = 0;
        goto out;
    }
    const char *cf = hg_aws_getenv(envp, "AWS_CONFIG_FILE");
    const char *home = hg_aws_getenv(envp, "HOME");
    const char *prof = hg_aws_getenv(envp, "AWS_PROFILE");
    char path[1024];
    if (cf)
        snprintf(path, sizeof path, "%s", cf);
    else
        snprintf(path, sizeof path, "%s/.aws/config", home ? home : "");
    if (!prof || strcmp(prof, "default") == 0)
        snprintf(section, sizeof section, "default");
    else
        snprintf(section, sizeof section, "profile %s", prof);
    conf = read_small(path, HG_AWS_CREDS_FILE_MAX, "config file", ferr, sizeof ferr);
    if (!conf)
        goto out;
    val = hg_aws_ini_get(conf, section, "region", &seen);
    if (!val || !*val || strlen(val) >= out_size)
        goto out;
    snprintf(out, out_size, "%s", val);
    rc = 0;
out:
    if (rc != 0 && out_size)
        out[0] = '\0';
    free(conf);
    free(val);
    return rc;
}

/* http_client.c — the one libcurl HTTP client: reused easy handle, capped
 * responses, streamed bodies, response headers, retries with full jitter. */
#include "common/http_client.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/rand.h>

#include "common/clock.h"

struct hg_http_client {
    CURL  *curl;
    long   timeout_ms;
    long   connect_timeout_ms;
    size_t max_response;
    char  *ca_file;
    char  *user_agent;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_OK;

static void curl_init_once(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct hg_http_client *hg_http_client_create(const struct hg_http_client_opts *opts,
                                             char *errstr, size_t errstr_size)
{
    struct hg_http_client *c = NULL;

    pthread_once(&curl_once, curl_init_once);
    if (curl_init_rc != CURLE_OK) {
        snprintf(errstr, errstr_size, "curl_global_init failed: %s",
                 curl_easy_strerror(curl_init_rc));
        goto fail;
    }
    c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(errstr, errstr_size, "out of memory");
        goto fail;
    }
    c->timeout_ms = opts && opts->timeout_ms > 0 ? opts->timeout_ms : HG_HTTP_CLIENT_TIMEOUT_MS;
    c->connect_timeout_ms = opts && opts->connect_timeout_ms > 0
                                ? opts->connect_timeout_ms : HG_HTTP_CLIENT_CONNECT_MS;
    c->max_response = opts && opts->max_response > 0 ? opts->max_response
                                                     : HG_HTTP_CLIENT_MAX_RESPONSE;
    if (opts && opts->ca_file && !(c->ca_file = strdup(opts->ca_file))) {
        snprintf(errstr, errstr_size, "out of memory");
        goto fail;
    }
    c->user_agent = strdup(opts && opts->user_agent ? opts->user_agent : "hookgate/0.1");
    if (!c->user_agent) {
        snprintf(errstr, errstr_size, "out of memory");
        goto fail;
    }
    c->curl = curl_easy_init();
    if (!c->curl) {
        snprintf(errstr, errstr_size, "curl_easy_init failed");
        goto fail;
    }
    return c;
fail:
    hg_http_client_destroy(c);
    return NULL;
}

void hg_http_client_destroy(struct hg_http_client *c)
{
    if (!c)
        return;
    if (c->curl)
        curl_easy_cleanup(c->curl);
    free(c->ca_file);
    free(c->user_agent);
    free(c);
}

/* State shared with the curl callbacks of one transfer. */
struct xfer {
    const struct hg_http_request *req;
    struct hg_http_response *resp;
    const unsigned char *mem;     /* memory body */
    size_t mem_len, mem_off;
    long status;                  /* of the response being received */
    bool too_large;
    bool aborted;
    bool hdr_overflow;
    /* stall limit of a streamed transfer (0 = none) */
    int64_t stall_us;
    int64_t last_move_us;         /* when a byte last moved either way */
    curl_off_t last_dl, last_ul;
    bool stalled;
};

/* A streamed transfer fails when no byte has moved for stall_us. curl calls
 * this at least once a second while a transfer runs. */
static int xferinfo_cb(void *ud, curl_off_t dltotal, curl_off_t dlnow,
                       curl_off_t ultotal, curl_off_t ulnow)
{
    struct xfer *x = ud;
    int64_t now = hg_clock_mono_us();
    (void)dltotal;
    (void)ultotal;
    if (dlnow != x->last_dl || ulnow != x->last_ul || x->last_move_us == 0) {
        x->last_dl = dlnow;
        x->last_ul = ulnow;
        x->last_move_us = now;
        return 0;
    }
    if (now - x->last_move_us < x->stall_us)
        return 0;
    x->stalled = true;
    return 1;
}

static size_t read_cb(char *buf, size_t size, size_t nitems, void *ud)
{
    struct xfer *x = ud;
    size_t len = size * nitems;
    if (x->req->read_fn) {
        size_t n = x->req->read_fn(x->req->read_ud, buf, len);
        if (n == HG_HTTP_READ_ABORT || n > len) {
            x->aborted = true;
            return CURL_READFUNC_ABORT;
        }
        return n;
    }
    size_t left = x->mem_len - x->mem_off;
    size_t n = left < len ? left : len;
    if (n)
        memcpy(buf, x->mem + x->mem_off, n);
    x->mem_off += n;
    return n;
}

static int seek_cb(void *ud, curl_off_t offset, int origin)
{
    struct xfer *x = ud;
    if (origin != SEEK_SET || offset < 0)
        return CURL_SEEKFUNC_CANTSEEK;
    if (x->req->read_fn) {
        if (offset != 0 || !x->req->rewind_fn || x->req->rewind_fn(x->req->read_ud) != 0)
            return CURL_SEEKFUNC_CANTSEEK;
        return CURL_SEEKFUNC_OK;
    }
    if ((size_t)offset > x->mem_len)
        return CURL_SEEKFUNC_FAIL;
    x->mem_off = (size_t)offset;
    return CURL_SEEKFUNC_OK;
}

static bool status_is_2xx(long s)
{
    return s >= 200 && s < 300;
}

static size_t write_cb(char *data, size_t size, size_t nmemb, void *ud)
{
    struct xfer *x = ud;
    size_t len = size * nmemb;
    /* Only a 2xx body is streamed; error bodies are kept for parsing. */
    if (x->req->write_fn && status_is_2xx(x->status)) {
        if (x->req->write_fn(x->req->write_ud, data, len) != 0) {
            x->aborted = true;
            return 0;
        }
        return len;
    }
    if (hg_buf_append(&x->resp->body, data, len) != 0) {
        x->too_large = true;
        return 0;
    }
    return len;
}

static size_t header_cb(char *data, size_t size, size_t nitems, void *ud)
{
    struct xfer *x = ud;
    size_t len = size * nitems;
    struct hg_buf *h = &x->resp->hdrs;

    if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
        /* A new response (1xx, redirect, final): start over, also on the
         * body a followed redirect may have sent. */
        hg_buf_reset(h);
        hg_buf_reset(&x->resp->body);
        const char *sp = memchr(data, ' ', len);
        long st = 0;
        if (sp) {
            const char *p = sp + 1, *end = data + len;
            int digits = 0;
            while (p < end && digits < 3 && *p >= '0' && *p <= '9') {
                st = st * 10 + (*p - '0');
                p++;
                digits++;
            }
            if (digits != 3)
                st = 0;
        }
        x->status = st;
        return len;
    }
    const char *colon = memchr(data, ':', len);
    if (!colon)
        return len;   /* the blank line, or junk: ignore */
    const char *name = data, *nend = colon;
    while (nend > name && (nend[-1] == ' ' || nend[-1] == '\t'))
        nend--;
    const char *v = colon + 1, *vend = data + len;
    while (v < vend && (*v == ' ' || *v == '\t'))
        v++;
    while (vend > v && (vend[-1] == '\r' || vend[-1] == '\n' || vend[-1] == ' ' || vend[-1] == '\t'))
        vend--;
    if (nend == name)
        return len;
    size_t before = h->len;
    char nul = '\0';
    if (hg_buf_append(h, name, (size_t)(nend - name)) != 0 || hg_buf_append(h, &nul, 1) != 0 ||
        hg_buf_append(h, v, (size_t)(vend - v)) != 0 || hg_buf_append(h, &nul, 1) != 0) {
        /* Over the cap: drop this header, keep the earlier ones. */
        h->len = before;
        if (h->data)
            h->data[h->len] = '\0';
        x->hdr_overflow = true;
    }
    return len;
}

const char *hg_http_response_header(const struct hg_http_response *r, const char *name)
{
    const char *found = NULL;
    if (!r || !r->hdrs.data)
        return NULL;
    size_t off = 0;
    while (off < r->hdrs.len) {
        const char *n = r->hdrs.data + off;
        size_t nl = strlen(n);
        const char *v = n + nl + 1;
        if ((size_t)(v - r->hdrs.data) >= r->hdrs.len)
            break;
        size_t vl = strlen(v);
        if (strcasecmp(n, name) == 0)
            found = v;
        off = (size_t)(v - r->hdrs.data) + vl + 1;
    }
    return found;
}

void hg_http_response_cleanup(struct hg_http_response *r)
{
    if (!r)
        return;
    hg_buf_cleanup(&r->body);
    hg_buf_cleanup(&r->hdrs);
    r->status = 0;
}

const char *hg_http_result_str(enum hg_http_result r)
{
    switch (r) {
    case HG_HTTP_OK: return "ok";
    case HG_HTTP_ERR_CONNECT: return "connect";
    case HG_HTTP_ERR_TIMEOUT: return "timeout";
    case HG_HTTP_ERR_TLS: return "tls";
    case HG_HTTP_ERR_HANDSHAKE: return "tls-handshake";
    case HG_HTTP_ERR_TRUNCATED: return "truncated";
    case HG_HTTP_ERR_TOO_LARGE: return "too-large";
    case HG_HTTP_ERR_ABORTED: return "aborted";
    case HG_HTTP_ERR_SEND: return "send";
    case HG_HTTP_ERR_OTHER: return "other";
    }
    return "other";
}

static enum hg_http_result map_curl(CURLcode rc, const struct xfer *x)
{
    switch (rc) {
    case CURLE_OK:
        return HG_HTTP_OK;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
        return HG_HTTP_ERR_CONNECT;
    case CURLE_OPERATION_TIMEDOUT:
        return HG_HTTP_ERR_TIMEOUT;
    case CURLE_SSL_CONNECT_ERROR:   /* "somewhere in the handshake": a reset, too */
        return HG_HTTP_ERR_HANDSHAKE;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
        return HG_HTTP_ERR_TLS;
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_BAD_CONTENT_ENCODING:
        return HG_HTTP_ERR_TRUNCATED;
    case CURLE_SEND_ERROR:
        return HG_HTTP_ERR_SEND;
    case CURLE_FILESIZE_EXCEEDED:
        return HG_HTTP_ERR_TOO_LARGE;
    case CURLE_WRITE_ERROR:
        if (x->too_large)
            return HG_HTTP_ERR_TOO_LARGE;
        return HG_HTTP_ERR_ABORTED;
    case CURLE_ABORTED_BY_CALLBACK:
    case CURLE_READ_ERROR:
        return HG_HTTP_ERR_ABORTED;
    case CURLE_SEND_FAIL_REWIND:
        return HG_HTTP_ERR_SEND;
    default:
        return HG_HTTP_ERR_OTHER;
    }
}

/* "scheme://host:port" of url into out, for error messages (never the path
 * or query: presigned URLs carry signatures there). */
/* scheme://host[:port] of url for error texts: without path and query, and
 * without a user part (user:password@), which may be a secret. */
static void url_origin(const char *url, char *out, size_t n)
{
    const char *p = strstr(url, "://");
    const char *auth = p ? p + 3 : url;
    size_t alen = strcspn(auth, "/?#");
    const char *at = memchr(auth, '@', alen);
    size_t slen = (size_t)(auth - url);
    if (at) {
        alen -= (size_t)(at + 1 - auth);
        auth = at + 1;
    }
    snprintf(out, n, "%.*s%.*s", (int)slen, url, (int)alen, auth);
}

enum hg_http_result hg_http_perform(struct hg_http_client *c,
                                    const struct hg_http_request *req,
                                    struct hg_http_response *resp,
                                    char *errstr, size_t errstr_size)
{
    struct curl_slist *hl = NULL;
    struct xfer x;
    enum hg_http_result res = HG_HTTP_ERR_OTHER;
    char cerr[CURL_ERROR_SIZE];
    char origin[256];
    bool has_expect = false;
    CURL *h = c->curl;

    memset(&x, 0, sizeof x);
    x.req = req;
    x.resp = resp;
    x.mem = req->body;
    x.mem_len = req->body ? req->body_len : 0;
    cerr[0] = '\0';
    url_origin(req->url ? req->url : "", origin, sizeof origin);

    hg_buf_cleanup(&resp->body);
    hg_buf_cleanup(&resp->hdrs);
    resp->status = 0;
    hg_buf_init(&resp->body, req->max_response ? req->max_response : c->max_response);
    hg_buf_init(&resp->hdrs, HG_HTTP_CLIENT_MAX_HEADERS);

    if (!req->url || !req->method) {
        snprintf(errstr, errstr_size, "http: request without method or URL");
        goto out;
    }
    for (size_t i = 0; i < req->nheaders; i++) {
        const struct hg_http_header *hh = &req->headers[i];
        char line[HG_HTTP_MAX_HEADER_BYTES];
        int n;
        if (strchr(hh->name, '\n') || strchr(hh->name, '\r') ||
            strchr(hh->value, '\n') || strchr(hh->value, '\r')) {
            snprintf(errstr, errstr_size, "http: header %.64s contains a line break", hh->name);
            goto out;
        }
        if (hh->value[0])
            n = snprintf(line, sizeof line, "%s: %s", hh->name, hh->value);
        else
            n = snprintf(line, sizeof line, "%s;", hh->name);
        if (n < 0 || (size_t)n >= sizeof line) {
            snprintf(errstr, errstr_size, "http: header %.64s too long", hh->name);
            goto out;
        }
        if (strcasecmp(hh->name, "expect") == 0)
            has_expect = true;
        struct curl_slist *nl = curl_slist_append(hl, line);
        if (!nl) {
            snprintf(errstr, errstr_size, "http: out of memory");
            goto out;
        }
        hl = nl;
    }
    bool has_body = req->read_fn || req->body || strcmp(req->method, "PUT") == 0 ||
                    strcmp(req->method, "POST") == 0;
    if (has_body && !has_expect) {
        /* No "Expect: 100-continue" round trip (and no 1 s stall with
         * servers that never answer it). */
        struct curl_slist *nl = curl_slist_append(hl, "Expect:");
        if (!nl) {
            snprintf(errstr, errstr_size, "http: out of memory");
            goto out;
        }
        hl = nl;
    }

    curl_easy_reset(h);   /* keeps live connections, DNS and TLS session caches */
    curl_easy_setopt(h, CURLOPT_URL, req->url);
    /* Send the path as given: SigV4 signs S3 paths unnormalised, so a key
     * like "a/../b" must not lose its dot segments after signing. */
    curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    /* Redirects never downgrade an https request to http. */
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR,
                     strncasecmp(req->url, "https:", 6) == 0 ? "https" : "http,https");
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (c->ca_file)
        curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
    curl_easy_setopt(h, CURLOPT_USERAGENT, c->user_agent);
    long timeout_ms = req->timeout_ms > 0 ? req->timeout_ms : c->timeout_ms;
    if (req->read_fn || req->write_fn) {
        /* A streamed body may be as large as it is (a 5 GiB CSV): no limit
         * on the whole transfer, only on a stall — no byte moving either
         * way for the timeout (curl's own low-speed check averages over 5 s
         * and misses short stalls). */
        x.stall_us = (int64_t)timeout_ms * 1000;
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 0L);
        curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, xferinfo_cb);
        curl_easy_setopt(h, CURLOPT_XFERINFODATA, &x);
    } else {
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    }
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    if (req->follow_redirects) {
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(h, CURLOPT_MAXREDIRS, 3L);
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, header_cb);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &x);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
    /* Refuse an announced oversize body before downloading it (not for
     * HEAD: its Content-Length describes a body that never comes). */
    if (!req->write_fn && strcmp(req->method, "HEAD") != 0)
        curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)resp->body.max);

    if (strcmp(req->method, "HEAD") == 0) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (has_body) {
        curl_off_t size = req->read_fn ? (curl_off_t)req->body_size : (curl_off_t)x.mem_len;
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
        curl_easy_setopt(h, CURLOPT_READDATA, &x);
        curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, seek_cb);
        curl_easy_setopt(h, CURLOPT_SEEKDATA, &x);
        if (size >= 0)
            curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, size);
        if (strcmp(req->method, "PUT") != 0)
            curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
    } else if (strcmp(req->method, "GET") != 0) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
    }

    CURLcode rc = curl_easy_perform(h);
    res = x.stalled ? HG_HTTP_ERR_TIMEOUT : map_curl(rc, &x);
    if (res == HG_HTTP_OK) {
        long st = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &st);
        resp->status = st;
        goto out;
    }
    resp->status = 0;
    {
        /* curl's detail text can name hosts but, to be safe, never anything
         * after a '?' (a presigned URL's query holds a signature). */
        char *q = strchr(cerr, '?');
        if (q)
            *q = '\0';
        if (res == HG_HTTP_ERR_TOO_LARGE)
            snprintf(errstr, errstr_size, "http %s %s: response body over %zu bytes",
                     req->method, origin, resp->body.max);
        else if (x.stalled)
            snprintf(errstr, errstr_size, "http %s %s: timeout (no byte moved for %lld ms)",
                     req->method, origin, (long long)(x.stall_us / 1000));
        else if (res == HG_HTTP_ERR_ABORTED)
            snprintf(errstr, errstr_size, "http %s %s: aborted by the %s callback",
                     req->method, origin, x.aborted ? "body" : "transfer");
        else
            snprintf(errstr, errstr_size, "http %s %s: %s (%s)", req->method, origin,
                     hg_http_result_str(res), cerr[0] ? cerr : curl_easy_strerror(rc));
    }
out:
    curl_slist_free_all(hl);
    /* Don't leave pointers to this stack frame in the handle. */
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    return res;
}

/* ---- Retries ---------------------------------------------------------- */

static uint64_t rand64(void)
{
    uint64_t r = 0;
    if (RAND_bytes((unsigned char *)&r, sizeof r) != 1) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        r = (uint64_t)ts.tv_nsec * 0x9E3779B97F4A7C15ull;
    }
    return r;
}

int hg_http_url_host(const char *url, char *host, size_t size)
{
    const char *h;
    if (strncasecmp(url, "https://", 8) == 0)
        h = url + 8;
    else if (strncasecmp(url, "http://", 7) == 0)
        h = url + 7;
    else
        return -1;
    size_t authority = strcspn(h, "/?#");
    if (memchr(h, '@', authority))
        return -1;
    size_t n;
    if (*h == '[') {
        n = strcspn(h + 1, "]");
        if (h[1 + n] != ']' || n >= size)
            return -1;
        memcpy(host, h + 1, n);
    } else {
        n = strcspn(h, ":/?#");
        if (n >= size)
            return -1;
        memcpy(host, h, n);
    }
    host[n] = '\0';
    return 0;
}

bool hg_http_url_loopback(const char *url)
{
    char host[256], tail;
    unsigned a, b, c, d;
    if (hg_http_url_host(url, host, sizeof host) != 0)
        return false;
    if (strcasecmp(host, "localhost") == 0 || strcmp(host, "::1") == 0)
        return true;
    return sscanf(host, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) == 4 && a == 127 && b < 256 &&
           c < 256 && d < 256;
}

long hg_retry_backoff_ms(const struct hg_retry_policy *p, int attempt, long retry_after_ms)
{
    long base = p && p->base_ms > 0 ? p->base_ms : 100;
    long maxb = p && p->max_backoff_ms > 0 ? p->max_backoff_ms : 20000;
    long ceil = base;
    if (attempt < 1)
        attempt = 1;
    for (int i = 1; i < attempt && ceil < maxb; i++)
        ceil *= 2;
    if (ceil > maxb)
        ceil = maxb;
    long d = (long)(rand64() % ((uint64_t)ceil + 1));
    if (retry_after_ms > 0) {
        if (retry_after_ms > HG_HTTP_RETRY_AFTER_MAX_MS)
            retry_after_ms = HG_HTTP_RETRY_AFTER_MAX_MS;
        if (d < retry_after_ms)
            d = retry_after_ms;
    }
    return d;
}

long hg_http_retry_after_ms(const struct hg_http_response *r)
{
    const char *v = hg_http_response_header(r, "Retry-After");
    if (!v || !*v)
        return 0;
    if (*v >= '0' && *v <= '9') {
        long long s = 0;
        for (const char *p = v; *p; p++) {
            if (*p < '0' || *p > '9')
                return 0;
            s = s * 10 + (*p - '0');
            if (s > 86400)
                return (long)HG_HTTP_RETRY_AFTER_MAX_MS;
        }
        return (long)(s * 1000);
    }
    time_t t = curl_getdate(v, NULL);
    if (t == (time_t)-1)
        return 0;
    time_t now = time(NULL);
    if (t <= now)
        return 0;
    if (t - now > 86400)
        return (long)HG_HTTP_RETRY_AFTER_MAX_MS;
    return (long)(t - now) * 1000;
}

void hg_sleep_ms(long ms)
{
    if (ms <= 0)
        return;
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

bool hg_http_classify_default(void *ud, enum hg_http_result result,
                              const struct hg_http_response *resp)
{
    (void)ud;
    switch (result) {
    case HG_HTTP_OK:
        break;
    case HG_HTTP_ERR_CONNECT:
    case HG_HTTP_ERR_TIMEOUT:
    case HG_HTTP_ERR_TRUNCATED:
    case HG_HTTP_ERR_SEND:
    case HG_HTTP_ERR_HANDSHAKE:
        return true;
    default:
        return false;
    }
    switch (resp->status) {
    case 408: case 429: case 500: case 502: case 503: case 504:
        return true;
    default:
        return false;
    }
}

enum hg_http_result hg_http_perform_retry(struct hg_http_client *c,
                                          const struct hg_http_request *req,
                                          struct hg_http_response *resp,
                                          const struct hg_retry_policy *policy,
                                          hg_http_classify_fn classify, void *ud,
                                          int *attempts,
                                          char *errstr, size_t errstr_size)
{
    int max = policy && policy->max_attempts > 0 ? policy->max_attempts : 4;
    enum hg_http_result res = HG_HTTP_ERR_OTHER;
    int n = 0;
    if (!classify)
        classify = hg_http_classify_default;
    for (;;) {
        n++;
        res = hg_http_perform(c, req, resp, errstr, errstr_size);
        if (n >= max || !classify(ud, res, resp))
            break;
        if (req->read_fn && (!req->rewind_fn || req->rewind_fn(req->read_ud) != 0))
            break;
        long ra = res == HG_HTTP_OK ? hg_http_retry_after_ms(resp) : 0;
        hg_sleep_ms(hg_retry_backoff_ms(policy, n, ra));
    }
    if (attempts)
        *attempts = n;
    return res;
}

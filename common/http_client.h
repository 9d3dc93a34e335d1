/* http_client.h — the one libcurl HTTP client of hookgate (S3, Glue, STS,
 * IMDS, Slack): memory or streamed bodies, capped responses, header access,
 * retries with exponential backoff and full jitter. Never logs headers or
 * bodies (they may carry signatures, tokens and secrets). */
#ifndef HG_HTTP_CLIENT_H
#define HG_HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/limits.h"

/* One client = one CURL easy handle, so connections (and TLS sessions) are
 * reused between requests to the same host. A client is NOT thread-safe:
 * use one per thread. TLS peer and host verification are always on. */
struct hg_http_client;

struct hg_http_client_opts {
    long        timeout_ms;          /* whole request; 0 = HG_HTTP_CLIENT_TIMEOUT_MS */
    long        connect_timeout_ms;  /* 0 = HG_HTTP_CLIENT_CONNECT_MS */
    size_t      max_response;        /* buffered body cap; 0 = HG_HTTP_CLIENT_MAX_RESPONSE */
    const char *ca_file;             /* extra CA bundle (PEM) or NULL for the system store */
    const char *user_agent;          /* NULL = "hookgate/<version>" */
};

/* Create a client. opts may be NULL (all defaults); strings are copied.
 * Returns the client (free with hg_http_client_destroy) or NULL with
 * errstr. */
struct hg_http_client *hg_http_client_create(const struct hg_http_client_opts *opts,
                                             char *errstr, size_t errstr_size);
/* Close connections and free. NULL is ignored. */
void hg_http_client_destroy(struct hg_http_client *c);

/* Streamed request body: copy up to len bytes into buf. Returns the number
 * of bytes copied, 0 at end of body, or HG_HTTP_READ_ABORT to fail the
 * request (the result is then HG_HTTP_ERR_ABORTED). */
#define HG_HTTP_READ_ABORT ((size_t)-1)
typedef size_t (*hg_http_read_fn)(void *ud, char *buf, size_t len);
/* Streamed response body: consume len bytes. Called only for a 2xx final
 * response; the body of any other status goes into resp->body (capped) so
 * the caller can parse the error. Return 0 to go on, -1 to abort. */
typedef int (*hg_http_write_fn)(void *ud, const char *data, size_t len);
/* Rewind a streamed request body to its start for a retry. Return 0, or -1
 * when the stream cannot be rewound (no retry then). */
typedef int (*hg_http_rewind_fn)(void *ud);

struct hg_http_header {
    const char *name;
    const char *value;     /* "" sends an empty header ("Name;" to libcurl) */
};

struct hg_http_request {
    const char *method;                     /* "GET", "HEAD", "PUT", "POST", "DELETE", ... */
    const char *url;                        /* absolute http(s) URL, already %-encoded */
    const struct hg_http_header *headers;   /* sent in order; borrowed */
    size_t      nheaders;
    /* Body, either from memory ... */
    const void *body;
    size_t      body_len;
    /* ... or streamed (read_fn non-NULL wins). body_size = -1 when unknown
     * (chunked transfer encoding; S3 refuses that, give the size). */
    hg_http_read_fn   read_fn;
    hg_http_rewind_fn rewind_fn;
    void             *read_ud;
    int64_t           body_size;
    /* Response body into resp->body (capped) unless write_fn is set. */
    hg_http_write_fn write_fn;
    void            *write_ud;
    long   timeout_ms;        /* 0 = the client's. The whole request's limit;
                                 with a streamed body (read_fn or write_fn)
                                 the longest stall instead (no byte moving
                                 either way for that long) */
    size_t max_response;      /* 0 = the client's */
    bool   follow_redirects;  /* at most 3; never from https to http */
};

enum hg_http_result {
    HG_HTTP_OK = 0,          /* a complete response arrived (any status) */
    HG_HTTP_ERR_CONNECT,     /* DNS, refused, unreachable */
    HG_HTTP_ERR_TIMEOUT,     /* connect or transfer timeout */
    HG_HTTP_ERR_TLS,         /* certificate verification, CA file, cipher */
    HG_HTTP_ERR_HANDSHAKE,   /* the TLS handshake failed otherwise (a reset, an
                              * alert): no request was sent, worth a retry */
    HG_HTTP_ERR_TRUNCATED,   /* connection closed mid-response, bad framing */
    HG_HTTP_ERR_TOO_LARGE,   /* response body over the cap */
    HG_HTTP_ERR_ABORTED,     /* a read/write callback aborted */
    HG_HTTP_ERR_SEND,        /* failed sending the request */
    HG_HTTP_ERR_OTHER,       /* bad URL, out of memory, ... */
};

/* Response header lines kept for look-up (at most HG_HTTP_CLIENT_MAX_HEADERS
 * bytes, from the final response only). */
struct hg_http_response {
    long          status;    /* 0 when no response */
    struct hg_buf body;      /* when the request had no write_fn */
    struct hg_buf hdrs;      /* internal: "name\0value\0" pairs */
};

/* Perform one request. resp must be zeroed or cleaned before the first use
 * (hg_http_response_cleanup); it is reset here. Returns HG_HTTP_OK when a
 * response arrived, whatever its status — check resp->status — or an error
 * with a secret-free one-line message in errstr (never the URL query, the
 * headers or the body). resp is owned by the caller in both cases. */
enum hg_http_result hg_http_perform(struct hg_http_client *c,
                                    const struct hg_http_request *req,
                                    struct hg_http_response *resp,
                                    char *errstr, size_t errstr_size);

/* The value of the last response header called name (case-insensitive),
 * trimmed; NULL when absent. Valid until the response is reset or cleaned. */
const char *hg_http_response_header(const struct hg_http_response *r, const char *name);
/* Free the body and headers; the response is empty and reusable. */
void hg_http_response_cleanup(struct hg_http_response *r);

/* Short, stable name for a result ("timeout", "connect", ...). */
const char *hg_http_result_str(enum hg_http_result r);

/* ---- Retries ---------------------------------------------------------- */

struct hg_retry_policy {
    int  max_attempts;    /* total, including the first; <= 0 means 4 */
    long base_ms;         /* first backoff ceiling; <= 0 means 100 */
    long max_backoff_ms;  /* ceiling of any backoff; <= 0 means 20000 */
};

/* Delay before retry number `attempt` (1 = the first retry): full jitter,
 * uniformly random in [0, min(max_backoff, base * 2^(attempt-1))]; when
 * retry_after_ms > 0 the delay is at least that (clamped to
 * HG_HTTP_RETRY_AFTER_MAX_MS). Uses OpenSSL's RNG. Returns milliseconds. */
long hg_retry_backoff_ms(const struct hg_retry_policy *p, int attempt, long retry_after_ms);

/* Retry-After of a response in milliseconds (delta-seconds or an HTTP-date
 * relative to now), or 0 when absent or unparseable. */
long hg_http_retry_after_ms(const struct hg_http_response *r);

/* The host of an http:// or https:// URL into host (IPv6 without its
 * brackets). Returns 0, or -1 for another scheme, user info before the
 * path ("http://127.0.0.1:1@elsewhere/": libcurl goes to the host after the
 * '@'), an unterminated '[' or a host of size bytes or more. */
int hg_http_url_host(const char *url, char *host, size_t size);

/* Whether url is http(s) to this machine: localhost, 127.0.0.0/8 or ::1
 * (hg_http_url_host). Plain http is safe to send a secret over there only. */
bool hg_http_url_loopback(const char *url);

/* Sleep ms milliseconds (restarting on EINTR). */
void hg_sleep_ms(long ms);

/* Classifier for hg_http_perform_retry: given the result (and resp when
 * result is HG_HTTP_OK), return true when the request should be retried. */
typedef bool (*hg_http_classify_fn)(void *ud, enum hg_http_result result,
                                    const struct hg_http_response *resp);
/* The default: retry connect/timeout/truncated/send errors, 408, 429, 500,
 * 502, 503, 504. */
bool hg_http_classify_default(void *ud, enum hg_http_result result,
                              const struct hg_http_response *resp);

/* hg_http_perform, retried while classify (NULL = the default) says so and
 * attempts remain, sleeping hg_retry_backoff_ms (honouring Retry-After)
 * between attempts. A streamed body is rewound with req->rewind_fn before a
 * retry; without one a streamed request is tried once. Returns the last
 * attempt's result; resp holds the last response. *attempts (may be NULL)
 * receives the number of attempts made. Not for signed requests whose
 * signature must be renewed per attempt (the AWS layer retries itself). */
enum hg_http_result hg_http_perform_retry(struct hg_http_client *c,
                                          const struct hg_http_request *req,
                                          struct hg_http_response *resp,
                                          const struct hg_retry_policy *policy,
                                          hg_http_classify_fn classify, void *ud,
                                          int *attempts,
                                          char *errstr, size_t errstr_size);

#endif

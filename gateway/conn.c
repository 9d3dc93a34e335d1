/* conn.c — client connections on libevent's core loop: read into a fixed
 * buffer, parse with libhttp-parser, capture only the headers ingest needs,
 * reply with one writev. Limits: header bytes, URL length, body size per
 * route; timeouts: whole request, idle keep-alive, blocked write. */
#include "gateway/conn.h"

#include <errno.h>
#include <stdatomic.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "common/clock.h"
#include "common/log.h"
#include "gateway/acks.h"
#include "gateway/budget.h"
#include "gateway/http_framing.h"
#include "gateway/routes.h"

#define GW_OUT_MAX (HG_HTTP_MAX_BODY_CEILING + 4096)
/* A connection going idle keeps buffers up to this size for its next
 * request (Slack's bodies are a few KiB); larger ones are freed, so memory
 * follows the requests in progress, not every connection that once sent
 * --max-body. */
#define GW_CONN_IDLE_KEEP (16u * 1024u)

/* The header fields read while parsing: the ones kept (enum gw_hdr), then
 * Host, which is only checked (GW_FIELD_HOST). */
#define GW_FIELD_HOST GW_HDR_COUNT
static const char *const hdr_names[GW_HDR_COUNT + 1] = {
    "content-type", "x-slack-signature", "x-slack-request-timestamp",
    "x-slack-retry-num", "x-slack-retry-reason", "expect", "transfer-encoding",
    "host",
};

static void on_read(evutil_socket_t fd, short what, void *arg);
static void on_write(evutil_socket_t fd, short what, void *arg);
static void on_timer(evutil_socket_t fd, short what, void *arg);

static const char *status_text(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    default:  return "Unknown";
    }
}

/* ---- parser callbacks ---------------------------------------------------- */

static int fail(struct gw_conn *c, int status, const char *code)
{
    c->fail_status = status;
    c->fail_code = code;
    c->fail_msg = NULL;
    return -1;
}

/* fail, with the message the answer gives */
static int fail_why(struct gw_conn *c, int status, const char *code, const char *why)
{
    fail(c, status, code);
    c->fail_msg = why;
    return -1;
}

/* The request's body leaves the budget (answered, or the connection closes). */
static void body_release(struct gw_conn *c)
{
    gw_budget_give(c->t->app, c->body_reserved);
    c->body_reserved = 0;
}

/* Routes whose body is kept (and so counts against the budget). */
static bool route_keeps_body(enum gw_route route)
{
    return route == GW_ROUTE_EVENTS || route == GW_ROUTE_INTERACTIVE ||
           route == GW_ROUTE_COMMANDS || route == GW_ROUTE_AWS;
}

/* Take n more bytes of body from the budget, or fail the request with 503. */
static int body_reserve(struct gw_conn *c, size_t n)
{
    if (!gw_budget_take(c->t->app, n)) {
        hg_counter_add(c->t->app->metrics.buffer_full, 1);
        return fail(c, 503, "buffer_full");
    }
    c->body_reserved += n;
    return 0;
}

void gw_conn_body_done(struct gw_conn *c)
{
    body_release(c);
    if (c->req.body.cap > GW_CONN_IDLE_KEEP)
        hg_buf_cleanup(&c->req.body);
    else
        hg_buf_reset(&c->req.body);
}

static int count_header_bytes(struct gw_conn *c, size_t len)
{
    c->header_bytes += len;
    return c->header_bytes > HG_HTTP_MAX_HEADER_BYTES ? fail(c, 431, "headers_too_large") : 0;
}

static int cb_message_begin(http_parser *p)
{
    struct gw_conn *c = p->data;
    struct gw_request *r = &c->req;
    hg_buf_reset(&r->body);
    r->url_len = 0;
    memset(r->hv_set, 0, sizeof r->hv_set);
    memset(r->hv_overflow, 0, sizeof r->hv_overflow);
    memset(r->hv_len, 0, sizeof r->hv_len);
    r->received_ms = hg_clock_now_ms();
    r->start_us = hg_clock_mono_us();
    r->route = GW_ROUTE_UNKNOWN;
    r->method = HTTP_GET;   /* until the headers say otherwise: an early error keeps its body */
    c->hname_len = 0;
    c->hname_long = false;
    c->in_value = false;
    c->in_trailers = false;
    c->hcur = -1;
    c->header_bytes = 0;
    c->nheaders = 0;
    c->host_lines = 0;
    gw_host_check_begin(&c->host_check);
    c->body_seen = 0;
    body_release(c);
    c->state = GW_CONN_READING;
    event_add(&c->ev_timer, c->t->tv_request);
    return 0;
}

static int cb_url(http_parser *p, const char *at, size_t len)
{
    struct gw_conn *c = p->data;
    if (count_header_bytes(c, len))
        return -1;
    if (c->req.url_len + len > HG_HTTP_MAX_URL)
        return fail(c, 414, "url_too_long");
    memcpy(c->req.url + c->req.url_len, at, len);
    c->req.url_len += len;
    c->req.url[c->req.url_len] = '\0';
    return 0;
}

/* Trailer fields after a chunked body come through the header callbacks
 * too; they are not merged into the request's headers (RFC 9110 §6.5.1):
 * what ingest reads (content type, Slack's signature and timestamp) is only
 * what came before the body. Their bytes still count against the cap. */
static int cb_header_field(http_parser *p, const char *at, size_t len)
{
    struct gw_conn *c = p->data;
    if (count_header_bytes(c, len))
        return -1;
    if (c->in_trailers)
        return 0;
    if ((c->in_value || c->nheaders == 0) && ++c->nheaders > HG_HTTP_MAX_HEADERS)
        return fail(c, 431, "too_many_headers");   /* a new field begins */
    if (c->in_value) {
        c->in_value = false;
        c->hname_len = 0;
        c->hname_long = false;
    }
    if (c->hname_len + len >= sizeof c->hname) {
        c->hname_long = true;
        return 0;
    }
    memcpy(c->hname + c->hname_len, at, len);
    c->hname_len += len;
    return 0;
}

/* The field whose name was just read: its index in hdr_names, or -1. */
static int field_named(struct gw_conn *c)
{
    if (c->hname_long)
        return -1;
    c->hname[c->hname_len] = '\0';
    for (int i = 0; i <= GW_FIELD_HOST; i++)
        if (!strcasecmp(c->hname, hdr_names[i]))
            return i;
    return -1;
}

/* More of a kept header's value; one over GW_HDR_VALUE_MAX is marked so. */
static void value_append(struct gw_request *r, int h, const char *at, size_t len)
{
    if (r->hv_len[h] + len > GW_HDR_VALUE_MAX) {
        r->hv_overflow[h] = true;
        return;
    }
    memcpy(r->hv[h] + r->hv_len[h], at, len);
    r->hv_len[h] += len;
    r->hv[h][r->hv_len[h]] = '\0';
}

/* A read field's value begins. */
static void value_begin(struct gw_conn *c, int h)
{
    struct gw_request *r = &c->req;
    if (h == GW_FIELD_HOST) {
        c->host_lines++;
        return;
    }
    if (h == GW_HDR_TRANSFER_ENCODING && r->hv_set[h]) {
        value_append(r, h, ",", 1);   /* one list across its lines (RFC 9110 §5.3) */
        return;
    }
    /* another repeated header: the last one wins, as with envelopes */
    r->hv_len[h] = 0;
    r->hv_overflow[h] = false;
    r->hv_set[h] = true;
}

static int cb_header_value(http_parser *p, const char *at, size_t len)
{
    struct gw_conn *c = p->data;
    struct gw_request *r = &c->req;
    if (count_header_bytes(c, len))
        return -1;
    /* obs-fold: a value continued on a line starting with SP or HT, which
     * http_parser would join to the line before with nothing between.
     * RFC 9112 §5.2: reject it (or replace it with SP). Seen as the byte
     * before this piece of value, past any SP/HT, being a line feed (it is
     * the colon for a value's first piece, or a value byte when a read
     * split the value); tail_nonws carries it across reads. */
    const char *q = at;
    while (len && q > c->in && (q[-1] == ' ' || q[-1] == '\t'))
        q--;
    /* (an empty value comes as a call with no bytes, placed at the next
     * line: not a fold) */
    if (len && (q > c->in ? (unsigned char)q[-1] : c->tail_nonws) == '\n')
        return fail(c, 400, "obs_fold");
    if (c->in_trailers)
        return 0;
    if (!c->in_value) {
        c->in_value = true;
        c->hcur = field_named(c);
        if (c->hcur >= 0)
            value_begin(c, c->hcur);
    }
    if (c->hcur == GW_FIELD_HOST)
        gw_host_check_feed(&c->host_check, at, len);
    else if (c->hcur >= 0)
        value_append(r, c->hcur, at, len);
    return 0;
}

/* An absolute-form target is routed by its path (RFC 9112 §3.2.2). The
 * gateway reads no host, neither from the target nor from Host: the
 * target's authority only has to be valid. */
static int check_target(struct gw_conn *c, enum gw_target target)
{
    switch (target) {
    case GW_TARGET_OK:
        return 0;
    case GW_TARGET_BAD_SCHEME:
        return fail_why(c, 400, "invalid_request_target",
                        "an absolute-form request target must be an http or https URI");
    case GW_TARGET_BAD_AUTHORITY:
        return fail_why(c, 400, "invalid_request_target", "the request target's authority is not a "
                        "valid host[:port] without user info (RFC 9110 section 4.2)");
    }
    return 0;
}

/* RFC 9112 §3.2: an HTTP/1.1 request has a Host header, and no request
 * more than one or one with an invalid value. Also with an absolute-form
 * target, whose authority then names the host (as nginx has it). */
static int check_host(struct gw_conn *c, bool http11)
{
    if (c->host_lines == 0)
        return http11 ? fail_why(c, 400, "missing_host",
                                 "an HTTP/1.1 request needs a Host header (RFC 9112 section 3.2)") : 0;
    if (c->host_lines > 1)
        return fail_why(c, 400, "duplicate_host", "more than one Host header (RFC 9112 section 3.2)");
    if (!gw_host_check_ok(&c->host_check, GW_HOST_FIELD))
        return fail_why(c, 400, "invalid_host",
                        "the Host header is not a valid host[:port] (RFC 9112 section 3.2)");
    return 0;
}

/* RFC 9112 §6: a body is taken chunked, or by Content-Length (both at
 * once http_parser refuses before this: parse_failed). Any other coding
 * is refused before the body is read, so the connection closes after the
 * answer (parse_failed). */
static int check_transfer_encoding(struct gw_conn *c, const http_parser *p, bool http11)
{
    const struct gw_request *r = &c->req;
    if (!r->hv_set[GW_HDR_TRANSFER_ENCODING])
        return 0;
    /* HTTP/1.0 has no Transfer-Encoding: the message is answered, but its
     * framing is not trusted for a next one (§6.1) */
    if (!http11)
        c->close_after_write = true;
    enum gw_te te;
    if (r->hv_overflow[GW_HDR_TRANSFER_ENCODING])   /* more codings than are kept: not chunked alone */
        te = (p->flags & F_CHUNKED) ? GW_TE_UNSUPPORTED : GW_TE_NOT_FINAL;
    else
        te = gw_te_classify(r->hv[GW_HDR_TRANSFER_ENCODING], r->hv_len[GW_HDR_TRANSFER_ENCODING]);
    switch (te) {
    case GW_TE_CHUNKED:
        return 0;   /* (one http_parser did not read as chunked, it refuses: parse_failed) */
    case GW_TE_UNSUPPORTED:
        return fail_why(c, 501, "unsupported_transfer_coding",
                        "only the chunked transfer coding is taken, with no other (RFC 9112 section 6.1)");
    case GW_TE_NOT_FINAL:
        return fail_why(c, 400, "invalid_transfer_encoding", "the final transfer coding must be "
                        "chunked, or the body's length is unknown (RFC 9112 section 6.3)");
    case GW_TE_CHUNKED_TWICE:
        return fail_why(c, 400, "invalid_transfer_encoding",
                        "chunked is applied more than once (RFC 9112 section 7)");
    }
    return 0;
}

static int cb_headers_complete(http_parser *p)
{
    struct gw_conn *c = p->data;
    struct gw_request *r = &c->req;
    c->in_trailers = true;
    /* A field value excludes trailing whitespace (RFC 9110 §5.5); http_parser
     * skips only the leading one. */
    for (int i = 0; i < GW_HDR_COUNT; i++)
        while (r->hv_len[i] > 0 && (r->hv[i][r->hv_len[i] - 1] == ' ' || r->hv[i][r->hv_len[i] - 1] == '\t'))
            r->hv[i][--r->hv_len[i]] = '\0';
    bool http11 = p->http_major > 1 || (p->http_major == 1 && p->http_minor >= 1);
    const char *path = r->url;
    size_t plen = 0;
    enum gw_target target = gw_target_path(r->url, r->url_len, &path, &plen);
    r->method = p->method;
    r->route = target == GW_TARGET_OK ? gw_routes_match(path, plen) : GW_ROUTE_UNKNOWN;
    if (check_target(c, target) || check_host(c, http11) || check_transfer_encoding(c, p, http11))
        return -1;
    size_t cap = gw_routes_body_cap(c->t->app, r->route);
    r->body.max = cap;
    if (!(p->flags & F_CHUNKED) && p->content_length != ULLONG_MAX && p->content_length > cap)
        return fail(c, 413, "body_too_large");
    /* A declared length must fit what is free now, or the request is
     * refused from its headers alone; but bytes are taken only as they
     * arrive (cb_body), so headers declaring lengths they never send
     * cannot hold the budget. */
    if (route_keeps_body(r->route) && !(p->flags & F_CHUNKED) && p->content_length != ULLONG_MAX &&
        p->content_length > 0 && !gw_budget_fits(c->t->app, (size_t)p->content_length)) {
        hg_counter_add(c->t->app->metrics.buffer_full, 1);
        return fail(c, 503, "buffer_full");
    }
    /* HTTP/1.0 clients do not know 100 (Continue): the expectation is
     * ignored (RFC 9110 §10.1.1); so is one with no body to wait for. */
    bool has_body = (p->flags & F_CHUNKED) || (p->content_length != ULLONG_MAX && p->content_length > 0);
    if (http11 && has_body && r->hv_set[GW_HDR_EXPECT] && !r->hv_overflow[GW_HDR_EXPECT] &&
        !strcasecmp(r->hv[GW_HDR_EXPECT], "100-continue")) {
        /* A request its body cannot help (an unknown route, a method the
         * route does not take) is answered now, not asked for its body. */
        if (r->route == GW_ROUTE_UNKNOWN)
            return fail(c, 404, "not_found");
        if (!gw_routes_method_ok(r->route, p->method))
            return fail(c, 405, "method_not_allowed");
        static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        /* best effort: a client that cannot take 25 bytes now will send anyway */
        ssize_t w = write(c->fd, cont, sizeof cont - 1);
        (void)w;
    }
    return 0;
}

static int cb_body(http_parser *p, const char *at, size_t len)
{
    struct gw_conn *c = p->data;
    struct gw_request *r = &c->req;
    c->body_seen += len;
    if (c->body_seen > r->body.max)
        return fail(c, 413, "body_too_large");
    if (route_keeps_body(r->route)) {
        /* taken as it comes */
        if (c->body_seen > c->body_reserved && body_reserve(c, c->body_seen - c->body_reserved))
            return -1;
        if (hg_buf_append(&r->body, at, len) != 0)
            return fail(c, 413, "body_too_large");
    }
    return 0;
}

static int cb_message_complete(http_parser *p)
{
    struct gw_conn *c = p->data;
    c->keepalive = http_should_keep_alive(p);
    http_parser_pause(p, 1);
    return 0;
}

static const http_parser_settings parser_settings = {
    .on_message_begin = cb_message_begin,
    .on_url = cb_url,
    .on_header_field = cb_header_field,
    .on_header_value = cb_header_value,
    .on_headers_complete = cb_headers_complete,
    .on_body = cb_body,
    .on_message_complete = cb_message_complete,
};

/* ---- connection life ----------------------------------------------------- */

void gw_conn_accept(struct gw_thread *t, int fd)
{
    struct gw_conn *c = calloc(1, sizeof *c);
    if (!c) {
        close(fd);
        return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->t = t;
    c->fd = fd;
    c->hcur = -1;
    c->state = GW_CONN_IDLE;
    http_parser_init(&c->parser, HTTP_REQUEST);
    c->parser.data = c;
    hg_buf_init(&c->req.body, HG_HTTP_MAX_BODY_DEFAULT);
    hg_buf_init(&c->out, GW_OUT_MAX);
    event_assign(&c->ev_read, t->base, fd, EV_READ | EV_PERSIST, on_read, c);
    event_assign(&c->ev_write, t->base, fd, EV_WRITE | EV_PERSIST, on_write, c);
    evtimer_assign(&c->ev_timer, t->base, on_timer, c);
    if (event_add(&c->ev_read, NULL) != 0) {
        close(fd);
        hg_buf_cleanup(&c->req.body);
        free(c);
        return;
    }
    event_add(&c->ev_timer, t->tv_keepalive);
    c->next = t->conns;
    if (t->conns)
        t->conns->prev = c;
    t->conns = c;
    t->nconns++;
    hg_gauge_add(t->app->metrics.connections, 1);
}

void gw_conn_close(struct gw_conn *c)
{
    struct gw_thread *t = c->t;
    event_del(&c->ev_read);
    event_del(&c->ev_write);
    event_del(&c->ev_timer);
    if (c->pending)
        gw_acks_detach(c->pending);
    body_release(c);
    close(c->fd);
    if (c->prev)
        c->prev->next = c->next;
    else
        t->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    t->nconns--;
    hg_gauge_add(t->app->metrics.connections, -1);
    hg_buf_cleanup(&c->req.body);
    hg_buf_cleanup(&c->out);
    free(c);
}

void gw_conn_close_idle_all(struct gw_thread *t)
{
    struct gw_conn *c = t->conns, *next;
    for (; c; c = next) {
        next = c->next;
        if (c->state == GW_CONN_IDLE && c->in_len == 0)
            gw_conn_close(c);
        else
            c->close_after_write = true;
    }
}

/* The reply is out: close, or get ready for the next request. */
static void after_reply(struct gw_conn *c)
{
    if (!c->keepalive || c->close_after_write || (c->peer_closed && !c->in_len)) {
        gw_conn_close(c);
        return;
    }
    c->state = GW_CONN_IDLE;
    if (c->req.body.cap > GW_CONN_IDLE_KEEP)
        hg_buf_cleanup(&c->req.body);
    if (c->out.cap > GW_CONN_IDLE_KEEP)
        hg_buf_cleanup(&c->out);
    http_parser_pause(&c->parser, 0);
    event_add(&c->ev_timer, c->t->tv_keepalive);
    event_add(&c->ev_read, NULL);
    if (c->in_len)   /* a pipelined request is already buffered */
        event_active(&c->ev_read, EV_READ, 0);
}

/* The status line and headers of an answer into head (size bytes).
 * Returns the length, or -1 when they do not fit. */
static int format_head(char *head, size_t size, int status, const char *content_type, size_t len,
                       bool close, bool keep_alive_10, int retry_after, const char *allow)
{
    int n = snprintf(head, size, "HTTP/1.1 %d %s\r\nContent-Length: %zu\r\n%s%s%s%s",
                     status, status_text(status), len,
                     content_type ? "Content-Type: " : "", content_type ? content_type : "",
                     content_type ? "\r\n" : "",
                     close ? "Connection: close\r\n" : keep_alive_10 ? "Connection: keep-alive\r\n" : "");
    if (n > 0 && retry_after > 0 && (size_t)n < size)
        n += snprintf(head + n, size - (size_t)n, "Retry-After: %d\r\n", retry_after);
    if (n > 0 && allow && (size_t)n < size)
        n += snprintf(head + n, size - (size_t)n, "Allow: %s\r\n", allow);
    if (n > 0 && (size_t)n < size - 2)
        n += snprintf(head + n, size - (size_t)n, "\r\n");
    else
        n = -1;
    return n < 0 || (size_t)n >= size ? -1 : n;
}

void gw_conn_reply(struct gw_conn *c, int status, const char *content_type,
                   const char *body, size_t len, int retry_after)
{
    char head[384];
    int n;
    body_release(c);   /* the request is done with: its body is not needed again */
    /* Draining (after SIGTERM, through --shutdown-grace-ms): each answer
     * closes its connection, so clients move to new ones, which the load
     * balancer sends elsewhere, instead of keeping ones the final cut would
     * reset. */
    if (c->t->closing || atomic_load_explicit(&c->t->app->draining, memory_order_relaxed))
        c->close_after_write = true;
    if (!c->keepalive)
        c->close_after_write = true;
    gw_metrics_request(&c->t->app->metrics, (int)c->req.route, status);
    /* An HTTP/1.0 client that asked for keep-alive learns that it got it
     * only from the answer (RFC 7230 A.1.2); without the header it waits
     * for the close that never comes (ab -k: until the idle timeout). */
    bool keep_alive_10 = c->parser.http_major == 1 && c->parser.http_minor == 0;
    static const char ok_empty[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    if (status == 200 && len == 0 && !content_type && !c->close_after_write && retry_after <= 0 &&
        !keep_alive_10) {
        /* the answer to nearly every request: no formatting */
        memcpy(head, ok_empty, sizeof ok_empty - 1);
        n = (int)(sizeof ok_empty - 1);
    } else {
        n = format_head(head, sizeof head, status, content_type, len, c->close_after_write, keep_alive_10,
                        retry_after, status == 405 ? gw_routes_allow(c->req.route) : NULL);
    }
    if (n < 0) {
        gw_conn_close(c);
        return;
    }

    /* RFC 9110 §9.3.2: a HEAD answer has the headers a GET would get, with
     * its Content-Length, but no content (stray bytes would be read as the
     * next response on a keep-alive connection). */
    if (c->req.method == HTTP_HEAD)
        len = 0;
    struct iovec iov[2] = { { head, (size_t)n }, { (void *)body, len } };
    size_t total = (size_t)n + len;
    ssize_t w;
    do
        w = writev(c->fd, iov, len ? 2 : 1);
    while (w < 0 && errno == EINTR);
    if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        gw_conn_close(c);
        return;
    }
    if (w < 0)
        w = 0;
    if ((size_t)w == total) {
        after_reply(c);
        return;
    }
    /* keep the rest and wait until the socket takes it */
    hg_buf_reset(&c->out);
    size_t off = (size_t)w;
    int rc = 0;
    if (off < (size_t)n)
        rc |= hg_buf_append(&c->out, head + off, (size_t)n - off);
    size_t boff = off > (size_t)n ? off - (size_t)n : 0;
    rc |= hg_buf_append(&c->out, body + boff, len - boff);
    if (rc != 0) {
        gw_conn_close(c);
        return;
    }
    c->state = GW_CONN_WRITING;
    event_del(&c->ev_read);
    event_add(&c->ev_write, NULL);
    event_add(&c->ev_timer, c->t->tv_request);
}

void gw_conn_reply_error(struct gw_conn *c, int status, const char *code, const char *message,
                         int retry_after)
{
    struct hg_buf b;
    char small[512];
    hg_buf_init(&b, sizeof small);
    int rc = hg_buf_append_str(&b, "{\"error\":\"");
    rc |= hg_buf_append_json_str(&b, code, strlen(code));
    rc |= hg_buf_append_str(&b, "\",\"message\":\"");
    rc |= hg_buf_append_json_str(&b, message, strlen(message));
    rc |= hg_buf_append_str(&b, "\"}");
    if (rc != 0) {
        hg_buf_reset(&b);
        hg_buf_append_str(&b, "{\"error\":\"internal\"}");
    }
    memcpy(small, b.data, b.len);
    size_t len = b.len;
    hg_buf_cleanup(&b);
    gw_conn_reply(c, status, "application/json", small, len, retry_after);
}

static void on_write(evutil_socket_t fd, short what, void *arg)
{
    struct gw_conn *c = arg;
    ssize_t w = write(fd, c->out.data, c->out.len);
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (w <= 0) {
        gw_conn_close(c);
        return;
    }
    memmove(c->out.data, c->out.data + w, c->out.len - (size_t)w);
    c->out.len -= (size_t)w;
    if (c->out.len)
        return;
    event_del(&c->ev_write);
    after_reply(c);
}

static void parse_failed(struct gw_conn *c)
{
    int status = c->fail_status;
    const char *code = c->fail_code;
    const char *why = c->fail_msg;
    enum http_errno e = HTTP_PARSER_ERRNO(&c->parser);
    char msg[160];
    if (!status && e == HPE_UNEXPECTED_CONTENT_LENGTH) {
        status = 400;
        code = "ambiguous_length";
        why = "Content-Length with Transfer-Encoding, or more than one Content-Length: "
              "the body's length is ambiguous (RFC 9112 section 6.3)";
    } else if (!status && e == HPE_INVALID_TRANSFER_ENCODING) {
        status = 400;
        code = "invalid_transfer_encoding";
        why = "send Transfer-Encoding as \"chunked\" alone: no empty list elements, no tabs "
              "(RFC 9112 section 6.3)";
    }
    if (!status) {
        status = e == HPE_HEADER_OVERFLOW ? 431 : 400;
        code = "malformed_http";
    }
    if (why)
        snprintf(msg, sizeof msg, "%s", why);
    else if (status == 413)
        snprintf(msg, sizeof msg, "request body is larger than the %zu-byte limit for this route",
                 c->req.body.max);
    else if (status == 431 && code && strcmp(code, "too_many_headers") == 0)
        snprintf(msg, sizeof msg, "more than %u header fields", HG_HTTP_MAX_HEADERS);
    else if (status == 431)
        snprintf(msg, sizeof msg, "request line and headers exceed %u bytes", HG_HTTP_MAX_HEADER_BYTES);
    else if (status == 414)
        snprintf(msg, sizeof msg, "URL longer than %u bytes", HG_HTTP_MAX_URL);
    else if (status == 400 && code && strcmp(code, "obs_fold") == 0)
        snprintf(msg, sizeof msg, "a header value continues on a line of its own (obs-fold, "
                 "RFC 9112 section 5.2): send each header on one line");
    else if (status == 404)
        snprintf(msg, sizeof msg, "no such route");
    else if (status == 405)
        snprintf(msg, sizeof msg, "this route takes %s", gw_routes_allow(c->req.route));
    else if (status == 503)
        snprintf(msg, sizeof msg, "the gateway holds as many request bytes as it may "
                 "(--max-buffered-bytes %lld); retry later", c->t->app->cfg->s.max_buffered);
    else
        snprintf(msg, sizeof msg, "malformed HTTP request: %s", http_errno_description(e));
    c->close_after_write = true;
    c->keepalive = false;
    event_del(&c->ev_read);
    gw_conn_reply_error(c, status, code, msg, status == 503 ? (int)c->t->app->cfg->s.retry_after_s : 0);
}

/* Parse what is buffered; dispatch a complete request. Returns after the
 * request is handed on (c may be gone then) or when more bytes are needed. */
/* Parse what is buffered. Returns 1 when a request was dispatched or a
 * parse error answered (c may be gone then: touch nothing), 0 when all of
 * it was consumed with no complete request. */
static int process_input(struct gw_conn *c)
{
    while (c->in_len && (c->state == GW_CONN_IDLE || c->state == GW_CONN_READING)) {
        size_t n = http_parser_execute(&c->parser, &parser_settings, c->in, c->in_len);
        enum http_errno e = HTTP_PARSER_ERRNO(&c->parser);
        if (n > c->in_len)
            n = c->in_len;
        for (size_t i = n; i > 0; i--)   /* for cb_header_value's obs-fold check */
            if (c->in[i - 1] != ' ' && c->in[i - 1] != '\t') {
                c->tail_nonws = (unsigned char)c->in[i - 1];
                break;
            }
        memmove(c->in, c->in + n, c->in_len - n);
        c->in_len -= n;
        if (e == HPE_PAUSED) {
            /* ev_read stays registered while the request waits for Kafka:
             * taking it out and back in costs two epoll_ctl calls a
             * request. on_read only buffers until the answer is out. */
            c->state = GW_CONN_WAITING;
            event_del(&c->ev_timer);
            gw_routes_dispatch(c);
            return 1;
        }
        if (e != HPE_OK) {
            parse_failed(c);
            return 1;
        }
    }
    return 0;
}

/* While a request waits (or its answer is being written): buffer what
 * comes (a pipelined request), up to the input buffer; at EOF or with the
 * buffer full stop watching until the answer is out (after_reply). */
static void read_while_busy(struct gw_conn *c)
{
    if (!c->peer_closed && c->in_len < sizeof c->in) {
        ssize_t r = read(c->fd, c->in + c->in_len, sizeof c->in - c->in_len);
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return;
        if (r < 0) {
            gw_conn_close(c);   /* reset: nobody to answer; a pending record keeps its report */
            return;
        }
        if (r == 0)
            c->peer_closed = true;   /* half-closed: the answer still goes out */
        c->in_len += (size_t)r;
    }
    if (c->peer_closed || c->in_len == sizeof c->in)
        event_del(&c->ev_read);
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
    struct gw_conn *c = arg;
    if (c->state != GW_CONN_IDLE && c->state != GW_CONN_READING) {
        read_while_busy(c);
        return;
    }
    if (!c->peer_closed && c->in_len < sizeof c->in) {
        ssize_t r = read(fd, c->in + c->in_len, sizeof c->in - c->in_len);
        if (r == 0) {
            if (!c->in_len) {
                gw_conn_close(c);
                return;
            }
            /* Half-closed: requests already buffered (pipelined) still get
             * their answers; then the connection closes (after_reply). */
            c->peer_closed = true;
        }
        if (r < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                gw_conn_close(c);
                return;
            }
        } else {
            c->in_len += (size_t)r;
        }
    }
    if (process_input(c) == 0 && c->peer_closed)
        gw_conn_close(c);   /* nothing more will come: a half-sent request is dropped */
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    struct gw_conn *c = arg;
    switch (c->state) {
    case GW_CONN_READING:
        c->keepalive = false;
        c->close_after_write = true;
        event_del(&c->ev_read);
        gw_conn_reply_error(c, 408, "request_timeout", "the request was not received in time", 0);
        return;
    case GW_CONN_IDLE:
    case GW_CONN_WRITING:
    case GW_CONN_WAITING:
        gw_conn_close(c);
        return;
    }
}

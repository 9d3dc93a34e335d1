/* admin.c — /healthz and /metrics over evhttp on a thread of its own. */
#include "consumer/admin.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/limits.h"
#include "common/log.h"

struct hgc_admin {
    struct event_base *base;
    struct evhttp *http;
    struct evhttp_bound_socket *sock;
    struct hg_metrics *metrics;
    struct hg_gauge *last_poll;
    int stale_s;
    int port;
    struct event *tick;
    volatile int stop;     /* set by hgc_admin_stop, seen by the tick */
    pthread_t thread;
    int started;
};

/* The loop runs on its own thread; a 200 ms tick notices the stop flag, so
 * no cross-thread libevent call (and no evthread set-up) is needed. */
static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct hgc_admin *a = arg;
    if (__atomic_load_n(&a->stop, __ATOMIC_ACQUIRE))
        event_base_loopbreak(a->base);
}

static void reply_text(struct evhttp_request *req, int code, const char *reason,
                       const char *ctype, const char *body, size_t len)
{
    struct evbuffer *b = evbuffer_new();
    if (!b) {
        evhttp_send_error(req, 500, "out of memory");
        return;
    }
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", ctype);
    evbuffer_add(b, body, len);
    evhttp_send_reply(req, code, reason, b);
    evbuffer_free(b);
}

static void on_healthz(struct evhttp_request *req, void *arg)
{
    struct hgc_admin *a = arg;
    if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
        evhttp_send_error(req, 405, "Method Not Allowed");
        return;
    }
    int64_t last = a->last_poll ? hg_gauge_value(a->last_poll) : 0;
    int64_t now = hg_clock_now_ms() / 1000;
    if (a->last_poll && (last == 0 || now - last > a->stale_s)) {
        static const char msg[] = "stale: the worker has not polled Kafka recently\n";
        reply_text(req, 503, "Service Unavailable", "text/plain", msg, sizeof msg - 1);
        return;
    }
    reply_text(req, 200, "OK", "text/plain", "ok\n", 3);
}

static void on_metrics(struct evhttp_request *req, void *arg)
{
    struct hgc_admin *a = arg;
    struct hg_buf b;
    if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
        evhttp_send_error(req, 405, "Method Not Allowed");
        return;
    }
    hg_buf_init(&b, HGC_ADMIN_MAX_BODY);
    if (hg_metrics_render(a->metrics, &b) != 0) {
        evhttp_send_error(req, 500, "metrics too large");
    } else {
        reply_text(req, 200, "OK", "text/plain; version=0.0.4", b.data ? b.data : "", b.len);
    }
    hg_buf_cleanup(&b);
}

static void on_other(struct evhttp_request *req, void *arg)
{
    evhttp_send_error(req, 404, "Not Found");
}

static void *admin_thread(void *arg)
{
    struct hgc_admin *a = arg;
    event_base_dispatch(a->base);
    return NULL;
}

struct hgc_admin *hgc_admin_start(const char *listen, struct hg_metrics *metrics,
                                  struct hg_gauge *last_poll, int stale_s,
                                  char *errstr, size_t errstr_size)
{
    char host[256];
    const char *colon = strrchr(listen, ':');
    struct hgc_admin *a = calloc(1, sizeof *a);
    if (!a) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    a->metrics = metrics;
    a->last_poll = last_poll;
    a->stale_s = stale_s;
    char *end = NULL;
    long port = colon ? strtol(colon + 1, &end, 10) : -1;
    if (!colon || (size_t)(colon - listen) >= sizeof host || !end || *end || end == colon + 1 ||
        port < 0 || port > 65535) {
        snprintf(errstr, errstr_size, "HOOKGATE_ADMIN_LISTEN: expected host:port");
        goto fail;
    }
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    if (host[0] == '[') {   /* [::1]:9090 */
        size_t n = strlen(host);
        if (n < 2 || host[n - 1] != ']') {
            snprintf(errstr, errstr_size, "HOOKGATE_ADMIN_LISTEN: bad IPv6 address");
            goto fail;
        }
        memmove(host, host + 1, n - 2);
        host[n - 2] = '\0';
    }
    a->base = event_base_new();
    a->http = a->base ? evhttp_new(a->base) : NULL;
    if (!a->http) {
        snprintf(errstr, errstr_size, "admin server: out of memory");
        goto fail;
    }
    evhttp_set_allowed_methods(a->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
    evhttp_set_max_body_size(a->http, 0);
    evhttp_set_max_headers_size(a->http, HG_HTTP_MAX_HEADER_BYTES);
    evhttp_set_timeout(a->http, 10);
    evhttp_set_cb(a->http, "/healthz", on_healthz, a);
    evhttp_set_cb(a->http, "/metrics", on_metrics, a);
    evhttp_set_gencb(a->http, on_other, a);
    a->sock = evhttp_bind_socket_with_handle(a->http, host[0] ? host : "0.0.0.0", (uint16_t)port);
    if (!a->sock) {
        snprintf(errstr, errstr_size, "admin server: cannot listen on %s", listen);
        goto fail;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(evhttp_bound_socket_get_fd(a->sock), (struct sockaddr *)&ss, &sl) == 0)
        a->port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                           : ntohs(((struct sockaddr_in *)&ss)->sin_port);
    struct timeval tv = { 0, 200000 };
    a->tick = event_new(a->base, -1, EV_PERSIST, on_tick, a);
    if (!a->tick || event_add(a->tick, &tv) != 0) {
        snprintf(errstr, errstr_size, "admin server: out of memory");
        goto fail;
    }
    if (pthread_create(&a->thread, NULL, admin_thread, a) != 0) {
        snprintf(errstr, errstr_size, "admin server: cannot start its thread");
        goto fail;
    }
    a->started = 1;
    char p[16];
    snprintf(p, sizeof p, "%d", a->port);
    hg_log_info("admin_listening", "addr", listen, "port", p);
    return a;
fail:
    hgc_admin_stop(a);
    return NULL;
}

int hgc_admin_port(const struct hgc_admin *a)
{
    return a->port;
}

void hgc_admin_stop(struct hgc_admin *a)
{
    if (!a)
        return;
    if (a->started) {
        __atomic_store_n(&a->stop, 1, __ATOMIC_RELEASE);
        pthread_join(a->thread, NULL);
    }
    if (a->tick)
        event_free(a->tick);
    if (a->http)
        evhttp_free(a->http);
    if (a->base)
        event_base_free(a->base);
    free(a);
}

/* admin.c — /healthz and /metrics on a thread of its own: a small HTTP/1.1
 * server on libevent's core loop. One request a connection (answered with
 * Connection: close, so nothing is pipelined behind it), the request head
 * capped at HGC_ADMIN_HEAD_MAX bytes and HGC_ADMIN_DEADLINE_S seconds for
 * the whole exchange, at most HGC_ADMIN_MAX_CONNS connections (a new one
 * pushes out the oldest), and accept paused for a second when the process
 * is out of descriptors instead of spinning on it. */
#include "consumer/admin.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/limits.h"
#include "common/log.h"

struct admin_conn {
    struct hgc_admin *a;
    int fd;
    struct event *ev;            /* EV_READ while reading the head, EV_WRITE while answering */
    struct event *deadline;      /* the whole exchange: HGC_ADMIN_DEADLINE_S */
    char head[HGC_ADMIN_HEAD_MAX];
    size_t head_len;
    struct hg_buf out;           /* the answer */
    size_t out_off;
    struct admin_conn *prev, *next;   /* oldest first */
};

struct hgc_admin {
    struct event_base *base;
    int listen_fd;
    struct event *accept_ev;
    struct event *accept_resume;      /* re-arms accept after EMFILE */
    struct admin_conn *oldest, *newest;
    size_t nconns;
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

static void conn_close(struct admin_conn *c)
{
    struct hgc_admin *a = c->a;
    if (c->prev)
        c->prev->next = c->next;
    else
        a->oldest = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        a->newest = c->prev;
    a->nconns--;
    event_free(c->ev);
    event_free(c->deadline);
    close(c->fd);
    hg_buf_cleanup(&c->out);
    free(c);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
    conn_close(arg);   /* too slow to send its request or to take the answer */
}

/* Answered: the client may still be sending (pipelined requests, a body).
 * Closing with unread input would make the kernel send a reset, which can
 * destroy the answer before the client reads it; so shut the sending side
 * and read what comes, discarding it, until the client closes, or for at
 * most HGC_ADMIN_LINGER_BYTES or HGC_ADMIN_LINGER_MS. */
static void on_linger(evutil_socket_t fd, short what, void *arg)
{
    struct admin_conn *c = arg;
    char sink[4096];
    for (;;) {
        ssize_t r = recv(c->fd, sink, sizeof sink, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        /* out_off counts on past the answer: the bytes dropped */
        if (r <= 0 || (c->out_off += (size_t)r) > c->out.len + HGC_ADMIN_LINGER_BYTES) {
            conn_close(c);
            return;
        }
    }
}

static void on_write(evutil_socket_t fd, short what, void *arg)
{
    struct admin_conn *c = arg;
    while (c->out_off < c->out.len) {
        ssize_t w = send(c->fd, c->out.data + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;   /* EV_WRITE stays armed */
        if (w <= 0) {
            conn_close(c);
            return;
        }
        c->out_off += (size_t)w;
    }
    /* answered (Connection: close): linger, then close */
    shutdown(c->fd, SHUT_WR);
    event_del(c->ev);
    event_assign(c->ev, c->a->base, c->fd, EV_READ | EV_PERSIST, on_linger, c);
    event_add(c->ev, NULL);
    static const struct timeval linger = { 0, HGC_ADMIN_LINGER_MS * 1000 };
    event_add(c->deadline, &linger);
    on_linger(c->fd, EV_READ, c);
}

/* Build the answer into c->out and start writing it. */
static void answer(struct admin_conn *c, int code, const char *reason, const char *ctype,
                   const char *body, size_t len, bool head_only)
{
    hg_buf_reset(&c->out);
    int x = hg_buf_appendf(&c->out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                                    "Connection: close\r\n\r\n", code, reason, ctype, len);
    if (!head_only && len)
        x |= hg_buf_append(&c->out, body, len);
    if (x) {
        conn_close(c);
        return;
    }
    event_del(c->ev);
    event_assign(c->ev, c->a->base, c->fd, EV_WRITE | EV_PERSIST, on_write, c);
    event_add(c->ev, NULL);
    on_write(c->fd, EV_WRITE, c);
}

static void route(struct admin_conn *c)
{
    struct hgc_admin *a = c->a;
    /* request line: METHOD SP TARGET SP HTTP/1.x */
    char *sp1 = memchr(c->head, ' ', c->head_len);
    char *sp2 = sp1 ? memchr(sp1 + 1, ' ', c->head_len - (size_t)(sp1 + 1 - c->head)) : NULL;
    char *eol = memchr(c->head, '\r', c->head_len);
    static const char bad[] = "bad request\n";
    if (!sp1 || !sp2 || !eol || sp2 > eol || eol - sp2 < 9 || memcmp(sp2 + 1, "HTTP/1.", 7) != 0) {
        answer(c, 400, "Bad Request", "text/plain", bad, sizeof bad - 1, false);
        return;
    }
    size_t mlen = (size_t)(sp1 - c->head);
    bool get = mlen == 3 && !memcmp(c->head, "GET", 3);
    bool head = mlen == 4 && !memcmp(c->head, "HEAD", 4);
    const char *target = sp1 + 1;
    size_t tlen = strcspn(target, "? ");
    if (tlen > (size_t)(sp2 - target))
        tlen = (size_t)(sp2 - target);
    bool healthz = tlen == 8 && !memcmp(target, "/healthz", 8);
    bool metrics = tlen == 8 && !memcmp(target, "/metrics", 8);
    if (!healthz && !metrics) {
        static const char nf[] = "not found\n";
        answer(c, 404, "Not Found", "text/plain", nf, sizeof nf - 1, head);
        return;
    }
    if (!get && !head) {
        static const char na[] = "method not allowed\n";
        answer(c, 405, "Method Not Allowed", "text/plain", na, sizeof na - 1, false);
        return;
    }
    if (healthz) {
        int64_t last = a->last_poll ? hg_gauge_value(a->last_poll) : 0;
        int64_t now = hg_clock_now_ms() / 1000;
        if (a->last_poll && (last == 0 || now - last > a->stale_s)) {
            static const char msg[] = "stale: the worker has not polled Kafka recently\n";
            answer(c, 503, "Service Unavailable", "text/plain", msg, sizeof msg - 1, head);
            return;
        }
        answer(c, 200, "OK", "text/plain", "ok\n", 3, head);
        return;
    }
    struct hg_buf b;
    hg_buf_init(&b, HGC_ADMIN_MAX_BODY);
    if (hg_metrics_render(a->metrics, &b) != 0) {
        static const char big[] = "metrics too large\n";
        answer(c, 500, "Internal Server Error", "text/plain", big, sizeof big - 1, head);
    } else {
        answer(c, 200, "OK", "text/plain; version=0.0.4", b.data ? b.data : "", b.len, head);
    }
    hg_buf_cleanup(&b);
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
    struct admin_conn *c = arg;
    for (;;) {
        if (c->head_len == sizeof c->head) {
            static const char big[] = "request head too large\n";
            answer(c, 431, "Request Header Fields Too Large", "text/plain", big, sizeof big - 1, false);
            return;
        }
        ssize_t r = recv(c->fd, c->head + c->head_len, sizeof c->head - c->head_len, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (r <= 0) {
            conn_close(c);   /* gone before its request was complete */
            return;
        }
        size_t from = c->head_len >= 3 ? c->head_len - 3 : 0;
        c->head_len += (size_t)r;
        for (size_t i = from; i + 4 <= c->head_len; i++)
            if (!memcmp(c->head + i, "\r\n\r\n", 4)) {
                route(c);   /* what follows the head (a body, more requests) is not read */
                return;
            }
    }
}

static void on_accept_resume(evutil_socket_t fd, short what, void *arg)
{
    struct hgc_admin *a = arg;
    event_add(a->accept_ev, NULL);
}

static void on_accept(evutil_socket_t lfd, short what, void *arg)
{
    struct hgc_admin *a = arg;
    for (int n = 0; n < 16; n++) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                /* out of descriptors: pause accepting rather than spin */
                static const struct timeval again = { 1, 0 };
                event_del(a->accept_ev);
                event_add(a->accept_resume, &again);
                hg_log_warn("admin_accept_paused", "error", strerror(errno));
            }
            return;
        }
        if (a->nconns >= HGC_ADMIN_MAX_CONNS)
            conn_close(a->oldest);   /* the newest client is the likelier live one */
        struct admin_conn *c = calloc(1, sizeof *c);
        if (c) {
            c->a = a;
            c->fd = fd;
            c->ev = event_new(a->base, fd, EV_READ | EV_PERSIST, on_read, c);
            c->deadline = evtimer_new(a->base, on_deadline, c);
        }
        if (!c || !c->ev || !c->deadline) {
            if (c) {
                if (c->ev)
                    event_free(c->ev);
                if (c->deadline)
                    event_free(c->deadline);
                free(c);
            }
            close(fd);
            continue;
        }
        hg_buf_init(&c->out, HGC_ADMIN_MAX_BODY + 512);
        c->prev = a->newest;
        if (a->newest)
            a->newest->next = c;
        else
            a->oldest = c;
        a->newest = c;
        a->nconns++;
        static const struct timeval limit = { HGC_ADMIN_DEADLINE_S, 0 };
        event_add(c->deadline, &limit);
        event_add(c->ev, NULL);
    }
}

static void *admin_thread(void *arg)
{
    struct hgc_admin *a = arg;
    event_base_dispatch(a->base);
    return NULL;
}

/* Bind and listen on host:port ("" = every IPv4 address). Returns the
 * socket or -1 with errstr. */
static int admin_listen(const char *host, const char *port, char *errstr, size_t errstr_size)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int e = getaddrinfo(host[0] ? host : "0.0.0.0", port, &hints, &res);
    if (e != 0) {
        snprintf(errstr, errstr_size, "HOOKGATE_ADMIN_LISTEN: %s", gai_strerror(e));
        return -1;
    }
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd >= 0)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 64) != 0) {
        snprintf(errstr, errstr_size, "admin server: cannot listen on %s:%s: %s", host, port,
                 strerror(errno));
        if (fd >= 0)
            close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

struct hgc_admin *hgc_admin_start(const char *listen, struct hg_metrics *metrics,
                                  struct hg_gauge *last_poll, int stale_s,
                                  char *errstr, size_t errstr_size)
{
    char host[256], portstr[8];
    const char *colon = strrchr(listen, ':');
    struct hgc_admin *a = calloc(1, sizeof *a);
    if (!a) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    a->listen_fd = -1;
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
    snprintf(portstr, sizeof portstr, "%ld", port);
    a->listen_fd = admin_listen(host, portstr, errstr, errstr_size);
    if (a->listen_fd < 0)
        goto fail;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(a->listen_fd, (struct sockaddr *)&ss, &sl) == 0)
        a->port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                           : ntohs(((struct sockaddr_in *)&ss)->sin_port);
    a->base = event_base_new();
    a->accept_ev = a->base ? event_new(a->base, a->listen_fd, EV_READ | EV_PERSIST, on_accept, a) : NULL;
    a->accept_resume = a->base ? evtimer_new(a->base, on_accept_resume, a) : NULL;
    a->tick = a->base ? event_new(a->base, -1, EV_PERSIST, on_tick, a) : NULL;
    struct timeval tv = { 0, 200000 };
    if (!a->accept_ev || !a->accept_resume || !a->tick || event_add(a->accept_ev, NULL) != 0 ||
        event_add(a->tick, &tv) != 0) {
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
    while (a->oldest)
        conn_close(a->oldest);
    if (a->tick)
        event_free(a->tick);
    if (a->accept_ev)
        event_free(a->accept_ev);
    if (a->accept_resume)
        event_free(a->accept_resume);
    if (a->listen_fd >= 0)
        close(a->listen_fd);
    if (a->base)
        event_base_free(a->base);
    free(a);
}

/* server.c — listeners, loop threads, signals, shutdown. */
#include "gateway/server.h"

#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <limits.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/file_atomic.h"
#include "common/kafka.h"
#include "common/log.h"
#include "gateway/acks.h"
#include "gateway/conn.h"

#define GW_LISTEN_BACKLOG 4096
#define GW_ACCEPT_BATCH 64
#define GW_ACCEPT_PAUSE_MS 100   /* after EMFILE/ENFILE */
/* Descriptors clients may not take: per thread its listener, eventfd and
 * pipes, its producer's queue pipes and a socket per broker (and a new
 * producer's while one is replaced); once more for the embedded cluster.
 * Without them, clients holding every descriptor left librdkafka unable to
 * reconnect after a broker restart ("Too many open files"). */
#define GW_RESERVED_FDS_PER_THREAD 64
#define GW_RESERVED_FDS 64

/* "host:port", "[v6]:port" or ":port" → addrinfo. */
static struct addrinfo *resolve_listen(const char *spec, char *errstr, size_t errstr_size)
{
    char host[256];
    const char *colon = strrchr(spec, ':');
    if (!colon || !colon[1] || (size_t)(colon - spec) >= sizeof host) {
        snprintf(errstr, errstr_size, "setting --listen: \"%s\" is not HOST:PORT", spec);
        return NULL;
    }
    /* getaddrinfo takes "99999" or "+80" and keeps the low 16 bits: a typo
     * would listen on some other port without a word */
    const char *port = colon + 1;
    size_t pl = strlen(port);
    bool digits = pl <= 5 && strspn(port, "0123456789") == pl;
    if (!digits || strtol(port, NULL, 10) > 65535) {
        snprintf(errstr, errstr_size, "setting --listen / HOOKGATE_LISTEN: \"%s\": the port must be 0-65535",
                 spec);
        return NULL;
    }
    size_t hl = (size_t)(colon - spec);
    memcpy(host, spec, hl);
    host[hl] = '\0';
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = '\0';
    }
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(host[0] ? host : NULL, colon + 1, &hints, &res);
    if (rc != 0) {
        snprintf(errstr, errstr_size, "setting --listen: \"%s\": %s", spec, gai_strerror(rc));
        return NULL;
    }
    return res;
}

static int listen_on(const struct addrinfo *ai, int port, char *errstr, size_t errstr_size)
{
    struct sockaddr_storage ss;
    memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
    if (port >= 0) {
        if (ss.ss_family == AF_INET)
            ((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
        else
            ((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
    }
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0 ||
        bind(fd, (struct sockaddr *)&ss, ai->ai_addrlen) != 0 ||
        listen(fd, GW_LISTEN_BACKLOG) != 0) {
        snprintf(errstr, errstr_size, "cannot listen: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static int bound_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return -1;
    return ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                         : ((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* Out of descriptors: the listener stays readable, so stop watching it
 * for a moment instead of spinning (connections wait in the backlog). */
static void pause_accept(struct gw_thread *t, int err)
{
    static const struct timeval pause = { 0, GW_ACCEPT_PAUSE_MS * 1000 };
    int64_t now = hg_clock_mono_us();
    event_del(t->ev_accept);
    event_add(t->ev_accept_resume, &pause);
    hg_counter_add(t->app->metrics.accept_paused, 1);
    if (now - t->accept_warned_us > 10 * 1000000LL) {   /* one line per 10 s */
        t->accept_warned_us = now;
        hg_log_warn("accept_paused", "error", strerror(err),
                    "hint", "raise the open-files limit (LimitNOFILE) or lower --max-connections");
    }
}

static void on_accept_resume(evutil_socket_t fd, short what, void *arg)
{
    struct gw_thread *t = arg;
    if (t->ev_accept && !t->closing)
        event_add(t->ev_accept, NULL);
}

static void on_accept(evutil_socket_t fd, short what, void *arg)
{
    struct gw_thread *t = arg;
    for (int i = 0; i < GW_ACCEPT_BATCH; i++) {
        int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                pause_accept(t, errno);
            else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
                hg_log_warn("accept_failed", "error", strerror(errno));
            return;
        }
        if (cfd >= t->app->client_fd_max) {   /* into Kafka's reserve: wait as at EMFILE */
            close(cfd);
            pause_accept(t, EMFILE);
            return;
        }
        if (t->nconns >= (size_t)t->app->cfg->s.max_connections) {
            hg_counter_add(t->app->metrics.conn_rejected, 1);
            close(cfd);
            continue;
        }
        gw_conn_accept(t, cfd);
    }
}

static void on_drain_tick(evutil_socket_t fd, short what, void *arg)
{
    struct gw_thread *t = arg;
    if (t->nconns == 0 && t->inflight == 0)
        event_base_loopexit(t->base, NULL);
}

/* The main thread asked this loop to stop taking work. */
static void on_ctl(evutil_socket_t fd, short what, void *arg)
{
    struct gw_thread *t = arg;
    uint64_t v;
    if (read(fd, &v, sizeof v) != sizeof v || t->closing)
        return;
    t->closing = true;
    if (t->ev_accept) {
        event_free(t->ev_accept);
        t->ev_accept = NULL;
    }
    if (t->listen_fd >= 0) {
        close(t->listen_fd);
        t->listen_fd = -1;
    }
    gw_conn_close_idle_all(t);
    struct timeval tick = { 0, 20 * 1000 };
    t->ev_drain = event_new(t->base, -1, EV_PERSIST, on_drain_tick, t);
    if (t->ev_drain)
        event_add(t->ev_drain, &tick);
    /* Whatever is still open after the longest a request may take is cut. */
    long long ms = t->app->cfg->s.ack_timeout_ms + t->app->cfg->s.request_timeout_ms + 1000;
    struct timeval cut = { (time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000) };
    event_base_loopexit(t->base, &cut);
}

static void *thread_main(void *arg)
{
    struct gw_thread *t = arg;
    event_base_dispatch(t->base);
    /* connections still open at the cut: close them (their records stay
     * with the producer, which is flushed by the main thread) */
    while (t->conns)
        gw_conn_close(t->conns);
    return NULL;
}

static int thread_setup(struct gw_thread *t, char *errstr, size_t errstr_size)
{
    const struct gw_config *cfg = t->app->cfg;
    struct event_config *ec = event_config_new();
    if (!ec)
        goto oom;
    event_config_set_flag(ec, EVENT_BASE_FLAG_NOLOCK);
    t->base = event_base_new_with_config(ec);
    event_config_free(ec);
    if (!t->base)
        goto oom;
    t->sig_scratch = hg_slack_sig_scratch_new();
    if (!t->sig_scratch)
        goto oom;
    struct timeval req = { (time_t)(cfg->s.request_timeout_ms / 1000),
                           (suseconds_t)(cfg->s.request_timeout_ms % 1000) * 1000 };
    struct timeval ka = { (time_t)cfg->s.keepalive_timeout_s, 0 };
    struct timeval ack = { (time_t)(cfg->s.ack_timeout_ms / 1000),
                           (suseconds_t)(cfg->s.ack_timeout_ms % 1000) * 1000 };
    t->tv_request = event_base_init_common_timeout(t->base, &req);
    t->tv_keepalive = event_base_init_common_timeout(t->base, &ka);
    t->tv_ack = event_base_init_common_timeout(t->base, &ack);
    if (!t->tv_request || !t->tv_keepalive || !t->tv_ack)
        goto oom;
    t->ev_accept = event_new(t->base, t->listen_fd, EV_READ | EV_PERSIST, on_accept, t);
    t->ev_accept_resume = evtimer_new(t->base, on_accept_resume, t);
    t->ctl_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (!t->ev_accept || !t->ev_accept_resume || t->ctl_fd < 0)
        goto oom;
    t->ev_ctl = event_new(t->base, t->ctl_fd, EV_READ | EV_PERSIST, on_ctl, t);
    if (!t->ev_ctl || event_add(t->ev_ctl, NULL) != 0 || event_add(t->ev_accept, NULL) != 0)
        goto oom;
    return gw_acks_start(t, errstr, errstr_size);
oom:
    snprintf(errstr, errstr_size, "event loop set-up failed (out of memory or descriptors)");
    return -1;
}

static void thread_cleanup(struct gw_thread *t)
{
    if (t->ev_accept_resume)
        event_free(t->ev_accept_resume);
    if (t->ev_accept)
        event_free(t->ev_accept);
    if (t->ev_ctl)
        event_free(t->ev_ctl);
    if (t->ev_drain)
        event_free(t->ev_drain);
    if (t->listen_fd >= 0)
        close(t->listen_fd);
    if (t->ctl_fd >= 0)
        close(t->ctl_fd);
    if (t->base)
        event_base_free(t->base);
    hg_slack_sig_scratch_free(t->sig_scratch);
    t->sig_scratch = NULL;
}

/* Every allowed connection needs a descriptor, and Kafka needs its
 * reserve beside them: raise the soft open-files limit towards the hard one
 * when --max-connections × threads plus the reserve asks for more, say so
 * when even the hard limit is lower, and set the highest descriptor a
 * client may hold (app->client_fd_max). */
static void check_open_files(struct gw_app *app)
{
    struct rlimit rl;
    unsigned long long reserve = GW_RESERVED_FDS_PER_THREAD * (unsigned long long)app->nthreads +
                                 GW_RESERVED_FDS;
    unsigned long long want = (unsigned long long)app->cfg->s.max_connections * app->nthreads + reserve;
    app->client_fd_max = INT_MAX;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return;
    rlim_t soft = rl.rlim_cur;
    if (soft < want) {
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ? (rlim_t)want : rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
            soft = rl.rlim_cur;
    }
    if (reserve > soft / 2)   /* a limit too small for both: half is the clients' */
        reserve = soft / 2;
    if (soft < INT_MAX)
        app->client_fd_max = (int)(soft - reserve);
    if (soft < want) {
        char have[32], need[32];
        snprintf(have, sizeof have, "%llu", (unsigned long long)soft);
        snprintf(need, sizeof need, "%llu", want);
        hg_log_warn("open_files_limit_low", "limit", have, "wanted", need,
                    "hint", "raise LimitNOFILE / ulimit -n, or lower --max-connections; "
                            "above the limit new connections wait (hookgate_accept_paused_total)");
    }
}

int gw_server_run(struct gw_app *app)
{
    const struct gw_config *cfg = app->cfg;
    char err[512], portbuf[16];
    int rc = 1, port = -1;
    unsigned started = 0;
    sigset_t sigs;

    struct addrinfo *ai = resolve_listen(cfg->s.listen, err, sizeof err);
    if (!ai) {
        hg_log_error("startup_failed", "reason", err);
        return 2;
    }
    check_open_files(app);
    app->threads = calloc(app->nthreads, sizeof *app->threads);
    if (!app->threads) {
        freeaddrinfo(ai);
        return 1;
    }
    for (unsigned i = 0; i < app->nthreads; i++) {
        struct gw_thread *t = &app->threads[i];
        t->app = app;
        t->idx = i;
        t->ctl_fd = t->listen_fd = -1;
        t->dr_pipe[0] = t->dr_pipe[1] = -1;
    }
    for (unsigned i = 0; i < app->nthreads; i++) {
        struct gw_thread *t = &app->threads[i];
        t->listen_fd = listen_on(ai, port, err, sizeof err);
        if (t->listen_fd < 0)
            goto out;
        if (i == 0)
            port = bound_port(t->listen_fd);
        if (thread_setup(t, err, sizeof err) != 0)
            goto out;
    }
    freeaddrinfo(ai);
    ai = NULL;

    /* Signals go to the main thread only (sigwait below). */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    for (; started < app->nthreads; started++)
        if (pthread_create(&app->threads[started].tid, NULL, thread_main, &app->threads[started]) != 0) {
            snprintf(err, sizeof err, "cannot start thread: %s", strerror(errno));
            goto out;
        }
    snprintf(portbuf, sizeof portbuf, "%d", port);
    char nthreads[16];
    snprintf(nthreads, sizeof nthreads, "%u", app->nthreads);
    if (cfg->s.port_file) {
        char line[16], why[512];
        int n = snprintf(line, sizeof line, "%d\n", port);
        if (hg_file_write_atomic(cfg->s.port_file, line, (size_t)n, why, sizeof why) != 0)
            hg_log_warn("port_file_failed", "path", cfg->s.port_file, "error", why);
    }
    hg_log_info("listening", "listen", cfg->s.listen, "port", portbuf, "threads", nthreads,
                "topic", cfg->s.topic);
    if (cfg->s.sched_batch && hg_kafka_batch_refusals() > 0)
        hg_log_warn("sched_batch_refused", "effect",
                    "librdkafka's threads keep the default scheduling policy (--sched-batch)");

    int sig = 0;
    sigwait(&sigs, &sig);
    atomic_store(&app->draining, true);
    hg_log_info("shutdown_started", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    if (cfg->s.shutdown_grace_ms > 0) {
        struct timespec ts = { (time_t)(cfg->s.shutdown_grace_ms / 1000),
                               (long)(cfg->s.shutdown_grace_ms % 1000) * 1000000L };
        nanosleep(&ts, NULL);
    }
    rc = 0;
out:
    if (rc != 0 && started == 0)
        hg_log_error("startup_failed", "reason", err);
    for (unsigned i = 0; i < started; i++) {
        uint64_t one = 1;
        if (write(app->threads[i].ctl_fd, &one, sizeof one) != sizeof one)
            event_base_loopbreak(app->threads[i].base);
    }
    for (unsigned i = 0; i < started; i++)
        pthread_join(app->threads[i].tid, NULL);
    int undelivered = 0;
    for (unsigned i = 0; i < app->nthreads; i++) {
        undelivered += gw_acks_stop(&app->threads[i], 10 * 1000);
        thread_cleanup(&app->threads[i]);
    }
    if (undelivered) {
        char n[16];
        snprintf(n, sizeof n, "%d", undelivered);
        /* never acknowledged (their requests were answered 503): no loss */
        hg_log_warn("shutdown_unacknowledged_dropped", "records", n);
    }
    if (rc == 0)
        hg_log_info("shutdown_complete");
    if (ai)
        freeaddrinfo(ai);
    free(app->threads);
    app->threads = NULL;
    return rc;
}

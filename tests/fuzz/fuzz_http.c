/* fuzz_http.c — the gateway's HTTP/1.1 connection handling (parser glue,
 * limits, pipelining, replies) on arbitrary bytes over a socketpair, split
 * into chunks of a size the first byte picks. No Kafka: unsigned requests
 * never reach the producer. */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/slack_sig.h"
#include "gateway/conn.h"
#include "gateway/dedup.h"
#include "gateway/gateway.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct gw_config cfg;
static struct gw_app app;
static struct gw_thread t;

static void setup(void)
{
    cfg.s.max_body = 4096;
    cfg.s.request_timeout_ms = 1000;
    cfg.s.keepalive_timeout_s = 1;
    cfg.s.ack_timeout_ms = 1000;
    cfg.s.max_inflight = 4;
    cfg.s.max_buffered = 8192;   /* an envelope body (cap ~70 KiB) can go over: 503 */
    cfg.s.max_connections = 4;
    cfg.s.retry_after_s = 1;
    cfg.s.signature_max_age = 300;
    hg_slack_secrets_add(&cfg.secrets, "fuzz", 4);
    app.cfg = &cfg;
    app.dedup = gw_dedup_create(16);
    if (gw_metrics_init(&app.metrics) != 0)
        abort();
    t.app = &app;
    t.base = event_base_new();
    struct timeval one = { 1, 0 };
    t.tv_request = t.tv_keepalive = t.tv_ack = event_base_init_common_timeout(t.base, &one);
    t.listen_fd = t.ctl_fd = -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int sv[2];
    char sink[65536];
    if (!t.base)
        setup();
    if (size < 1 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) != 0)
        return 0;
    size_t chunk = (size_t)(data[0] % 64) + 1;
    data++;
    size--;
    gw_conn_accept(&t, sv[0]);
    for (size_t off = 0; off < size && t.nconns; ) {
        size_t n = size - off < chunk ? size - off : chunk;
        ssize_t w = write(sv[1], data + off, n);
        if (w > 0)
            off += (size_t)w;
        event_base_loop(t.base, EVLOOP_NONBLOCK);
        while (read(sv[1], sink, sizeof sink) > 0)
            ;
        if (w <= 0 && off < size)
            break;
    }
    shutdown(sv[1], SHUT_WR);
    for (int i = 0; i < 8 && t.nconns; i++) {
        event_base_loop(t.base, EVLOOP_NONBLOCK);
        while (read(sv[1], sink, sizeof sink) > 0)
            ;
    }
    while (t.conns)
        gw_conn_close(t.conns);
    close(sv[1]);
    /* every byte taken from the budget came back */
    if (atomic_load(&app.buffered) != 0)
        abort();
    return 0;
}

/* dlq.c — the dead-letter producer: produce with headers, wait for the
 * delivery report; a producer that hit a fatal error is replaced. */
#include "consumer/dlq.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/kafka.h"
#include "common/log.h"

struct hgc_dlq {
    rd_kafka_t *rk;                       /* NULL after a failed replacement */
    char *topic;
    const char *brokers;                  /* borrowed: outlive d */
    const struct hg_kafka_props *props;   /* borrowed: outlive d */
};

/* Per-message delivery state, pointed to by the message opaque. */
struct dlq_wait {
    int done;
    rd_kafka_resp_err_t err;
};

static void dlq_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    struct dlq_wait *w = m->_private;
    if (w) {
        w->err = m->err;
        w->done = 1;
    }
}

/* A new producer for d, or NULL with errstr. */
static rd_kafka_t *dlq_producer_new(const struct hgc_dlq *d, char *errstr, size_t errstr_size)
{
    /* message.max.bytes: a record may already be at librdkafka's default
     * limit (1,000,000 bytes) on the source topic, and the dead-letter
     * headers add a few hundred: 1 MiB still fits Kafka's default broker
     * and topic limit (1,048,588). At the default it was refused here
     * every time, so the record was retried for ever. */
    static const char *const defaults[] = {
        "enable.idempotence", "true",
        "acks", "all",
        "linger.ms", "0",
        "message.timeout.ms", "30000",
        "message.max.bytes", "1048576",
        "partitioner", HG_KAFKA_PARTITIONER,   /* redriven: back beside its channel's records */
        NULL,
    };
    rd_kafka_conf_t *conf = hg_kafka_conf_new(d->brokers, defaults, d->props, errstr, errstr_size);
    if (!conf)
        return NULL;
    rd_kafka_conf_set_dr_msg_cb(conf, dlq_dr_cb);
    return hg_kafka_new(RD_KAFKA_PRODUCER, conf, d->props, errstr, errstr_size);   /* takes conf */
}

struct hgc_dlq *hgc_dlq_create(const char *brokers, const struct hg_kafka_props *props,
                               const char *topic, char *errstr, size_t errstr_size)
{
    struct hgc_dlq *d = calloc(1, sizeof *d);
    if (!d || !(d->topic = strdup(topic))) {
        snprintf(errstr, errstr_size, "out of memory");
        goto fail;
    }
    d->brokers = brokers;
    d->props = props;
    if (!(d->rk = dlq_producer_new(d, errstr, errstr_size)))
        goto fail;
    return d;
fail:
    hgc_dlq_destroy(d);
    return NULL;
}

/* After a fatal error (the idempotent producer's guarantee broken, e.g. an
 * out-of-order sequence) a producer takes nothing more: every later record
 * would fail, so replace it (as the gateway does). A replacement that fails
 * leaves d->rk NULL and is tried again by the next send. */
static void dlq_producer_check(struct hgc_dlq *d)
{
    char why[256], errstr[256];
    if (d->rk) {
        rd_kafka_resp_err_t e = rd_kafka_fatal_error(d->rk, why, sizeof why);
        if (!e)
            return;
        hg_log_error("dlq_producer_fatal", "error", rd_kafka_err2name(e), "reason", why);
        rd_kafka_destroy(d->rk);   /* a fatal producer has nothing more to deliver */
        d->rk = NULL;
    }
    if ((d->rk = dlq_producer_new(d, errstr, sizeof errstr)))
        hg_log_warn("dlq_producer_replaced", "topic", d->topic);
    else
        hg_log_error("dlq_producer_replace_failed", "reason", errstr);
}

void hgc_dlq_destroy(struct hgc_dlq *d)
{
    if (!d)
        return;
    if (d->rk) {
        rd_kafka_flush(d->rk, 10000);
        rd_kafka_destroy(d->rk);
    }
    free(d->topic);
    free(d);
}

int hgc_dlq_produce_sync(struct hgc_dlq *d, const char *topic, const void *key, size_t key_len,
                         const void *value, size_t value_len, const rd_kafka_headers_t *hdrs,
                         int timeout_ms, char *errstr, size_t errstr_size)
{
    struct dlq_wait w = { 0, RD_KAFKA_RESP_ERR_NO_ERROR };
    dlq_producer_check(d);
    if (!d->rk) {
        snprintf(errstr, errstr_size, "no producer for %s (it is being replaced after a fatal error)",
                 topic ? topic : d->topic);
        return -1;
    }
    rd_kafka_headers_t *h = hdrs ? rd_kafka_headers_copy(hdrs) : rd_kafka_headers_new(0);
    if (!h) {
        snprintf(errstr, errstr_size, "out of memory");
        return -1;
    }
    rd_kafka_resp_err_t err = rd_kafka_producev(d->rk,
        RD_KAFKA_V_TOPIC(topic ? topic : d->topic),
        RD_KAFKA_V_KEY((void *)key, key_len),
        RD_KAFKA_V_VALUE((void *)value, value_len),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_HEADERS(h),
        RD_KAFKA_V_OPAQUE(&w),
        RD_KAFKA_V_END);
    if (err) {
        rd_kafka_headers_destroy(h);  /* not taken on failure */
        snprintf(errstr, errstr_size, "produce to %s failed: %s",
                 topic ? topic : d->topic, rd_kafka_err2str(err));
        return -1;
    }
    /* The opaque must stay valid until the report arrives. librdkafka
     * fails the message at message.timeout.ms, but a --kafka override can
     * make that longer or 0 (never): past timeout_ms (+5 s, so the default
     * 30 s message timeout speaks first) the message is purged, which
     * brings its report at once. */
    int64_t deadline = hg_clock_mono_us() / 1000 + (timeout_ms > 0 ? timeout_ms : 30000) + 5000;
    bool purged = false;
    while (!w.done) {
        rd_kafka_poll(d->rk, 50);
        if (!w.done && !purged && hg_clock_mono_us() / 1000 > deadline) {
            rd_kafka_purge(d->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
            purged = true;
        }
    }
    if (w.err) {
        snprintf(errstr, errstr_size, "delivery to %s failed: %s",
                 topic ? topic : d->topic, rd_kafka_err2str(w.err));
        return -1;
    }
    return 0;
}

int hgc_dlq_send(struct hgc_dlq *d, const rd_kafka_message_t *src, const char *step,
                 const char *reason, int attempts, int timeout_ms,
                 char *errstr, size_t errstr_size)
{
    int rc = -1;
    rd_kafka_headers_t *h = NULL, *orig = NULL;
    char num[32];
    char ts[25];

    if (rd_kafka_message_headers(src, &orig) == RD_KAFKA_RESP_ERR_NO_ERROR && orig)
        h = rd_kafka_headers_copy(orig);
    else
        h = rd_kafka_headers_new(8);
    if (!h) {
        snprintf(errstr, errstr_size, "out of memory");
        goto out;
    }
    rd_kafka_header_add(h, HGC_DLQ_H_STEP, -1, step, -1);
    rd_kafka_header_add(h, HGC_DLQ_H_REASON, -1, reason, -1);
    snprintf(num, sizeof num, "%d", attempts);
    rd_kafka_header_add(h, HGC_DLQ_H_ATTEMPTS, -1, num, -1);
    rd_kafka_header_add(h, HGC_DLQ_H_TOPIC, -1, rd_kafka_topic_name(src->rkt), -1);
    snprintf(num, sizeof num, "%" PRId32, src->partition);
    rd_kafka_header_add(h, HGC_DLQ_H_PARTITION, -1, num, -1);
    snprintf(num, sizeof num, "%" PRId64, src->offset);
    rd_kafka_header_add(h, HGC_DLQ_H_OFFSET, -1, num, -1);
    hg_clock_rfc3339_ms(hg_clock_now_ms(), ts);
    rd_kafka_header_add(h, HGC_DLQ_H_TIME, -1, ts, -1);
    rc = hgc_dlq_produce_sync(d, NULL, src->key, src->key_len, src->payload, src->len, h,
                              timeout_ms, errstr, errstr_size);
out:
    if (h)
        rd_kafka_headers_destroy(h);
    return rc;
}

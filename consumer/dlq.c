/* dlq.c — the dead-letter producer: produce with headers, wait for the
 * delivery report. */
#include "consumer/dlq.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/kafka.h"

struct hgc_dlq {
    rd_kafka_t *rk;
    char *topic;
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

struct hgc_dlq *hgc_dlq_create(const char *brokers, const struct hg_kafka_props *props,
                               const char *topic, char *errstr, size_t errstr_size)
{
    static const char *const defaults[] = {
        "enable.idempotence", "true",
        "acks", "all",
        "linger.ms", "0",
        "message.timeout.ms", "30000",
        NULL,
    };
    struct hgc_dlq *d = calloc(1, sizeof *d);
    rd_kafka_conf_t *conf = NULL;
    if (!d || !(d->topic = strdup(topic))) {
        snprintf(errstr, errstr_size, "out of memory");
        goto fail;
    }
    conf = hg_kafka_conf_new(brokers, defaults, props, errstr, errstr_size);
    if (!conf)
        goto fail;
    rd_kafka_conf_set_dr_msg_cb(conf, dlq_dr_cb);
    d->rk = hg_kafka_new(RD_KAFKA_PRODUCER, conf, props, errstr, errstr_size);
    conf = NULL;   /* taken by hg_kafka_new */
    if (!d->rk)
        goto fail;
    return d;
fail:
    if (conf)
        rd_kafka_conf_destroy(conf);
    hgc_dlq_destroy(d);
    return NULL;
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
    /* The opaque must stay valid until the report arrives; librdkafka
     * fails the message at message.timeout.ms at the latest. */
    (void)timeout_ms;
    while (!w.done)
        rd_kafka_poll(d->rk, 50);
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

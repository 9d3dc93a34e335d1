/* acks.c — produce, wait for the delivery report, answer. librdkafka facts:
 * protocols.md §11 (src/rdkafka.h @ v2.0.2: rd_kafka_queue_io_event_enable
 * needs a non-blocking fd and writes only on empty → non-empty). */
#include "gateway/acks.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/json.h"
#include "common/kafka.h"
#include "common/limits.h"
#include "common/log.h"
#include "gateway/budget.h"
#include "gateway/conn.h"
#include "gateway/dedup.h"
#include "gateway/producer_defaults.h"

#define GW_PRODUCE_BATCH_MAX 256            /* records produced in one call, at most */

struct gw_pending {
    struct gw_conn   *conn;      /* NULL once answered or closed */
    struct gw_thread *t;
    char             *record;    /* owned; librdkafka only points at it (no F_FREE) */
    size_t            len;       /* its bytes, taken from the budget */
    struct event      ev_deadline;
    int64_t           start_us;
    uint64_t          id_hash;
    char              key[2 * HG_RECORD_KEY_MAX + 2];   /* until produced */
};

/* Records handed over during one pass of the loop, produced together at
 * its end (rd_kafka_produce_batch): librdkafka then wakes a broker thread
 * once per batch rather than once per record. */
struct gw_batch {
    struct event        ev_flush;   /* made active by the first record of a pass */
    size_t              n;
    rd_kafka_message_t  msg[GW_PRODUCE_BATCH_MAX];
};

#define GW_PRODUCER_RESTART_FLUSH_MS 1000   /* serve the purged records' reports */
/* librdkafka scans for timed-out messages about once a second: the margin
 * message.timeout.ms keeps under the ack deadline. */
#define GW_KAFKA_TIMEOUT_SCAN_MS 1000
/* How long the cluster must name no partition of the topic before /readyz
 * says kafka_topic_missing (topic_check). */
#define GW_TOPIC_MISSING_AFTER_US (2 * 1000 * 1000)
#define GW_REFUSED_LOG_EVERY_US (10 * 1000000)   /* kafka_produce_refused and
                                                  * kafka_delivery_failed: a line a thread at most */

static void answer_503(struct gw_conn *c, const char *code, const char *message)
{
    gw_conn_reply_error(c, 503, code, message, (int)c->t->app->cfg->s.retry_after_s);
}

/* Kafka refused the record, when queueing it (queued false) or in its
 * delivery report. Too large is for good (413: a retry cannot succeed);
 * anything else may pass (503 with Retry-After). */
static void answer_refused(struct gw_conn *c, rd_kafka_resp_err_t err, bool queued)
{
    char msg[200];
    if (err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) {
        gw_conn_reply_error(c, 413, "record_too_large",
                            "the record is over Kafka's message size limit (the producer's "
                            "message.max.bytes or the topic's max.message.bytes)", 0);
        return;
    }
    snprintf(msg, sizeof msg, queued ? "Kafka did not take the record (%s); retry later"
                                     : "the record could not be queued for Kafka (%s); retry later",
             rd_kafka_err2str(err));
    answer_503(c, queued ? "kafka_delivery_failed" : "kafka_queue_failed", msg);
}

void gw_acks_detach(struct gw_pending *p)
{
    if (p->conn)
        p->conn->pending = NULL;
    p->conn = NULL;
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
    struct gw_pending *p = arg;
    struct gw_conn *c = p->conn;
    if (!c)
        return;
    gw_acks_detach(p);
    hg_counter_add(p->t->app->metrics.ack_timeouts, 1);
    answer_503(c, "kafka_ack_timeout", "Kafka did not acknowledge the record in time; retry later");
}

static void pending_free(struct gw_pending *p)
{
    gw_budget_give(p->t->app, p->len);
    free(p->record);
    free(p);
}

/* A failed delivery report: counted, and logged at most once every 10 s a
 * thread with how many failed since (an outage fails every request: a line
 * each, written on the loop thread, would stall it behind a slow log
 * pipe). */
static void note_delivery_failed(struct gw_thread *t, const rd_kafka_message_t *m)
{
    hg_counter_add(t->app->metrics.delivery_failures, 1);
    t->failed_unlogged[rd_kafka_message_status(m) == RD_KAFKA_MSG_STATUS_NOT_PERSISTED ? 0 : 1]++;
    int64_t now = hg_clock_mono_us();
    if (t->failed_logged_us && now - t->failed_logged_us < GW_REFUSED_LOG_EVERY_US)
        return;
    char idx[16], no[24], maybe[24];
    snprintf(idx, sizeof idx, "%u", t->idx);
    snprintf(no, sizeof no, "%lu", t->failed_unlogged[0]);
    snprintf(maybe, sizeof maybe, "%lu", t->failed_unlogged[1]);
    hg_log_warn("kafka_delivery_failed", "thread", idx, "error", rd_kafka_err2str(m->err),
                "not_persisted", no, "possibly_persisted", maybe);
    t->failed_logged_us = now;
    t->failed_unlogged[0] = t->failed_unlogged[1] = 0;
}

/* Runs inside rd_kafka_poll() on the loop thread. */
static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    struct gw_pending *p = m->_private;
    struct gw_thread *t = p->t;
    struct gw_metrics *mx = &t->app->metrics;
    struct gw_conn *c = p->conn;

    event_del(&p->ev_deadline);
    t->inflight--;
    hg_gauge_add(mx->inflight, -1);
    gw_budget_give(t->app, p->len);   /* before the answer: the client's next request may need it */
    p->len = 0;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        hg_counter_add(mx->records, 1);
        hg_histogram_observe(mx->ack_latency, (double)(hg_clock_mono_us() - p->start_us) / 1e6);
        if (p->id_hash)
            gw_dedup_insert(t->app->dedup, p->id_hash);
        if (c) {
            gw_acks_detach(p);
            gw_conn_reply(c, 200, NULL, NULL, 0, 0);
        } else {
            hg_counter_add(mx->late_acks, 1);
        }
    } else {
        note_delivery_failed(t, m);
        if (c) {
            gw_acks_detach(p);
            answer_refused(c, m->err, true);
        }
    }
    pending_free(p);
}

static void on_dr_pipe(evutil_socket_t fd, short what, void *arg)
{
    struct gw_thread *t = arg;
    char drain[256];
    ssize_t r;
    /* a short read has emptied the pipe: no second read to see EAGAIN */
    while ((r = read(fd, drain, sizeof drain)) == (ssize_t)sizeof drain)
        ;
    /* librdkafka only signals empty → non-empty: serve until empty. */
    while (t->rk && rd_kafka_poll(t->rk, 0) > 0)
        ;
}

/* 200 means the broker has the record: a --kafka override must not switch
 * that off (acks below all, no idempotence, no report for a success). A
 * message timeout at or over the ack deadline is allowed but said loudly:
 * records answered 503 may then land later (consumers dedupe by id). */
static const struct {
    const char *prop, *ok1, *ok2;   /* the values librdkafka may report that keep it */
    const char *why;
} guarantees[] = {
    { "acks", "-1", "all",
      "must be all; hookgate answers 200 only once every in-sync replica has the record" },
    { "enable.idempotence", "true", NULL,
      "must be true; without it a retried produce can write a record twice or out of order" },
    { "delivery.report.only.error", "false", NULL,
      "must be false; the 200 waits for each record's delivery report" },
};

static int check_guarantees(rd_kafka_conf_t *conf, const struct gw_config *cfg, bool warn,
                            char *errstr, size_t errstr_size)
{
    char v[64];
    size_t n;
    for (size_t i = 0; i < sizeof guarantees / sizeof guarantees[0]; i++) {
        n = sizeof v;
        if (rd_kafka_conf_get(conf, guarantees[i].prop, v, &n) == RD_KAFKA_CONF_OK &&
            strcmp(v, guarantees[i].ok1) != 0 && (!guarantees[i].ok2 || strcmp(v, guarantees[i].ok2) != 0)) {
            snprintf(errstr, errstr_size, "kafka property %s (--kafka / HOOKGATE_KAFKA_*): %s",
                     guarantees[i].prop, guarantees[i].why);
            return -1;
        }
    }
    n = sizeof v;
    long long mto;
    /* 0 is librdkafka's "no timeout": over any deadline */
    if (!warn || rd_kafka_conf_get(conf, "message.timeout.ms", v, &n) != RD_KAFKA_CONF_OK)
        return 0;
    mto = strtoll(v, NULL, 10);
    if (mto == 0 || mto >= cfg->s.ack_timeout_ms) {
        hg_log_warn("kafka_timeout_over_deadline", "message.timeout.ms", v,
                    "warning", "records answered 503 after --ack-timeout-ms may still land on the topic");
    } else if (mto + GW_KAFKA_TIMEOUT_SCAN_MS > cfg->s.ack_timeout_ms) {
        /* e.g. --ack-timeout-ms under 1100: message.timeout.ms is held at 100 */
        char ack[24];
        snprintf(ack, sizeof ack, "%lld", cfg->s.ack_timeout_ms);
        hg_log_warn("kafka_timeout_margin_short", "message.timeout.ms", v, "ack_timeout_ms", ack,
                    "warning", "librdkafka checks message timeouts about once a second: with less than "
                    "that between message.timeout.ms and --ack-timeout-ms, records answered 503 may "
                    "still land on the topic");
    }
    return 0;
}

static void on_kafka_error(rd_kafka_t *rk, int err, const char *reason, void *opaque);
static int on_stats(rd_kafka_t *rk, char *json, size_t json_len, void *opaque);
static void batch_flush(struct gw_thread *t);
static void on_flush(evutil_socket_t fd, short what, void *arg);

/* The configuration of producer idx (client.id hookgate-<idx>) on
 * bootstraps (NULL: none, for a check before the embedded cluster starts):
 * the built-in defaults, then --kafka, held to the delivery guarantees
 * (warn: also log the timeout warnings). Returns the conf (the caller's)
 * or NULL with errstr. */
static rd_kafka_conf_t *producer_conf(const struct gw_config *cfg, const char *bootstraps,
                                      unsigned idx, bool warn, char *errstr, size_t errstr_size)
{
    char client_id[64], timeout[32], maxmsg[32];
    /* Fail a record librdkafka could not send before we answer, so a 503
     * record does not turn up later (librdkafka checks timeouts about once a
     * second, hence the margin). In-flight records may still land
     * ("possibly persisted"): consumers dedupe by id. */
    long long mto = cfg->s.ack_timeout_ms - GW_KAFKA_TIMEOUT_SCAN_MS;
    if (mto < 100)
        mto = 100;
    snprintf(client_id, sizeof client_id, "hookgate-%u", idx);
    snprintf(timeout, sizeof timeout, "%lld", mto);
    snprintf(maxmsg, sizeof maxmsg, "%lld", cfg->s.max_inflight);
    const char *defaults[] = {
        "client.id", client_id,
        "message.timeout.ms", timeout,
        "queue.buffering.max.messages", maxmsg,
        GW_PRODUCER_DEFAULTS,
        NULL,
    };
    rd_kafka_conf_t *conf = hg_kafka_conf_new(bootstraps, defaults, &cfg->kafka, errstr, errstr_size);
    if (!conf)
        return NULL;
    if (check_guarantees(conf, cfg, warn, errstr, errstr_size) != 0) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    return conf;
}

int gw_acks_check_config(const struct gw_config *cfg, char *errstr, size_t errstr_size)
{
    rd_kafka_conf_t *conf = producer_conf(cfg, NULL, 0, false, errstr, errstr_size);
    if (!conf)
        return -1;
    rd_kafka_conf_destroy(conf);
    return 0;
}

/* Create t's producer and hook its queue to the delivery pipe. Returns 0,
 * or -1 with errstr (t->rk then NULL). */
static int producer_open(struct gw_thread *t, char *errstr, size_t errstr_size)
{
    const struct gw_config *cfg = t->app->cfg;
    rd_kafka_conf_t *conf = producer_conf(cfg, t->app->bootstraps, t->idx,
                                          t->idx == 0 && t->restarts == 0, errstr, errstr_size);
    if (!conf)
        return -1;
    if (cfg->s.sched_batch && hg_kafka_conf_batch_threads(conf, errstr, errstr_size) != 0) {
        rd_kafka_conf_destroy(conf);
        return -1;
    }
    rd_kafka_conf_set_opaque(conf, t);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_error_cb(conf, on_kafka_error);
    rd_kafka_conf_set_stats_cb(conf, on_stats);
    t->rk = hg_kafka_new(RD_KAFKA_PRODUCER, conf, &cfg->kafka, errstr, errstr_size);
    if (!t->rk)
        return -1;
    t->rkt = rd_kafka_topic_new(t->rk, cfg->s.topic, NULL);
    if (!t->rkt) {
        snprintf(errstr, errstr_size, "kafka topic %s: %s", cfg->s.topic, rd_kafka_err2str(rd_kafka_last_error()));
        rd_kafka_destroy(t->rk);
        t->rk = NULL;
        return -1;
    }
    t->mainq = rd_kafka_queue_get_main(t->rk);
    rd_kafka_queue_io_event_enable(t->mainq, t->dr_pipe[1], "1", 1);
    return 0;
}

/* Unhook and destroy t's producer; purge first (a fatal error: nothing in
 * it can still be delivered). The delivery reports served meanwhile answer
 * their requests. Returns the number of records still undelivered. */
static int producer_close(struct gw_thread *t, int timeout_ms, bool purge)
{
    int left = 0;
    if (t->mainq) {
        rd_kafka_queue_io_event_enable(t->mainq, -1, NULL, 0);
        rd_kafka_queue_destroy(t->mainq);
        t->mainq = NULL;
    }
    if (t->rk) {
        if (purge)
            rd_kafka_purge(t->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_flush(t->rk, timeout_ms);   /* serves the delivery reports */
        left = rd_kafka_outq_len(t->rk);
        if (t->rkt)
            rd_kafka_topic_destroy(t->rkt);
        rd_kafka_destroy(t->rk);
        t->rk = NULL;
        t->rkt = NULL;
    }
    return left;
}

/* The producer hit a fatal error (an idempotence guarantee broken, e.g. the
 * broker saw an out-of-order sequence): it will take no record again.
 * Replace it; until then requests get 503 at once. */
static void on_restart(evutil_socket_t fd, short what, void *arg)
{
    struct gw_thread *t = arg;
    char errstr[512];
    char num[16];
    batch_flush(t);   /* into the old producer: purged, answered 503 */
    int left = producer_close(t, GW_PRODUCER_RESTART_FLUSH_MS, true);
    snprintf(num, sizeof num, "%d", left);
    t->restarts++;
    if (producer_open(t, errstr, sizeof errstr) == 0) {
        hg_counter_add(t->app->metrics.producer_restarts, 1);
        hg_log_warn("kafka_producer_replaced", "undelivered_left", num);
        return;
    }
    hg_log_error("kafka_producer_restart_failed", "reason", errstr);
    /* No producer: /readyz must not say ready on this thread's old state
     * (the new producer's statistics set it again). */
    if (atomic_exchange(&t->kafka_state, GW_KAFKA_DOWN) != GW_KAFKA_DOWN)
        hg_gauge_add(t->app->metrics.kafka_down, 1);
    static const struct timeval again = { 1, 0 };
    event_add(t->ev_restart, &again);
}

/* Runs inside rd_kafka_poll() on the loop thread. librdkafka logs the
 * passing errors itself (log_cb); a fatal one needs a new producer. */
static void on_kafka_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    struct gw_thread *t = opaque;
    if (err != RD_KAFKA_RESP_ERR__FATAL)
        return;
    char why[256];
    rd_kafka_resp_err_t orig = rd_kafka_fatal_error(rk, why, sizeof why);
    hg_log_error("kafka_fatal", "error", rd_kafka_err2name(orig), "reason", why,
                 "action", "replacing the producer");
    if (!evtimer_pending(t->ev_restart, NULL))
        event_active(t->ev_restart, EV_TIMEOUT, 0);
}

/* With a broker up: does the cluster know the topic? librdkafka lists a
 * topic's partitions under "topics" → NAME → "partitions", with "-1" for
 * the records not yet given one: only "-1" (or no entry) means its
 * metadata names no partition — the topic is missing (a typo, deleted, a
 * cluster without auto-creation) or not authorized (an ACL or IAM policy
 * without it answers TOPIC_AUTHORIZATION_FAILED). Said once it has been
 * so for GW_TOPIC_MISSING_AFTER_US, so statistics before the first
 * metadata answer do not count.
 * Every request would get 503 while /readyz said 200. */
static void topic_check(struct gw_thread *t, yajl_val root)
{
    const char *topic = t->app->cfg->s.topic;
    yajl_val parts = hg_json_get(root, "topics", topic, "partitions", (const char *)NULL);
    bool known = false;
    for (size_t i = 0; parts && YAJL_IS_OBJECT(parts) && i < parts->u.object.len; i++)
        if (strcmp(parts->u.object.keys[i], "-1") != 0)
            known = true;
    int64_t now = hg_clock_mono_us();
    if (known || !t->topic_missing_since_us)
        t->topic_missing_since_us = known ? 0 : now;
    bool missing = t->topic_missing_since_us && now - t->topic_missing_since_us >= GW_TOPIC_MISSING_AFTER_US;
    if (atomic_exchange(&t->topic_missing, missing) == missing)
        return;
    char idx[16];
    snprintf(idx, sizeof idx, "%u", t->idx);
    hg_gauge_add(t->app->metrics.topic_missing, missing ? 1 : -1);
    if (missing)
        hg_log_error("kafka_topic_missing", "thread", idx, "topic", topic,
                     "detail", "the cluster has no partition of the topic (missing, auto-creation "
                               "off, or not authorized); /readyz answers 503");
    else
        hg_log_info("kafka_topic_found", "thread", idx, "topic", topic);
}

/* Runs inside rd_kafka_poll() on the loop thread, every
 * statistics.interval.ms: is any broker connection of this producer up,
 * and does the cluster know the topic (topic_check)? (librdkafka's
 * statistics: "brokers" → { "state": "UP", "source": "configured" |
 * "learned" | "internal" }, STATISTICS.md @ v2.0.2.) */
static int on_stats(rd_kafka_t *rk, char *json, size_t json_len, void *opaque)
{
    struct gw_thread *t = opaque;
    char why[160];
    yajl_val root = hg_json_parse(json, json_len, why, sizeof why);
    yajl_val brokers = root ? hg_json_get(root, "brokers", (const char *)NULL) : NULL;
    if (!brokers || !YAJL_IS_OBJECT(brokers)) {
        yajl_tree_free(root);
        return 0;   /* librdkafka frees json */
    }
    size_t up = 0;
    for (size_t i = 0; i < brokers->u.object.len; i++) {
        yajl_val b = brokers->u.object.values[i];
        const char *state = hg_json_get_str(b, "state", (const char *)NULL);
        const char *source = hg_json_get_str(b, "source", (const char *)NULL);
        if (state && !strcmp(state, "UP") && !(source && !strcmp(source, "internal")))
            up++;
    }
    if (up)
        topic_check(t, root);
    yajl_tree_free(root);
    int now = up ? GW_KAFKA_UP : GW_KAFKA_DOWN;
    int was = atomic_exchange(&t->kafka_state, now);
    if (now == was)
        return 0;
    struct gw_metrics *mx = &t->app->metrics;
    char idx[16];
    snprintf(idx, sizeof idx, "%u", t->idx);
    if (now == GW_KAFKA_DOWN) {
        hg_gauge_add(mx->kafka_down, 1);
        hg_log_warn("kafka_unreachable", "thread", idx, "detail", "no broker connection is up; /readyz answers 503");
    } else if (was == GW_KAFKA_DOWN) {
        hg_gauge_add(mx->kafka_down, -1);
        hg_log_info("kafka_reachable", "thread", idx);
    }
    return 0;
}

int gw_acks_start(struct gw_thread *t, char *errstr, size_t errstr_size)
{
    if (pipe2(t->dr_pipe, O_NONBLOCK | O_CLOEXEC) != 0) {
        snprintf(errstr, errstr_size, "pipe: %s", strerror(errno));
        return -1;
    }
    t->ev_dr = event_new(t->base, t->dr_pipe[0], EV_READ | EV_PERSIST, on_dr_pipe, t);
    t->ev_restart = evtimer_new(t->base, on_restart, t);
    t->batch = calloc(1, sizeof *t->batch);
    if (t->batch)
        event_assign(&t->batch->ev_flush, t->base, -1, 0, on_flush, t);
    if (!t->ev_dr || !t->ev_restart || !t->batch || event_add(t->ev_dr, NULL) != 0) {
        snprintf(errstr, errstr_size, "event loop: cannot watch the delivery pipe");
        return -1;
    }
    return producer_open(t, errstr, errstr_size);
}

int gw_acks_stop(struct gw_thread *t, int timeout_ms)
{
    if (t->batch) {
        batch_flush(t);
        event_del(&t->batch->ev_flush);
        free(t->batch);
        t->batch = NULL;
    }
    if (t->ev_restart) {
        event_free(t->ev_restart);
        t->ev_restart = NULL;
    }
    if (t->ev_dr) {
        event_free(t->ev_dr);
        t->ev_dr = NULL;
    }
    int left = producer_close(t, timeout_ms, false);
    for (int i = 0; i < 2; i++)
        if (t->dr_pipe[i] >= 0) {
            close(t->dr_pipe[i]);
            t->dr_pipe[i] = -1;
        }
    return left;
}

/* A record refused at queue time for another reason than a full queue (the
 * topic does not exist on the cluster, ...): every request gets 503 and
 * nothing else would say why. Counted, and logged at most every 10 s a
 * thread with the number of refusals since the last line. */
static void note_refused(struct gw_thread *t, rd_kafka_resp_err_t err)
{
    hg_counter_add(t->app->metrics.produce_refused, 1);
    t->refused_unlogged++;
    int64_t now = hg_clock_mono_us();
    if (t->refused_logged_us && now - t->refused_logged_us < GW_REFUSED_LOG_EVERY_US)
        return;
    char idx[16], num[24];
    snprintf(idx, sizeof idx, "%u", t->idx);
    snprintf(num, sizeof num, "%lu", t->refused_unlogged);
    hg_log_warn("kafka_produce_refused", "thread", idx, "error", rd_kafka_err2str(err),
                "records", num, "topic", t->app->cfg->s.topic);
    t->refused_logged_us = now;
    t->refused_unlogged = 0;
}

/* Produce the batch. A record librdkafka refuses is answered here (and
 * its pending entry dropped); the rest answer with their delivery report.
 * Produced without RD_KAFKA_MSG_F_FREE: the payloads stay ours and are
 * freed with their pending entry. (With F_FREE, a record refused because
 * the topic does not exist was freed by rd_kafka_produce_batch itself,
 * src/rdkafka_msg.c @ v2.0.2, and then again here: a double free.) */
static void batch_flush(struct gw_thread *t)
{
    struct gw_batch *b = t->batch;
    size_t n = b->n;
    if (!n)
        return;
    b->n = 0;
    int ok = t->rk ? rd_kafka_produce_batch(t->rkt, RD_KAFKA_PARTITION_UA, 0, b->msg, (int)n) : 0;
    if ((size_t)ok == n)
        return;
    struct gw_metrics *mx = &t->app->metrics;
    for (size_t i = 0; i < n; i++) {
        rd_kafka_message_t *m = &b->msg[i];
        if (t->rk && m->err == RD_KAFKA_RESP_ERR_NO_ERROR)
            continue;
        struct gw_pending *p = m->_private;
        struct gw_conn *c = p->conn;
        event_del(&p->ev_deadline);
        t->inflight--;
        hg_gauge_add(mx->inflight, -1);
        if (t->rk && m->err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            note_refused(t, m->err);
        if (c) {
            gw_acks_detach(p);
            if (!t->rk)
                answer_503(c, "kafka_restarting", "the Kafka producer is being replaced after a fatal error; retry later");
            else {
                if (m->err == RD_KAFKA_RESP_ERR__QUEUE_FULL)
                    hg_counter_add(mx->queue_full, 1);
                answer_refused(c, m->err, false);
            }
        }
        pending_free(p);
    }
}

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
    batch_flush(arg);
}

void gw_acks_produce(struct gw_conn *c, char *record, size_t len,
                     const char *key, size_t key_len, uint64_t id_hash)
{
    struct gw_thread *t = c->t;
    struct gw_metrics *mx = &t->app->metrics;
    struct gw_batch *b = t->batch;
    gw_conn_body_done(c);   /* the record holds what is needed now */
    if (!t->rk) {
        free(record);
        answer_503(c, "kafka_restarting", "the Kafka producer is being replaced after a fatal error; retry later");
        return;
    }
    if (t->inflight >= (size_t)t->app->cfg->s.max_inflight) {
        free(record);
        hg_counter_add(mx->queue_full, 1);
        answer_503(c, "overloaded", "too many records waiting for Kafka; retry later");
        return;
    }
    if (!gw_budget_take(t->app, len)) {
        free(record);
        hg_counter_add(mx->buffer_full, 1);
        answer_503(c, "buffer_full", "the gateway holds as many bytes waiting for Kafka as it may "
                   "(--max-buffered-bytes); retry later");
        return;
    }
    struct gw_pending *p = calloc(1, sizeof *p);
    if (!p) {
        gw_budget_give(t->app, len);
        free(record);
        answer_503(c, "overloaded", "out of memory; retry later");
        return;
    }
    p->t = t;
    p->conn = c;
    p->record = record;
    p->len = len;
    p->start_us = c->req.start_us;
    p->id_hash = id_hash;
    if (key_len > sizeof p->key)
        key_len = sizeof p->key;
    memcpy(p->key, key, key_len);
    evtimer_assign(&p->ev_deadline, t->base, on_deadline, p);
    if (b->n == GW_PRODUCE_BATCH_MAX)
        batch_flush(t);
    b->msg[b->n++] = (rd_kafka_message_t){
        .payload = record, .len = len,
        .key = key_len ? p->key : NULL, .key_len = key_len, ._private = p,
    };
    /* appended behind the callbacks this pass has yet to run: they add
     * their records first */
    if (!event_pending(&b->ev_flush, EV_TIMEOUT, NULL))
        event_active(&b->ev_flush, EV_TIMEOUT, 0);
    c->pending = p;
    t->inflight++;
    hg_gauge_add(mx->inflight, 1);
    event_add(&p->ev_deadline, t->tv_ack);
}

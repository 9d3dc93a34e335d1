/* worker.c — the consumer-group loop with pause/resume backoff, DLQ and
 * commit-after-outcome. */
#include "consumer/worker.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/http_client.h"
#include "common/kafka.h"
#include "common/log.h"

/* Retry state of the one record a partition is waiting on. */
struct slot {
    bool used;
    int32_t partition;
    int64_t offset;
    int attempts;          /* failed attempts so far */
    int64_t next_ms;       /* monotonic ms of the next attempt; 0: resumed, waiting for it */
    int64_t check_ms;      /* resumed: monotonic ms to check it is coming back (hgc_retry_stuck) */
    int rewinds;           /* rewinds after a later offset came first (slot_passed) */
    char event_id[HGC_SLACK_ID_MAX + 1];   /* for the log if the record is lost */
};

struct hgc_worker {
    const struct hgc_settings *s;
    rd_kafka_t *rk;
    struct hgc_pipeline *pipe;
    struct hgc_dlq *dlq;
    struct hgc_worker_metrics *m;
    struct hg_retry_policy policy;
    /* One slot per partition backing off, at most HGC_MAX_PARTITIONS: when
     * all are taken, a failing record of another partition is retried in
     * place (retry_in_place). */
    struct slot slots[HGC_MAX_PARTITIONS];
    int64_t lag_at_ms;
    volatile sig_atomic_t *stop;           /* hgc_worker_run's */
    struct hgc_pipeline_result res;        /* of the record being handled (one at a time) */
};

static int64_t mono_ms(void)
{
    return hg_clock_mono_us() / 1000;
}

int hgc_worker_metrics_init(struct hgc_worker_metrics *m, struct hg_metrics *reg)
{
    static const double bounds[] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60 };
    char labels[96];
    memset(m, 0, sizeof *m);
    for (int o = 0; o < HGC_OUT_COUNT; o++) {
        snprintf(labels, sizeof labels, "outcome=\"%s\"", hgc_outcome_name((enum hgc_outcome)o));
        m->records[o] = hg_metrics_counter(reg, "hookgate_consumer_records_total",
                                           "Records handled, by final outcome.", labels);
        if (!m->records[o])
            return -1;
    }
    for (int s = 0; s < HGC_STEP_COUNT; s++) {
        snprintf(labels, sizeof labels, "step=\"%s\"", hgc_step_name((enum hgc_step)s));
        m->step[s] = hg_metrics_histogram(reg, "hookgate_consumer_step_seconds",
                                          "Latency of each pipeline step.", labels, bounds,
                                          sizeof bounds / sizeof bounds[0]);
        if (!m->step[s])
            return -1;
    }
    m->retries = hg_metrics_counter(reg, "hookgate_consumer_retries_total",
                                    "Transient failures that scheduled a retry.", NULL);
    m->dead_lettered = hg_metrics_counter(reg, "hookgate_consumer_dead_lettered_total",
                                          "Records sent to the dead-letter topic.", NULL);
    m->commit_failures = hg_metrics_counter(reg, "hookgate_consumer_commit_failures_total",
                                            "Offset commits that failed (the record may come again).", NULL);
    m->records_lost = hg_metrics_counter(reg, "hookgate_consumer_records_lost_total",
                                         "Records that backed off and were then gone from their partition (retention, compaction).", NULL);
    m->lag = hg_metrics_gauge(reg, "hookgate_consumer_lag",
                              "Records behind the high watermark over the assigned partitions.", NULL);
    m->paused = hg_metrics_gauge(reg, "hookgate_consumer_paused_partitions",
                                 "Partitions paused while a record backs off.", NULL);
    m->last_poll = hg_metrics_gauge(reg, "hookgate_consumer_last_poll_timestamp_seconds",
                                    "When the worker last polled Kafka.", NULL);
    return m->retries && m->dead_lettered && m->commit_failures && m->records_lost && m->lag &&
           m->paused && m->last_poll ? 0 : -1;
}

void hgc_worker_log_result(const rd_kafka_message_t *msg, const struct hgc_pipeline_result *r,
                           int attempt)
{
    char part[16], off[24], att[16], rows[24];
    snprintf(part, sizeof part, "%" PRId32, msg->partition);
    snprintf(off, sizeof off, "%" PRId64, msg->offset);
    snprintf(att, sizeof att, "%d", attempt);
    snprintf(rows, sizeof rows, "%" PRIu64, r->rows);
    enum hg_log_level lvl = r->outcome == HGC_OUT_DEAD || r->outcome == HGC_OUT_ERROR ? HG_LOG_WARN
                                                                                      : HG_LOG_INFO;
    if (r->outcome == HGC_OUT_SKIPPED)
        lvl = HG_LOG_DEBUG;
    hg_log(lvl, "record_done", "outcome", hgc_outcome_name(r->outcome),
           "step", hgc_step_name(r->step), "code", r->err.code, "detail", r->err.detail,
           "partition", part, "offset", off, "attempt", att, "event_id", r->event_id,
           "file_id", r->file_id, "s3_key", r->s3_key, "glue_run_id", r->run_id, "rows", rows,
           (const char *)NULL);
}

static struct slot *slot_find(struct hgc_worker *w, int32_t partition)
{
    for (size_t i = 0; i < HGC_MAX_PARTITIONS; i++)
        if (w->slots[i].used && w->slots[i].partition == partition)
            return &w->slots[i];
    return NULL;
}

/* The partition's slot, or a free one made its; NULL when every slot is
 * taken (by other partitions: each has at most one). */
static struct slot *slot_get(struct hgc_worker *w, int32_t partition)
{
    struct slot *s = slot_find(w, partition);
    if (s)
        return s;
    for (size_t i = 0; i < HGC_MAX_PARTITIONS; i++)
        if (!w->slots[i].used) {
            memset(&w->slots[i], 0, sizeof w->slots[i]);
            w->slots[i].used = true;
            w->slots[i].partition = partition;
            return &w->slots[i];
        }
    return NULL;
}

static void paused_gauge(struct hgc_worker *w)
{
    int64_t n = 0;
    for (size_t i = 0; i < HGC_MAX_PARTITIONS; i++)
        n += w->slots[i].used;
    if (w->m)
        hg_gauge_set(w->m->paused, n);
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    struct hgc_worker *w = opaque;
    bool coop = !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        hg_log_info("partitions_assigned", "protocol", rd_kafka_rebalance_protocol(rk));
        if (coop) {
            rd_kafka_error_t *e = rd_kafka_incremental_assign(rk, parts);
            if (e)
                rd_kafka_error_destroy(e);
        } else {
            rd_kafka_assign(rk, parts);
        }
        return;
    }
    /* Revoked (or lost): forget the retry state; the new owner starts from
     * the committed offset, which never passed an unfinished record. The
     * pause of a backing-off partition goes too: librdkafka keeps a pause
     * across unassign and assign, so a partition given back to this worker
     * would otherwise stay paused with no retry left to resume it. */
    rd_kafka_resume_partitions(rk, parts);
    for (int i = 0; i < parts->cnt; i++) {
        struct slot *s = slot_find(w, parts->elems[i].partition);
        if (s)
            s->used = false;
    }
    paused_gauge(w);
    hg_log_info("partitions_revoked", "protocol", rd_kafka_rebalance_protocol(rk));
    if (coop) {
        rd_kafka_error_t *e = rd_kafka_incremental_unassign(rk, parts);
        if (e)
            rd_kafka_error_destroy(e);
    } else {
        rd_kafka_assign(rk, NULL);
    }
}

struct hgc_worker *hgc_worker_create(const struct hgc_settings *settings,
                                     const struct hg_kafka_props *props,
                                     struct hgc_pipeline *pipe, struct hgc_dlq *dlq,
                                     struct hgc_worker_metrics *m,
                                     char *errstr, size_t errstr_size)
{
    const char *defaults[] = {
        "group.id", settings->group,
        "enable.auto.commit", "false",        /* commit only final outcomes */
        "enable.auto.offset.store", "false",
        "auto.offset.reset", "earliest",
        "max.poll.interval.ms", "900000",     /* a large file may take minutes */
        "enable.partition.eof", "false",
        "fetch.wait.max.ms", "100",           /* a new record starts within ~0.1 s */
        NULL,
    };
    struct hgc_worker *w = calloc(1, sizeof *w);
    rd_kafka_conf_t *conf = NULL;
    rd_kafka_topic_partition_list_t *topics = NULL;
    if (!w) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    w->s = settings;
    w->pipe = pipe;
    w->dlq = dlq;
    w->m = m;
    w->policy.max_attempts = (int)settings->retry_max_attempts;
    w->policy.base_ms = (long)settings->retry_base_ms;
    w->policy.max_backoff_ms = (long)settings->retry_max_ms;
    conf = hg_kafka_conf_new(settings->kafka_brokers, defaults, props, errstr, errstr_size);
    if (!conf)
        goto fail;
    rd_kafka_conf_set_opaque(conf, w);
    rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
    w->rk = hg_kafka_new(RD_KAFKA_CONSUMER, conf, props, errstr, errstr_size);
    conf = NULL;  /* taken by hg_kafka_new */
    if (!w->rk)
        goto fail;
    rd_kafka_poll_set_consumer(w->rk);
    topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, settings->topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(w->rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (e) {
        snprintf(errstr, errstr_size, "subscribe to %s: %s", settings->topic, rd_kafka_err2str(e));
        goto fail;
    }
    return w;
fail:
    if (conf)
        rd_kafka_conf_destroy(conf);
    hgc_worker_destroy(w);
    return NULL;
}

void hgc_worker_destroy(struct hgc_worker *w)
{
    if (!w)
        return;
    if (w->rk) {
        rd_kafka_consumer_close(w->rk);
        rd_kafka_destroy(w->rk);
    }
    free(w);
}

static int commit_offset(struct hgc_worker *w, const rd_kafka_message_t *msg)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, rd_kafka_topic_name(msg->rkt), msg->partition)->offset =
        msg->offset + 1;
    rd_kafka_resp_err_t e = rd_kafka_commit(w->rk, l, 0 /* synchronous */);
    rd_kafka_topic_partition_list_destroy(l);
    if (e) {
        char part[16], off[24];
        snprintf(part, sizeof part, "%" PRId32, msg->partition);
        snprintf(off, sizeof off, "%" PRId64, msg->offset);
        hg_log_warn("commit_failed", "partition", part, "offset", off, "error", rd_kafka_err2str(e));
        if (w->m)
            hg_counter_add(w->m->commit_failures, 1);
        return -1;
    }
    return 0;
}

/* Pause the partition and rewind it to offset, so that record is fetched
 * again when the partition resumes. */
static void pause_and_rewind_to(struct hgc_worker *w, const char *topic, int32_t partition,
                                int64_t offset)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, partition)->offset = offset;
    rd_kafka_pause_partitions(w->rk, l);
    rd_kafka_error_t *e = rd_kafka_seek_partitions(w->rk, l, 5000);
    if (e) {
        hg_log_warn("seek_failed", "error", rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
    }
    rd_kafka_topic_partition_list_destroy(l);
}

static void pause_and_rewind(struct hgc_worker *w, const rd_kafka_message_t *msg)
{
    pause_and_rewind_to(w, rd_kafka_topic_name(msg->rkt), msg->partition, msg->offset);
}

/* msg came after the record slot s waits for, which should have come first
 * (hgc_retry_passed decides). Lost to retention or missing: logged and
 * counted, the slot freed, and 0 returned so msg is processed. Otherwise
 * the rewind did not take effect (a failed seek): rewind again, retry in
 * 1 s, and return -1 so msg is not processed; it comes again after the
 * record. */
static int slot_passed(struct hgc_worker *w, struct slot *s, const rd_kafka_message_t *msg)
{
    const char *topic = rd_kafka_topic_name(msg->rkt);
    char part[16], off[24], got[24], lo_s[24], att[16];
    int64_t lo = -1, hi = -1;
    rd_kafka_resp_err_t e =
        rd_kafka_query_watermark_offsets(w->rk, topic, msg->partition, &lo, &hi, 2000);
    snprintf(part, sizeof part, "%" PRId32, msg->partition);
    snprintf(off, sizeof off, "%" PRId64, s->offset);
    snprintf(got, sizeof got, "%" PRId64, msg->offset);
    snprintf(lo_s, sizeof lo_s, "%" PRId64, lo);
    snprintf(att, sizeof att, "%d", s->attempts);
    switch (hgc_retry_passed(!e, lo, s->offset, s->rewinds)) {
    case HGC_PASSED_LOST:
        hg_log_error("record_lost_to_retention", "partition", part, "offset", off,
                     "low_watermark", lo_s, "attempts", att, "event_id", s->event_id);
        break;
    case HGC_PASSED_MISSING:
        hg_log_error("record_missing", "partition", part, "offset", off, "fetched", got,
                     "low_watermark", lo_s, "attempts", att, "event_id", s->event_id,
                     "reason", "each rewind to the record fetched a later offset: the partition "
                               "no longer holds it (a compacted topic?); given up");
        break;
    case HGC_PASSED_REWIND:
        s->rewinds++;
        hg_log_warn("rewind_again", "partition", part, "offset", off, "fetched", got,
                    "low_watermark", lo_s, "error", e ? rd_kafka_err2str(e) : "");
        pause_and_rewind_to(w, topic, msg->partition, s->offset);
        s->next_ms = mono_ms() + 1000;
        return -1;
    }
    if (w->m)
        hg_counter_add(w->m->records_lost, 1);
    s->used = false;
    paused_gauge(w);
    return 0;
}

/* A resumed record that has not come back: is the partition's position
 * past it (the rewind failed and nothing later came to show it)? Then
 * rewind again; else check again later. */
static void check_resumed(struct hgc_worker *w, struct slot *s, int64_t now)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_t *tp = rd_kafka_topic_partition_list_add(l, w->s->topic, s->partition);
    rd_kafka_resp_err_t e = rd_kafka_position(w->rk, l);
    bool known = !e && !tp->err;
    int64_t pos = tp->offset;
    rd_kafka_topic_partition_list_destroy(l);
    s->check_ms = now + HGC_RETRY_STUCK_CHECK_MS;
    if (!hgc_retry_stuck(known, pos, s->offset))
        return;
    char part[16], off[24], at[24];
    snprintf(part, sizeof part, "%" PRId32, s->partition);
    snprintf(off, sizeof off, "%" PRId64, s->offset);
    snprintf(at, sizeof at, "%" PRId64, pos);
    hg_log_warn("rewind_again", "partition", part, "offset", off, "position", at,
                "reason", "the partition's position is past the waiting record");
    pause_and_rewind_to(w, w->s->topic, s->partition, s->offset);
    s->next_ms = now + 1000;
    s->check_ms = 0;
}

static void resume_due(struct hgc_worker *w, int64_t now)
{
    for (size_t i = 0; i < HGC_MAX_PARTITIONS; i++) {
        struct slot *s = &w->slots[i];
        if (s->used && s->next_ms == 0 && s->check_ms && s->check_ms <= now)
            check_resumed(w, s, now);
        if (!s->used || s->next_ms == 0 || s->next_ms > now)
            continue;
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(l, w->s->topic, s->partition);
        rd_kafka_resume_partitions(w->rk, l);
        rd_kafka_topic_partition_list_destroy(l);
        s->next_ms = 0;  /* waiting for the record to come back */
        s->check_ms = now + HGC_RETRY_STUCK_CHECK_MS;
    }
}

static int poll_timeout(struct hgc_worker *w, int64_t now)
{
    int64_t t = w->s->poll_ms;
    for (size_t i = 0; i < HGC_MAX_PARTITIONS; i++)
        if (w->slots[i].used && w->slots[i].next_ms && w->slots[i].next_ms - now < t)
            t = w->slots[i].next_ms - now;
    return t < 0 ? 0 : (int)t;
}

static void update_lag(struct hgc_worker *w)
{
    rd_kafka_topic_partition_list_t *a = NULL;
    int64_t now = mono_ms(), lag = 0;
    if (!w->m || now - w->lag_at_ms < 2000)
        return;
    w->lag_at_ms = now;
    if (rd_kafka_assignment(w->rk, &a) || !a)
        return;
    rd_kafka_position(w->rk, a);
    for (int i = 0; i < a->cnt; i++) {
        int64_t lo = 0, hi = 0;
        if (rd_kafka_get_watermark_offsets(w->rk, a->elems[i].topic, a->elems[i].partition, &lo, &hi))
            continue;
        int64_t pos = a->elems[i].offset >= 0 ? a->elems[i].offset : lo;
        if (hi > pos)
            lag += hi - pos;
    }
    rd_kafka_topic_partition_list_destroy(a);
    hg_gauge_set(w->m->lag, lag);
}

static void count(struct hgc_worker_metrics *m, enum hgc_outcome o)
{
    if (m)
        hg_counter_add(m->records[o], 1);
}

/* Dead-letter msg. Returns 0 when the DLQ has it. */
static int dead_letter(struct hgc_dlq *dlq, struct hgc_worker_metrics *m,
                       const rd_kafka_message_t *msg, const struct hgc_pipeline_result *r,
                       int attempts)
{
    char errbuf[256], reason[700];
    snprintf(reason, sizeof reason, "%s: %s", r->err.code, r->err.detail);
    if (hgc_dlq_send(dlq, msg, hgc_step_name(r->step), reason, attempts, 30000, errbuf,
                     sizeof errbuf)) {
        hg_log_error("dead_letter_failed", "error", errbuf, "event_id", r->event_id);
        return -1;
    }
    if (m)
        hg_counter_add(m->dead_lettered, 1);
    return 0;
}

/* Attempts of msg in this thread from attempt first on, each after the
 * backoff the one before asks for, until an outcome other than RETRY (the
 * last attempt is final: dead-lettered; a DLQ that cannot take it keeps it
 * RETRY, and the attempts go on) or *stop. res (the caller's) holds the
 * last attempt's result; with first > 1 it holds attempt first - 1's on
 * entry. The outcome is counted. Returns it: RETRY only when stopped. */
static enum hgc_outcome attempts_in_place(struct hgc_pipeline *pipe, struct hgc_dlq *dlq,
                                          const struct hg_retry_policy *policy,
                                          struct hgc_worker_metrics *m,
                                          const rd_kafka_message_t *msg, int first,
                                          volatile sig_atomic_t *stop,
                                          struct hgc_pipeline_result *res)
{
    enum hgc_outcome o = HGC_OUT_RETRY;
    for (int attempt = first;; attempt++) {
        if (attempt > 1) {   /* the one before asked for a retry */
            if (m)
                hg_counter_add(m->retries, 1);
            long delay = hg_retry_backoff_ms(policy, attempt - 1, res->err.retry_after_ms);
            for (long waited = 0; waited < delay && !*stop; waited += 100)
                hg_sleep_ms(delay - waited < 100 ? delay - waited : 100);
        }
        if (*stop)
            break;
        bool final = !hgc_retry_again(policy, attempt);
        hgc_pipeline_process(pipe, msg->payload, msg->len, attempt, final, res);
        hgc_worker_log_result(msg, res, attempt);
        o = res->outcome;
        if (o == HGC_OUT_DEAD && dlq && dead_letter(dlq, m, msg, res, attempt) != 0)
            o = HGC_OUT_RETRY;
        if (o != HGC_OUT_RETRY)
            break;
    }
    if (o != HGC_OUT_RETRY)
        count(m, o);
    return o;
}

/* msg failed attempt `attempt` and every slot is taken by other backing-off
 * partitions: pausing its partition without a slot would leave it paused
 * for good. It is retried here instead, the way replay does, holding up the
 * other partitions until it has an outcome, and then committed; stopped
 * meanwhile, it is not committed and comes again. */
static void retry_in_place(struct hgc_worker *w, const rd_kafka_message_t *msg, int attempt)
{
    char part[16], off[24], max[16];
    snprintf(part, sizeof part, "%" PRId32, msg->partition);
    snprintf(off, sizeof off, "%" PRId64, msg->offset);
    snprintf(max, sizeof max, "%u", HGC_MAX_PARTITIONS);
    hg_log_warn("retry_slots_full", "partition", part, "offset", off, "event_id", w->res.event_id,
                "slots", max, "code", w->res.err.code,
                "reason", "every retry slot is taken by a backing-off partition: the record is "
                          "retried in place, and the other partitions wait until it is done");
    if (attempts_in_place(w->pipe, w->dlq, &w->policy, w->m, msg, attempt + 1, w->stop,
                          &w->res) != HGC_OUT_RETRY)
        commit_offset(w, msg);
}

static void handle_message(struct hgc_worker *w, rd_kafka_message_t *msg)
{
    struct hgc_pipeline_result *res = &w->res;
    struct slot *s = slot_find(w, msg->partition);
    if (s && s->next_ms) {
        /* Fetched before the pause took effect: it will come again (after
         * the record, or slot_passed rewinds to the record). */
        return;
    }
    if (s && msg->offset > s->offset) {
        if (slot_passed(w, s, msg) != 0)
            return;
        s = NULL;
    }
    int failed = s && s->offset == msg->offset ? s->attempts : 0;
    int attempt = failed + 1;
    bool final = !hgc_retry_again(&w->policy, attempt);
    hgc_pipeline_process(w->pipe, msg->payload, msg->len, attempt, final, res);
    hgc_worker_log_result(msg, res, attempt);

    if (res->outcome == HGC_OUT_DEAD && dead_letter(w->dlq, w->m, msg, res, attempt) != 0) {
        /* The DLQ is unreachable: keep the record, try again later. */
        res->outcome = HGC_OUT_RETRY;
        res->err.retry_after_ms = w->policy.max_backoff_ms;
    }
    if (res->outcome == HGC_OUT_RETRY) {
        struct slot *n = slot_get(w, msg->partition);
        if (!n) {
            retry_in_place(w, msg, attempt);
            return;
        }
        long delay = hg_retry_backoff_ms(&w->policy, attempt, res->err.retry_after_ms);
        n->offset = msg->offset;
        /* waiting for another's Glue claim spends no attempt (its lease bounds it) */
        if (strcmp(res->err.code, "glue_claimed") != 0)
            n->attempts = attempt < w->policy.max_attempts ? attempt : w->policy.max_attempts - 1;
        else
            n->attempts = failed;
        n->next_ms = mono_ms() + delay;
        n->rewinds = 0;
        snprintf(n->event_id, sizeof n->event_id, "%s", res->event_id);
        char d[24];
        snprintf(d, sizeof d, "%ld", delay);
        hg_log_info("retry_scheduled", "event_id", res->event_id, "delay_ms", d,
                    "code", res->err.code, "detail", res->err.detail);
        if (w->m)
            hg_counter_add(w->m->retries, 1);
        pause_and_rewind(w, msg);
        paused_gauge(w);
        return;
    }
    count(w->m, res->outcome);
    if (s && msg->offset == s->offset)
        s->used = false;   /* a record before it (a refetch) leaves it waiting */
    paused_gauge(w);
    commit_offset(w, msg);
}

int hgc_worker_run(struct hgc_worker *w, volatile sig_atomic_t *stop)
{
    w->stop = stop;
    hg_log_info("worker_started", "topic", w->s->topic, "group", w->s->group,
                "dlq_topic", w->s->dlq_topic);
    while (!*stop) {
        int64_t now = mono_ms();
        resume_due(w, now);
        rd_kafka_message_t *msg = rd_kafka_consumer_poll(w->rk, poll_timeout(w, now));
        if (w->m)
            hg_gauge_set(w->m->last_poll, hg_clock_now_ms() / 1000);
        update_lag(w);
        if (!msg)
            continue;
        if (msg->err) {
            if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                hg_log_warn("consumer_error", "error", rd_kafka_message_errstr(msg));
            bool fatal = msg->err == RD_KAFKA_RESP_ERR__FATAL;
            rd_kafka_message_destroy(msg);
            if (fatal)
                return -1;
            continue;
        }
        handle_message(w, msg);
        rd_kafka_message_destroy(msg);
    }
    hg_log_info("worker_stopping");
    return 0;
}

enum hgc_outcome hgc_worker_process_inline(struct hgc_pipeline *pipe, struct hgc_dlq *dlq,
                                           const struct hgc_settings *s,
                                           struct hgc_worker_metrics *m,
                                           const rd_kafka_message_t *msg,
                                           volatile sig_atomic_t *stop,
                                           struct hgc_pipeline_result *last)
{
    struct hg_retry_policy policy = {
        .max_attempts = (int)s->retry_max_attempts,
        .base_ms = (long)s->retry_base_ms,
        .max_backoff_ms = (long)s->retry_max_ms,
    };
    struct hgc_pipeline_result *res = calloc(1, sizeof *res);
    if (!res)
        return HGC_OUT_RETRY;
    res->outcome = HGC_OUT_RETRY;   /* what *last says if stopped before any attempt */
    snprintf(res->message, sizeof res->message, "stopped before it was processed");
    enum hgc_outcome o = attempts_in_place(pipe, dlq, &policy, m, msg, 1, stop, res);
    if (last)
        *last = *res;
    free(res);
    return o;
}

rd_kafka_t *hgc_worker_tool_consumer(const struct hgc_settings *s, const struct hg_kafka_props *props,
                                     const char *suffix, char *errstr, size_t errstr_size)
{
    char group[512];
    rd_kafka_t *rk = NULL;
    snprintf(group, sizeof group, "%s%s", s->group, suffix);
    const char *defaults[] = {
        "group.id", group, "enable.auto.commit", "false", "enable.auto.offset.store", "false",
        "enable.partition.eof", "true", "auto.offset.reset", "earliest", NULL,
    };
    rd_kafka_conf_t *conf = hg_kafka_conf_new(s->kafka_brokers, defaults, props, errstr, errstr_size);
    if (!conf)
        return NULL;
    rk = hg_kafka_new(RD_KAFKA_CONSUMER, conf, props, errstr, errstr_size);
    if (!rk)
        return NULL;
    rd_kafka_poll_set_consumer(rk);
    return rk;
}

int hgc_worker_partition_count(rd_kafka_t *rk, const char *topic, char *errstr, size_t errstr_size)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    rd_kafka_resp_err_t e = rkt ? rd_kafka_metadata(rk, 0, rkt, &md, 10000) : RD_KAFKA_RESP_ERR__INVALID_ARG;
    if (rkt)
        rd_kafka_topic_destroy(rkt);
    if (!e)
        e = md && md->topic_cnt == 1 ? md->topics[0].err : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC;
    int n = e ? -1 : md->topics[0].partition_cnt;
    if (e)
        snprintf(errstr, errstr_size, "topic %s: %s", topic, rd_kafka_err2str(e));
    if (md)
        rd_kafka_metadata_destroy(md);
    return n;
}

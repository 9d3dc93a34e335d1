/* worker.h — the consumer-group loop: poll, run the pipeline, pause the
 * partition and keep polling while a record backs off, dead-letter it when
 * retries run out, and commit an offset only once its record's outcome is
 * final (manual commits; at least once). */
#ifndef HGC_WORKER_H
#define HGC_WORKER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <librdkafka/rdkafka.h>

#include "common/config.h"
#include "common/metrics.h"
#include "consumer/consumer_config.h"
#include "consumer/dlq.h"
#include "consumer/pipeline.h"

/* The worker's Prometheus metrics (registered by hgc_worker_metrics_init;
 * the registry owns them). */
struct hgc_worker_metrics {
    struct hg_counter *records[HGC_OUT_COUNT];  /* hookgate_consumer_records_total{outcome} */
    struct hg_counter *retries;                 /* hookgate_consumer_retries_total */
    struct hg_counter *dead_lettered;           /* hookgate_consumer_dead_lettered_total */
    struct hg_counter *commit_failures;         /* hookgate_consumer_commit_failures_total */
    struct hg_counter *records_lost;            /* hookgate_consumer_records_lost_total */
    struct hg_gauge *lag;                       /* hookgate_consumer_lag (records behind) */
    struct hg_gauge *paused;                    /* hookgate_consumer_paused_partitions */
    struct hg_gauge *last_poll;                 /* hookgate_consumer_last_poll_timestamp_seconds */
    struct hg_histogram *step[HGC_STEP_COUNT];  /* hookgate_consumer_step_seconds{step} */
};

/* Register every metric in reg. Returns 0 or -1 (out of memory). */
int hgc_worker_metrics_init(struct hgc_worker_metrics *m, struct hg_metrics *reg);

struct hgc_worker;

/* Create the consumer (group settings->group, subscribed to
 * settings->topic) and take pipe and dlq (borrowed; they must outlive the
 * worker). m may be NULL. Returns the worker (free with
 * hgc_worker_destroy) or NULL with errstr. */
struct hgc_worker *hgc_worker_create(const struct hgc_settings *settings,
                                     const struct hg_kafka_props *props,
                                     struct hgc_pipeline *pipe, struct hgc_dlq *dlq,
                                     struct hgc_worker_metrics *m,
                                     char *errstr, size_t errstr_size);

/* Run until *stop becomes non-zero (a signal handler sets it). Returns 0 on
 * a clean stop, -1 on a fatal consumer error (logged). */
int hgc_worker_run(struct hgc_worker *w, volatile sig_atomic_t *stop);

/* Leave the group (consumer close) and free. NULL is ignored. */
void hgc_worker_destroy(struct hgc_worker *w);

/* Handle one consumed message the way run does (pipeline, retries within
 * the process when pause is false, DLQ on exhaustion): used by replay,
 * which owns no group. last (may be NULL) receives the last attempt's
 * result. Returns the final outcome. */
enum hgc_outcome hgc_worker_process_inline(struct hgc_pipeline *pipe, struct hgc_dlq *dlq,
                                           const struct hgc_settings *s,
                                           struct hgc_worker_metrics *m,
                                           const rd_kafka_message_t *msg,
                                           volatile sig_atomic_t *stop,
                                           struct hgc_pipeline_result *last);

/* A consumer outside the worker group for the tools (replay, redrive):
 * group.id "<settings group><suffix>", no automatic commits or offset
 * stores, partition EOF events on. Returns the handle (rd_kafka_destroy
 * after rd_kafka_consumer_close) or NULL with errstr. */
rd_kafka_t *hgc_worker_tool_consumer(const struct hgc_settings *s, const struct hg_kafka_props *props,
                                     const char *suffix, char *errstr, size_t errstr_size);

/* Number of partitions of topic (metadata request, 10 s). Returns it, or -1
 * with errstr naming the topic and the error. */
int hgc_worker_partition_count(rd_kafka_t *rk, const char *topic, char *errstr, size_t errstr_size);

/* Log one pipeline result as a JSON line (no secrets). */
void hgc_worker_log_result(const rd_kafka_message_t *msg, const struct hgc_pipeline_result *r,
                           int attempt);

#endif

/* gw_metrics.h — the gateway's Prometheus metrics, registered once. */
#ifndef GW_METRICS_H
#define GW_METRICS_H

#include "common/metrics.h"

/* Status codes the gateway answers with; anything else is counted as "other". */
#define GW_METRIC_STATUSES 15

struct gw_metrics {
    struct hg_metrics   *reg;
    /* hookgate_http_requests_total{route,code} */
    struct hg_counter   *requests[8][GW_METRIC_STATUSES];
    struct hg_counter   *sig_failures[6];     /* by enum hg_slack_sig_result */
    struct hg_counter   *duplicates;
    struct hg_counter   *records;             /* acknowledged by Kafka */
    struct hg_counter   *delivery_failures;
    struct hg_counter   *ack_timeouts;
    struct hg_counter   *late_acks;           /* delivered after we answered 503 or the client left */
    struct hg_counter   *queue_full;
    struct hg_counter   *produce_refused;     /* refused when queued, for another reason */
    struct hg_counter   *handshakes;
    struct hg_counter   *conn_rejected;
    struct hg_counter   *accept_paused;
    struct hg_counter   *producer_restarts;
    struct hg_counter   *buffer_full;         /* 503: --max-buffered-bytes reached */
    struct hg_gauge     *buffered;            /* bytes taken from it, set when /metrics is read */
    struct hg_gauge     *inflight;
    struct hg_gauge     *connections;
    struct hg_gauge     *kafka_down;
    struct hg_gauge     *topic_missing;       /* producers whose cluster names no partition of the topic */
    struct hg_histogram *ack_latency;         /* request received → delivery report */
};

/* Register everything. Returns 0 or -1 (out of memory). */
int gw_metrics_init(struct gw_metrics *m);
void gw_metrics_cleanup(struct gw_metrics *m);
/* Count one answered request. route is enum gw_route. */
void gw_metrics_request(struct gw_metrics *m, int route, int status);

#endif

/* gw_metrics.c — registration of the gateway's metrics. */
#include "gateway/gw_metrics.h"

#include <stdio.h>

#include "common/slack_sig.h"
#include "gateway/gateway.h"

static const int statuses[GW_METRIC_STATUSES] = {
    200, 400, 401, 404, 405, 408, 411, 413, 414, 415, 431, 500, 501, 503, 0 /* other */
};

extern const char *const gw_route_names[GW_ROUTE_COUNT];

int gw_metrics_init(struct gw_metrics *m)
{
    static const double latency_bounds[] = {
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5
    };
    char labels[128];

    m->reg = hg_metrics_create();
    if (!m->reg)
        return -1;
    for (int r = 0; r < GW_ROUTE_COUNT; r++)
        for (int s = 0; s < GW_METRIC_STATUSES; s++) {
            if (statuses[s])
                snprintf(labels, sizeof labels, "route=\"%s\",code=\"%d\"", gw_route_names[r], statuses[s]);
            else
                snprintf(labels, sizeof labels, "route=\"%s\",code=\"other\"", gw_route_names[r]);
            m->requests[r][s] = hg_metrics_counter(m->reg, "hookgate_http_requests_total",
                                                   "HTTP requests answered, by route and status code.", labels);
            if (!m->requests[r][s])
                return -1;
        }
    for (int i = 1; i <= HG_SLACK_SIG_MISMATCH; i++) {
        snprintf(labels, sizeof labels, "reason=\"%s\"", hg_slack_sig_result_str((enum hg_slack_sig_result)i));
        m->sig_failures[i] = hg_metrics_counter(m->reg, "hookgate_signature_failures_total",
                                                "Requests refused because of their Slack signature, by reason.", labels);
        if (!m->sig_failures[i])
            return -1;
    }
    m->duplicates = hg_metrics_counter(m->reg, "hookgate_duplicates_total",
        "Slack retries of already-acknowledged events answered without a second record.", NULL);
    m->records = hg_metrics_counter(m->reg, "hookgate_records_total",
        "Records Kafka acknowledged.", NULL);
    m->delivery_failures = hg_metrics_counter(m->reg, "hookgate_delivery_failures_total",
        "Records Kafka did not take (delivery report error).", NULL);
    m->ack_timeouts = hg_metrics_counter(m->reg, "hookgate_ack_timeouts_total",
        "Requests answered 503 because no delivery report came within the deadline.", NULL);
    m->late_acks = hg_metrics_counter(m->reg, "hookgate_late_acks_total",
        "Records acknowledged after their request was answered 503 or its client went away (consumers dedupe by id).", NULL);
    m->queue_full = hg_metrics_counter(m->reg, "hookgate_queue_full_total",
        "Requests answered 503 at once because the producer queue or in-flight limit was full.", NULL);
    m->produce_refused = hg_metrics_counter(m->reg, "hookgate_produce_refused_total",
        "Records librdkafka refused when they were queued, other than for a full queue "
        "(e.g. the topic does not exist on the cluster); logged as kafka_produce_refused.", NULL);
    m->handshakes = hg_metrics_counter(m->reg, "hookgate_handshakes_total",
        "url_verification and ssl_check requests answered without a record.", NULL);
    m->conn_rejected = hg_metrics_counter(m->reg, "hookgate_connections_rejected_total",
        "Connections closed at accept because of --max-connections.", NULL);
    m->producer_restarts = hg_metrics_counter(m->reg, "hookgate_producer_restarts_total",
        "Kafka producers replaced after a fatal error (e.g. an out-of-order sequence at the broker).", NULL);
    m->buffer_full = hg_metrics_counter(m->reg, "hookgate_buffer_full_total",
        "Requests answered 503 because the bodies and records held reached --max-buffered-bytes.", NULL);
    m->accept_paused = hg_metrics_counter(m->reg, "hookgate_accept_paused_total",
        "Times a listener stopped accepting for 100 ms because the process ran out of descriptors.", NULL);
    m->inflight = hg_metrics_gauge(m->reg, "hookgate_inflight_records",
        "Records waiting for Kafka's delivery report.", NULL);
    m->connections = hg_metrics_gauge(m->reg, "hookgate_open_connections",
        "Open client connections.", NULL);
    m->kafka_down = hg_metrics_gauge(m->reg, "hookgate_kafka_producers_down",
        "Producers (one a thread) with no broker connection up in their last statistics; "
        "/readyz answers 503 while there is one.", NULL);
    m->topic_missing = hg_metrics_gauge(m->reg, "hookgate_kafka_topic_missing",
        "Producers whose cluster answers but names no partition of the topic (missing, "
        "auto-creation off, or not authorized); /readyz answers 503 while there is one.", NULL);
    m->buffered = hg_metrics_gauge(m->reg, "hookgate_buffered_bytes",
        "Bytes held in request bodies being received and records waiting for Kafka "
        "(of --max-buffered-bytes).", NULL);
    m->ack_latency = hg_metrics_histogram(m->reg, "hookgate_ack_latency_seconds",
        "Time from a request's first byte to Kafka's delivery report.", NULL,
        latency_bounds, sizeof latency_bounds / sizeof latency_bounds[0]);
    if (!m->duplicates || !m->records || !m->delivery_failures || !m->ack_timeouts ||
        !m->late_acks || !m->queue_full || !m->produce_refused || !m->handshakes || !m->conn_rejected || !m->accept_paused || !m->producer_restarts || !m->buffer_full || !m->buffered ||
        !m->inflight || !m->connections || !m->kafka_down || !m->topic_missing || !m->ack_latency)
        return -1;
    return 0;
}

void gw_metrics_cleanup(struct gw_metrics *m)
{
    hg_metrics_destroy(m->reg);
    m->reg = NULL;
}

void gw_metrics_request(struct gw_metrics *m, int route, int status)
{
    int s;
    for (s = 0; s < GW_METRIC_STATUSES - 1; s++)
        if (statuses[s] == status)
            break;
    if (route < 0 || route >= GW_ROUTE_COUNT)
        route = GW_ROUTE_UNKNOWN;
    hg_counter_add(m->requests[route][s], 1);
}
